package exposition

import (
	"io"

	"github.com/roomwatch/roomwatch/internal/probe"
)

// Prepared is the text exposition of a set of checks laid out before their
// results are in, from the results they are expected to give (every echo
// answered, say): the series, their labels' text and their order. The probe
// command prepares it while the ICMP rounds wait a second apart, so after
// the last echo only the values remain to be written (for 10,000 cameras,
// WriteText's 0.3 s of CPU after the last reply becomes a few
// hundredths; docs/benchmarks.md).
type Prepared struct {
	es []entry
	l  *layout
}

// Prepare lays out the text exposition of the expected results.
func Prepare(expected []probe.Result) *Prepared {
	es := entriesOf(expected)
	return &Prepared{es: es, l: newLayout(es)}
}

// WriteText writes results exactly as the package's WriteText does. When
// they are the expected results but for their values (probe.SameShape, one
// for one, in the order of the Store's entries: by target, then check) it
// only fills the values in; otherwise (a check failed, a sample more) it
// renders them in full.
func (p *Prepared) WriteText(w io.Writer, results []probe.Result) error {
	if !p.matches(results) {
		return WriteText(w, results)
	}
	es := make([]entry, len(results))
	for i, r := range results {
		es[i].r = r
		if r.Err != nil { // what the Store counts for a key written once
			es[i].failures = 1
		}
	}
	return p.l.write(w, es)
}

// matches reports whether results are the prepared entries one for one.
func (p *Prepared) matches(results []probe.Result) bool {
	if p == nil || len(results) != len(p.es) {
		return false
	}
	for i := range results {
		if !probe.SameShape(results[i], p.es[i].r) {
			return false
		}
	}
	return true
}
