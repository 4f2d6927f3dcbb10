package accounts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/integrity"
)

// auditSchema is the chained audit table: every account event, linked like
// the ticket store's audit_log (alg, prev_hash, hash; unkeyed records carry
// no hashes, as the ticket store writes them without a key).
const auditSchema = `
CREATE TABLE IF NOT EXISTS audit (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  at        INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  user_name TEXT NOT NULL DEFAULT '',
  actor     TEXT NOT NULL DEFAULT '',
  remote    TEXT NOT NULL DEFAULT '',
  reason    TEXT NOT NULL DEFAULT '',
  until     INTEGER NOT NULL DEFAULT 0,
  alg       TEXT NOT NULL DEFAULT '',
  prev_hash TEXT NOT NULL DEFAULT '',
  hash      TEXT NOT NULL DEFAULT ''
);
`

// protectiveTriggers refuse to change or delete an audit record. Open
// recreates a missing one and says so (Recreated, Verify).
var protectiveTriggers = []struct{ name, sql string }{
	{"audit_no_update", `CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END`},
	{"audit_no_delete", `CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END`},
}

// missingTriggers names the protective triggers that are not in db.
func missingTriggers(ctx context.Context, db *sql.DB) ([]string, error) {
	var out []string
	for _, t := range protectiveTriggers {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?`, t.name).Scan(&n); err != nil {
			return out, fmt.Errorf("audit triggers: %w", err)
		}
		if n == 0 {
			out = append(out, t.name)
		}
	}
	return out, nil
}

// recreateTriggers creates the missing protective triggers and returns
// their names.
func recreateTriggers(ctx context.Context, db *sql.DB) ([]string, error) {
	missing, err := missingTriggers(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, t := range protectiveTriggers {
		for _, m := range missing {
			if m != t.name {
				continue
			}
			if _, err := db.ExecContext(ctx, t.sql); err != nil {
				return missing, fmt.Errorf("recreate trigger %s: %w", t.name, err)
			}
		}
	}
	return missing, nil
}

// Recreated names the protective triggers that were missing at Open
// (dropped outside roomwatch); a read-only store names them without
// recreating them.
func (s *Store) Recreated() []string { return s.recreated }

// auditDoc is what a record's link covers (keys in sorted order).
type auditDoc struct {
	Actor  string `json:"actor"`
	At     int64  `json:"at"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	Remote string `json:"remote"`
	Until  int64  `json:"until"`
	User   string `json:"user"`
}

func docOf(e Event) auditDoc {
	d := auditDoc{Actor: e.Actor, At: e.At.UnixNano(), Kind: e.Kind, Reason: e.Reason, Remote: e.Remote, User: e.User}
	if e.Until != nil {
		d.Until = e.Until.UnixNano()
	}
	return d
}

func (d auditDoc) bytes() []byte {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // a struct of strings and integers always marshals
	}
	return b
}

// appendAudit inserts e linked to the table's last record. tx holds the
// write lock (BEGIN IMMEDIATE), so a user command in another process
// cannot slip a record in between reading the head and inserting.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, e Event) error {
	d := docOf(e)
	alg, prev, hash := "", "", ""
	if s.o.Chain != nil {
		err := tx.QueryRowContext(ctx, `SELECT hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("audit: chain head: %w", err)
		}
		alg, hash = s.o.Chain.Tag(), s.o.Chain.Link(prev, d.bytes())
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit (at, kind, user_name, actor, remote, reason, until, alg, prev_hash, hash)
	  VALUES (?,?,?,?,?,?,?,?,?,?)`, d.At, d.Kind, d.User, d.Actor, d.Remote, d.Reason, d.Until, alg, prev, hash); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// NextAuditID is the id the next audit record will get (where the chain
// starts when a key is first used).
func (s *Store) NextAuditID(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0) + 1`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("audit: next id: %w", err)
	}
	return n, nil
}

// AuditHead returns the last audit record's id and hash (0, "" when empty),
// for the monthly report's anchors.
func (s *Store) AuditHead(ctx context.Context) (int64, string, error) {
	var id int64
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit head: %w", err)
	}
	return id, hash, nil
}

// Verify walks the audit chain: keyed records are checked with the store's
// chain; unkeyed records before the chain's keyed_from (written before the
// key) are counted as legacy, as the ticket store does.
func (s *Store) Verify(ctx context.Context) (integrity.Report, error) {
	name := integrity.ChainAccountsAudit
	w := integrity.NewWalk(name, s.o.Chain)
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, kind, user_name, actor, remote, reason, until, alg, prev_hash, hash FROM audit ORDER BY id`)
	if err != nil {
		return w.Report, fmt.Errorf("verify %s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d auditDoc
		var id int64
		var alg, prevHash, hash string
		if err := rows.Scan(&id, &d.At, &d.Kind, &d.User, &d.Actor, &d.Remote, &d.Reason, &d.Until, &alg, &prevHash, &hash); err != nil {
			return w.Report, fmt.Errorf("verify %s: %w", name, err)
		}
		w.Record(id, alg, prevHash, hash, d.bytes)
	}
	rep := w.Report
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("verify %s: %w", name, err)
	}
	if len(s.recreated) > 0 {
		rep.Fail(0, fmt.Sprintf("protective triggers %v were missing (dropped)", s.recreated))
	}
	return rep, nil
}

// SearchAudit returns the newest limit audit records that contain every
// word of query (case-insensitive) in their kind, user, actor, remote or
// reason, newest first; the console's audit search.
func (s *Store) SearchAudit(ctx context.Context, query string, limit int) ([]auth.AuditLine, error) {
	if limit <= 0 {
		limit = 200
	}
	q := `SELECT id, at, kind, user_name, actor, remote, reason, until FROM audit`
	var args []any
	var conds []string
	for _, w := range strings.Fields(strings.ToLower(query)) {
		conds = append(conds, `instr(lower(kind || ' ' || user_name || ' ' || actor || ' ' || remote || ' ' || reason), ?) > 0`)
		args = append(args, w)
	}
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search audit: %w", err)
	}
	defer rows.Close()
	var out []auth.AuditLine
	for rows.Next() {
		var id, at, until int64
		var e Event
		if err := rows.Scan(&id, &at, &e.Kind, &e.User, &e.Actor, &e.Remote, &e.Reason, &until); err != nil {
			return nil, fmt.Errorf("search audit: %w", err)
		}
		e.At = time.Unix(0, at)
		if until != 0 {
			t := time.Unix(0, until)
			e.Until = &t
		}
		text, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("search audit: %w", err)
		}
		who := e.Actor
		if who == "" {
			who = e.User
		}
		out = append(out, auth.AuditLine{At: e.At, Kind: e.Kind, Who: who, Text: string(text), LineNo: int(id)})
	}
	return out, rows.Err()
}
