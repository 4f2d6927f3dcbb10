package inspect

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go driver "sqlite"

	"github.com/roomwatch/roomwatch/internal/dbfile"
	"github.com/roomwatch/roomwatch/internal/integrity"
)

// Errors of the store.
var (
	ErrNotFound = errors.New("inspection not found")
	ErrConflict = errors.New("inspection state does not allow this")
)

// Entry kinds. An inspection is its run entry followed by completion and
// signature entries; nothing is ever updated or deleted.
const (
	KindRun      = "run"
	KindComplete = "complete"
	KindSign     = "sign"
)

const schema = `
CREATE TABLE IF NOT EXISTS entries (
  seq          INTEGER PRIMARY KEY,
  inspection   INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  at           TEXT NOT NULL,
  template     TEXT NOT NULL DEFAULT '',
  period_start TEXT NOT NULL DEFAULT '',
  period_end   TEXT NOT NULL DEFAULT '',
  summary      TEXT NOT NULL DEFAULT '',
  body         TEXT NOT NULL,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL,
  alg          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS entries_inspection ON entries(inspection);
CREATE INDEX IF NOT EXISTS entries_period ON entries(kind, period_end);
`

// protectiveTriggers refuse to change or delete a record. OpenStore recreates
// a missing one and says so (Recreated).
var protectiveTriggers = map[string]string{
	"entries_no_update": `CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
  BEGIN SELECT RAISE(ABORT, 'inspection records are append-only'); END`,
	"entries_no_delete": `CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
  BEGIN SELECT RAISE(ABORT, 'inspection records are append-only'); END`,
}

// Store keeps inspection records in SQLite as a hash chain.
type Store struct {
	db    *sql.DB
	mu    sync.Mutex // serialises appends (the chain has one head)
	chain *integrity.Chain
	// recreated are the protective triggers that were missing at open.
	recreated []string
}

// StoreOptions configure OpenStoreWith.
type StoreOptions struct {
	// Chain keys new entries (and checks keyed ones); nil writes unkeyed
	// SHA-256 links, as before keys existed.
	Chain *integrity.Chain
}

// OpenStore opens (or creates) the record database at path, unkeyed.
func OpenStore(path string) (*Store, error) { return OpenStoreWith(path, StoreOptions{}) }

// OpenStoreWith opens (or creates) the record database at path.
func OpenStoreWith(path string, o StoreOptions) (*Store, error) {
	db, err := sql.Open("sqlite", dbfile.Writable(path))
	if err != nil {
		return nil, fmt.Errorf("open inspection records %s: %w", path, err)
	}
	var existed int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'entries'`).Scan(&existed); err != nil {
		db.Close()
		return nil, fmt.Errorf("open inspection records %s: %w", path, err)
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open inspection records %s: %w", path, err)
	}
	if _, err := db.Exec(firstStartSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open inspection records %s: %w", path, err)
	}
	s := &Store{db: db, chain: o.Chain}
	if err := s.upgrade(existed == 1); err != nil {
		db.Close()
		return nil, fmt.Errorf("open inspection records %s: %w", path, err)
	}
	return s, nil
}

// upgrade adds the alg column to a database from before keyed chains and
// recreates missing protective triggers; on a database that existed before
// this open, a missing trigger was dropped and is reported (Recreated).
func (s *Store) upgrade(existed bool) error {
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('entries') WHERE name = 'alg'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := s.db.Exec(`ALTER TABLE entries ADD COLUMN alg TEXT NOT NULL DEFAULT ''`); err != nil {
			return err
		}
	}
	for _, name := range []string{"entries_no_update", "entries_no_delete"} {
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?`, name).Scan(&n); err != nil {
			return err
		}
		if n == 1 {
			continue
		}
		if _, err := s.db.Exec(protectiveTriggers[name]); err != nil {
			return fmt.Errorf("recreate trigger %s: %w", name, err)
		}
		if existed {
			s.recreated = append(s.recreated, name)
		}
	}
	return nil
}

// Recreated names the protective triggers that were missing when the store
// opened (someone dropped them) and were recreated.
func (s *Store) Recreated() []string { return s.recreated }

