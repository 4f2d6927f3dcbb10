package integrity

import "fmt"

// Walk verifies a keyed chain stored in a table (ticket events, the audit
// logs) record by record, in id order: records before the chain's
// keyed_from (written before the key) carry no hash and count as legacy;
// from then on each record links to the previous one and its HMAC matches
// its content. The first problem fails the report; the rest are counted.
type Walk struct {
	Report    Report
	chain     *Chain
	keyedFrom int64
	prev      string
	keyed     bool
}

// NewWalk starts verifying chain name with chain's key (nil: no key given).
func NewWalk(name string, chain *Chain) *Walk {
	return &Walk{Report: Report{Chain: name, OK: true, Hashes: map[string]int64{}}, chain: chain, keyedFrom: chain.KeyedFrom(name)}
}

// Record checks the next record; doc returns its canonical content and is
// called only for a keyed record that is checked.
func (w *Walk) Record(id int64, alg, prevHash, hash string, doc func() []byte) {
	rep := &w.Report
	rep.Records++
	rep.Head, rep.HeadSeq = hash, id
	if !rep.OK {
		return // count the rest
	}
	if alg == "" {
		switch {
		case w.keyed:
			rep.Fail(id, "record is unkeyed after keyed records (rewritten with the hashes removed)")
		case w.keyedFrom > 0 && id >= w.keyedFrom:
			rep.Fail(id, fmt.Sprintf("record is unkeyed but the chain is keyed from record %d on", w.keyedFrom))
		case hash != "" || prevHash != "":
			rep.Fail(id, "record written before the chain carries a hash")
		}
		rep.Legacy++
		w.prev = hash
		return
	}
	w.keyed = true
	if prevHash != w.prev {
		rep.Fail(id, "link to the previous record is broken (prev_hash does not match: a record was deleted)")
		return
	}
	if w.chain == nil {
		rep.Fail(id, "record is keyed and no integrity key was given (integrity.key_file)")
		return
	}
	want, err := w.chain.Sum(alg, prevHash, doc())
	if err != nil {
		rep.Fail(id, err.Error())
		return
	}
	if want != hash {
		rep.Fail(id, "content was changed (hash mismatch)")
		return
	}
	rep.Hashes[hash] = id
	w.prev = hash
}