// NextSeq is the sequence number the next entry will get.
func (s *Store) NextSeq(ctx context.Context) (int64, error) {
	var last sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(seq) FROM entries`).Scan(&last)
	return last.Int64 + 1, err
}

// Head returns the last entry's sequence number and hash (0, "" when empty):
// printed on each check sheet, so a later truncation or rewrite is found by
// verify --head.
func (s *Store) Head(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return seq, hash, err
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB returns the database (for tests that tamper with it).
func (s *Store) DB() *sql.DB { return s.db }

type entry struct {
	Seq         int64
	Inspection  int64
	Kind        string
	At          string
	Template    string
	PeriodStart string
	PeriodEnd   string
	Summary     string
	Body        string
	PrevHash    string
	Hash        string
	Alg         string // "" for unkeyed SHA-256, else an integrity tag
}

// hashOf is the entry's hash over the previous hash and the canonical JSON of
// every column but the hash itself: plain SHA-256 for entries written before
// keys (Alg ""), else the chain's keyed link (HMAC-SHA-256 or HMAC-SM3).
func hashOf(c *integrity.Chain, e *entry) (string, error) {
	body, err := canonical(e.Body)
	if err != nil {
		return "", fmt.Errorf("body: %w", err)
	}
	summary, err := canonical(e.Summary)
	if err != nil {
		return "", fmt.Errorf("summary: %w", err)
	}
	doc := hashDoc(e, body, summary)
	if e.Alg != "" {
		if c == nil {
			return "", errNoKey
		}
		return c.Sum(e.Alg, e.PrevHash, doc)
	}
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write([]byte{'\n'})
	h.Write(doc)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashDoc is the JSON object hashed for an entry, with its keys in sorted
// order: byte for byte what json.Marshal of the map of columns gives (with
// body and summary as raw, already canonical JSON), built without
// re-scanning the body.
func hashDoc(e *entry, body, summary []byte) []byte {
	str := func(s string) []byte { b, _ := json.Marshal(s); return b }
	doc := make([]byte, 0, len(body)+len(summary)+512)
	doc = append(doc, `{"at":`...)
	doc = append(doc, str(e.At)...)
	doc = append(doc, `,"body":`...)
	doc = append(doc, body...)
	doc = append(doc, `,"inspection":`...)
	doc = strconv.AppendInt(doc, e.Inspection, 10)
	doc = append(doc, `,"kind":`...)
	doc = append(doc, str(e.Kind)...)
	doc = append(doc, `,"period_end":`...)
	doc = append(doc, str(e.PeriodEnd)...)
	doc = append(doc, `,"period_start":`...)
	doc = append(doc, str(e.PeriodStart)...)
	doc = append(doc, `,"prev_hash":`...)
	doc = append(doc, str(e.PrevHash)...)
	doc = append(doc, `,"seq":`...)
	doc = strconv.AppendInt(doc, e.Seq, 10)
	doc = append(doc, `,"summary":`...)
	doc = append(doc, summary...)
	doc = append(doc, `,"template":`...)
	doc = append(doc, str(e.Template)...)
	return append(doc, '}')
}

const timeFmt = time.RFC3339Nano

// errNoKey is a keyed entry checked without the key.
var errNoKey = errors.New("the entry is keyed and no integrity key was given")

// appendEntry adds e at the head of the chain in tx; inspection 0 means "this entry's seq".
func appendEntry(ctx context.Context, tx *sql.Tx, c *integrity.Chain, e *entry) error {
	var last sql.NullInt64
	var prev sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	e.Seq = last.Int64 + 1
	e.PrevHash = prev.String
	if e.Inspection == 0 {
		e.Inspection = e.Seq
	}
	e.Alg = c.Tag()
	if e.Hash, err = hashOf(c, e); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO entries(seq, inspection, kind, at, template, period_start, period_end, summary, body, prev_hash, hash, alg)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, e.Seq, e.Inspection, e.Kind, e.At, e.Template, e.PeriodStart, e.PeriodEnd, e.Summary, e.Body, e.PrevHash, e.Hash, e.Alg)
	return err
}

func (s *Store) append(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// summary is the small per-run digest kept beside the body for listings.
type summary struct {
	Title   string `json:"title"`
	Rhythm  Rhythm `json:"rhythm"`
	Trigger string `json:"trigger"`
	Totals  Totals `json:"totals"`
}

// AppendRun stores a run as a new inspection and returns its id.
func (s *Store) AppendRun(ctx context.Context, r *Run) (int64, error) {
	stored := *r
	stored.Rows = compactRows(r.Rows, r.Items)
	body, err := json.Marshal(&stored)
	if err != nil {
		return 0, err
	}
	sum, _ := json.Marshal(summary{Title: r.Title, Rhythm: r.Rhythm, Trigger: r.Trigger, Totals: Count(r.Rows)})
	e := &entry{Kind: KindRun, At: r.FinishedAt.UTC().Format(timeFmt), Template: r.Template,
		PeriodStart: r.PeriodStart.UTC().Format(timeFmt), PeriodEnd: r.PeriodEnd.UTC().Format(timeFmt),
		Summary: string(sum), Body: string(body)}
	err = s.append(ctx, func(tx *sql.Tx) error { return appendEntry(ctx, tx, s.chain, e) })
	if err != nil {
		return 0, fmt.Errorf("store inspection: %w", err)
	}
	return e.Inspection, nil
}

type completionEntry struct {
	Completion
	Prev Verdict   `json:"prev_verdict"`
	At   time.Time `json:"at"`
}

// Complete records an engineer's result for one row of inspection id.
func (s *Store) Complete(ctx context.Context, id int64, c Completion, at time.Time) (*Inspection, error) {
	if !c.Verdict.Valid() || c.Verdict == Pending {
		return nil, fmt.Errorf("verdict %q: want normal, warning, abnormal or unchecked", c.Verdict)
	}
	if c.User == "" {
		return nil, errors.New("user is required")
	}
	if _, ok := PhotoName(c.Photo); c.Photo != "" && !ok {
		return nil, fmt.Errorf("%w: photo %q is not a stored photo's name", ErrBadPhoto, c.Photo)
	}
	var out *Inspection
	err := s.append(ctx, func(tx *sql.Tx) error {
		in, err := load(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(in.Signatures) > 0 {
			return fmt.Errorf("%w: the sheet is already signed", ErrConflict)
		}
		i := rowIndex(in.Rows, c.Device, c.Item)
		if i < 0 {
			return fmt.Errorf("%w: no row %s × %s", ErrNotFound, c.Device, c.Item)
		}
		body, err := json.Marshal(completionEntry{Completion: c, Prev: in.Rows[i].Verdict, At: at.UTC()})
		if err != nil {
			return err
		}
		if err := appendEntry(ctx, tx, s.chain, &entry{Inspection: id, Kind: KindComplete, At: at.UTC().Format(timeFmt), Body: string(body)}); err != nil {
			return err
		}
		applyCompletion(in, c, at)
		in.refresh()
		out = in
		return nil
	})
	return out, err
}

// Sign records a sign-off: the engineer once nothing is pending, then the
// customer's representative.
func (s *Store) Sign(ctx context.Context, id int64, sig Signature) (*Inspection, error) {
	if sig.User == "" {
		return nil, errors.New("user is required")
	}
	var out *Inspection
	err := s.append(ctx, func(tx *sql.Tx) error {
		in, err := load(ctx, tx, id)
		if err != nil {
			return err
		}
		switch sig.Role {
		case RoleEngineer:
			if in.Totals.Pending > 0 {
				return fmt.Errorf("%w: %d manual items still pending", ErrConflict, in.Totals.Pending)
			}
			if hasRole(in.Signatures, RoleEngineer) {
				return fmt.Errorf("%w: already signed by the engineer", ErrConflict)
			}
		case RoleCustomer:
			if !hasRole(in.Signatures, RoleEngineer) {
				return fmt.Errorf("%w: the engineer signs first", ErrConflict)
			}
			if hasRole(in.Signatures, RoleCustomer) {
				return fmt.Errorf("%w: already countersigned", ErrConflict)
			}
		default:
			return fmt.Errorf("role %q: want engineer or customer", sig.Role)
		}
		sig.At = sig.At.UTC()
		body, err := json.Marshal(sig)
		if err != nil {
			return err
		}
		if err := appendEntry(ctx, tx, s.chain, &entry{Inspection: id, Kind: KindSign, At: sig.At.Format(timeFmt), Body: string(body)}); err != nil {
			return err
		}
		in.Signatures = append(in.Signatures, sig)
		in.refresh()
		out = in
		return nil
	})
	return out, err
}

func rowIndex(rows []Row, device, item string) int {
	for i := range rows {
		if rows[i].Device == device && rows[i].Item == item {
			return i
		}
	}
	return -1
}

func applyCompletion(in *Inspection, c Completion, at time.Time) {
	i := rowIndex(in.Rows, c.Device, c.Item)
	if i < 0 {
		return
	}
	r := &in.Rows[i]
	r.Verdict, r.Reason = c.Verdict, ""
	if c.Value != nil {
		r.Value = c.Value
	}
	r.Evidence.Note, r.Evidence.Photo = c.Note, c.Photo
	r.CheckedBy, r.CheckedAt = c.User, at.UTC()
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// load rebuilds inspection id from its entries.
func load(ctx context.Context, q querier, id int64) (*Inspection, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind, at, body FROM entries WHERE inspection = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var in *Inspection
	for rows.Next() {
		var kind, at, body string
		if err := rows.Scan(&kind, &at, &body); err != nil {
			return nil, err
		}
		switch kind {
		case KindRun:
			in = &Inspection{ID: id}
			if err := json.Unmarshal([]byte(body), &in.Run); err != nil {
				return nil, fmt.Errorf("inspection %d: %w", id, err)
			}
			expandRows(in.Rows, in.Items)
		case KindComplete:
			var c completionEntry
			if err := json.Unmarshal([]byte(body), &c); err != nil || in == nil {
				return nil, fmt.Errorf("inspection %d: bad completion entry", id)
			}
			applyCompletion(in, c.Completion, c.At)
		case KindSign:
			var sg Signature
			if err := json.Unmarshal([]byte(body), &sg); err != nil || in == nil {
				return nil, fmt.Errorf("inspection %d: bad signature entry", id)
			}
			in.Signatures = append(in.Signatures, sg)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if in == nil {
		return nil, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	in.refresh()
	return in, nil
}

// Get returns inspection id with its completions and signatures applied.
func (s *Store) Get(ctx context.Context, id int64) (*Inspection, error) {
	return load(ctx, s.db, id)
}

// Summary is an inspection in a listing (no rows).
type Summary struct {
	ID          int64     `json:"id"`
	Template    string    `json:"template"`
	Title       string    `json:"title"`
	Rhythm      Rhythm    `json:"rhythm"`
	Trigger     string    `json:"trigger"`
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	FinishedAt  time.Time `json:"finished_at"`
	Totals      Totals    `json:"totals"`
	Status      string    `json:"status"`
}

// Filter selects inspections for List.
type Filter struct {
	Template string
	From, To time.Time // period end within [From, To); zero = open
	Limit    int       // default 100
}

// List returns inspection summaries, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Summary, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := `SELECT seq, template, period_start, period_end, at, summary FROM entries WHERE kind = 'run'`
	var args []any
	if f.Template != "" {
		q += ` AND template = ?`
		args = append(args, f.Template)
	}
	if !f.From.IsZero() {
		q += ` AND period_end >= ?`
		args = append(args, f.From.UTC().Format(timeFmt))
	}
	if !f.To.IsZero() {
		q += ` AND period_end < ?`
		args = append(args, f.To.UTC().Format(timeFmt))
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []Summary
	for rows.Next() {
		var sm Summary
		var ps, pe, at, sum string
		if err := rows.Scan(&sm.ID, &sm.Template, &ps, &pe, &at, &sum); err != nil {
			rows.Close()
			return nil, err
		}
		var d summary
		if err := json.Unmarshal([]byte(sum), &d); err != nil {
			rows.Close()
			return nil, fmt.Errorf("inspection %d: %w", sm.ID, err)
		}
		sm.Title, sm.Rhythm, sm.Trigger, sm.Totals = d.Title, d.Rhythm, d.Trigger, d.Totals
		sm.PeriodStart, _ = time.Parse(timeFmt, ps)
		sm.PeriodEnd, _ = time.Parse(timeFmt, pe)
		sm.FinishedAt, _ = time.Parse(timeFmt, at)
		out = append(out, sm)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.fillStatus(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fillStatus applies the small completion and signature entries to a summary.
func (s *Store) fillStatus(ctx context.Context, sm *Summary) error {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, body FROM entries WHERE inspection = ? AND kind != 'run' ORDER BY seq`, sm.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var sigs []Signature
	for rows.Next() {
		var kind, body string
		if err := rows.Scan(&kind, &body); err != nil {
			return err
		}
		switch kind {
		case KindComplete:
			var c completionEntry
			if err := json.Unmarshal([]byte(body), &c); err != nil {
				return err
			}
			adjust(&sm.Totals, c.Prev, -1)
			adjust(&sm.Totals, c.Verdict, +1)
		case KindSign:
			var sg Signature
			if err := json.Unmarshal([]byte(body), &sg); err != nil {
				return err
			}
			sigs = append(sigs, sg)
		}
	}
	switch {
	case hasRole(sigs, RoleCustomer):
		sm.Status = "countersigned"
	case hasRole(sigs, RoleEngineer):
		sm.Status = "signed"
	case sm.Totals.Pending > 0:
		sm.Status = "pending"
	default:
		sm.Status = "completed"
	}
	return rows.Err()
}

func adjust(t *Totals, v Verdict, d int) {
	switch v {
	case Normal:
		t.Normal += d
	case Warning:
		t.Warning += d
	case Abnormal:
		t.Abnormal += d
	case Unchecked:
		t.Unchecked += d
	case Pending:
		t.Pending += d
	}
}

// VerifyResult is what Verify found.
type VerifyResult struct {
	Entries int `json:"entries"`
	// Legacy counts the entries written before the chain was keyed
	// (unkeyed SHA-256 links).
	Legacy int `json:"legacy,omitempty"`
	// OK is false when an entry's hash or link is wrong; Bad* name the first.
	OK            bool   `json:"ok"`
	BadSeq        int64  `json:"bad_seq,omitempty"`
	BadInspection int64  `json:"bad_inspection,omitempty"`
	BadKind       string `json:"bad_kind,omitempty"`
	Reason        string `json:"reason,omitempty"`
	Head          string `json:"head,omitempty"` // the last hash: write it down to detect truncation
	HeadSeq       int64  `json:"head_seq,omitempty"`
	// Recreated names protective triggers found missing at open.
	Recreated []string `json:"recreated_triggers,omitempty"`
	// hashes maps every keyed entry's hash to its seq (for stated heads).
	hashes map[string]int64
}

// Report is r as one chain's integrity report.
func (r VerifyResult) Report() integrity.Report {
	rep := integrity.Report{Chain: integrity.ChainInspections, Records: r.Entries, Legacy: r.Legacy, OK: r.OK,
		BadSeq: r.BadSeq, Reason: r.Reason, Head: r.Head, HeadSeq: r.HeadSeq, Hashes: r.hashes}
	if len(r.Recreated) > 0 && rep.OK {
		rep.Fail(0, fmt.Sprintf("protective triggers %v were missing (dropped) and were recreated at open", r.Recreated))
	}
	return rep
}

// Verify walks the chain from the first entry and reports the first entry
// whose hash does not match its content, whose link to the previous entry is
// broken, whose sequence number has a gap (a deleted record), or that is
// unkeyed although written after the chain was keyed (a rewrite that
// recomputed the plain hashes).
func (s *Store) Verify(ctx context.Context) (VerifyResult, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, inspection, kind, at, template, period_start, period_end, summary, body, prev_hash, hash, alg FROM entries ORDER BY seq`)
	if err != nil {
		return VerifyResult{}, err
	}
	defer rows.Close()
	res := VerifyResult{OK: true, Recreated: s.recreated, hashes: map[string]int64{}}
	keyedFrom := s.chain.KeyedFrom(integrity.ChainInspections)
	prev := ""
	var want int64 = 1
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.Seq, &e.Inspection, &e.Kind, &e.At, &e.Template, &e.PeriodStart, &e.PeriodEnd, &e.Summary, &e.Body, &e.PrevHash, &e.Hash, &e.Alg); err != nil {
			return res, err
		}
		res.Entries++
		if e.Alg == "" {
			res.Legacy++
		}
		bad := func(reason string) {
			res.OK, res.BadSeq, res.BadInspection, res.BadKind, res.Reason = false, e.Seq, e.Inspection, e.Kind, reason
		}
		h, herr := hashOf(s.chain, &e)
		switch {
		case e.Seq != want:
			bad(fmt.Sprintf("sequence gap: expected record %d, found %d (records deleted)", want, e.Seq))
		case e.PrevHash != prev:
			bad("link to the previous record is broken (prev_hash does not match)")
		case e.Alg == "" && keyedFrom > 0 && e.Seq >= keyedFrom:
			bad(fmt.Sprintf("record is unkeyed but the chain is keyed from record %d on (rewritten with plain hashes)", keyedFrom))
		case errors.Is(herr, errNoKey):
			bad("record is keyed and no integrity key was given (integrity.key_file)")
		case herr != nil:
			bad("content is not valid JSON: " + herr.Error())
		case h != e.Hash:
			bad("content was changed (hash mismatch)")
		}
		if !res.OK {
			return res, nil
		}
		if e.Alg != "" {
			res.hashes[e.Hash] = e.Seq
		}
		prev, want = e.Hash, e.Seq+1
	}
	res.Head, res.HeadSeq = prev, want-1
	return res, rows.Err()
}
