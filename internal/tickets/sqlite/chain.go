package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// protectiveTriggers refuse to change or delete an event or audit record
// (migration 0001). Open recreates a missing one and says so.
var protectiveTriggers = []struct{ name, sql string }{
	{"audit_log_no_update", `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`},
	{"audit_log_no_delete", `CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`},
	{"events_no_update", `CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`},
	{"events_no_delete", `CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`},
}

// recreateTriggers recreates the protective triggers that are missing and
// returns their names.
func recreateTriggers(ctx context.Context, db *sql.DB) ([]string, error) {
	var made []string
	for _, t := range protectiveTriggers {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?`, t.name).Scan(&n); err != nil {
			return made, err
		}
		if n > 0 {
			continue
		}
		if _, err := db.ExecContext(ctx, t.sql); err != nil {
			return made, fmt.Errorf("recreate trigger %s: %w", t.name, err)
		}
		made = append(made, t.name)
	}
	return made, nil
}

// Recreated names the protective triggers that were missing at Open (someone
// dropped them) and were recreated.
func (s *Store) Recreated() []string { return s.recreated }

// heads are the last hashes of the two chains (the writer goroutine's).
type heads struct{ event, audit string }

// eventDoc is what an event's link covers (keys in sorted order).
type eventDoc struct {
	Actor    string `json:"actor"`
	At       int64  `json:"at"`
	Detail   string `json:"detail"`
	From     string `json:"from_state"`
	Kind     string `json:"kind"`
	Note     string `json:"note"`
	TicketID int64  `json:"ticket_id"`
	To       string `json:"to_state"`
	Worker   string `json:"worker"`
}

// auditDoc is what an audit record's link covers (keys in sorted order).
type auditDoc struct {
	Actor    string `json:"actor"`
	At       int64  `json:"at"`
	From     string `json:"from_state"`
	Kind     string `json:"kind"`
	Note     string `json:"note"`
	TicketID int64  `json:"ticket_id"`
	To       string `json:"to_state"`
	Worker   string `json:"worker"`
}

func (d eventDoc) audit() auditDoc {
	return auditDoc{Actor: d.Actor, At: d.At, From: d.From, Kind: d.Kind, Note: d.Note, TicketID: d.TicketID, To: d.To, Worker: d.Worker}
}

func docOf(id int64, e tickets.Event) eventDoc {
	return eventDoc{Actor: e.Actor, At: ns(e.At), Detail: e.Detail, From: string(e.From), Kind: e.Kind, Note: e.Note, TicketID: id, To: string(e.To), Worker: e.By}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings and integers always marshal
	}
	return b
}

// loadHeads reads the last hash of each chain ("" when empty or unkeyed).
func loadHeads(ctx context.Context, db *sql.DB) (heads, error) {
	var h heads
	for _, c := range []struct {
		table string
		dst   *string
	}{{"events", &h.event}, {"audit_log", &h.audit}} {
		err := db.QueryRowContext(ctx, `SELECT hash FROM `+c.table+` ORDER BY id DESC LIMIT 1`).Scan(c.dst)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return h, fmt.Errorf("chain head of %s: %w", c.table, err)
		}
	}
	return h, nil
}

// NextIDs are the row ids the next event and audit record will get (where
// their chains start when a key is first used).
func (s *Store) NextIDs(ctx context.Context) (event, audit int64, err error) {
	q := `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0) + 1`
	if err = s.r.QueryRowContext(ctx, q, "events").Scan(&event); err != nil {
		return 0, 0, err
	}
	err = s.r.QueryRowContext(ctx, q, "audit_log").Scan(&audit)
	return event, audit, err
}

// Heads returns the last id and hash of the event and audit chains, for the
// monthly report.
func (s *Store) Heads(ctx context.Context) (event, audit ChainHead, err error) {
	for _, c := range []struct {
		table string
		dst   *ChainHead
	}{{"events", &event}, {"audit_log", &audit}} {
		err = s.r.QueryRowContext(ctx, `SELECT id, hash FROM `+c.table+` ORDER BY id DESC LIMIT 1`).Scan(&c.dst.ID, &c.dst.Hash)
		if errors.Is(err, sql.ErrNoRows) {
			err = nil
		}
		if err != nil {
			return event, audit, err
		}
	}
	return event, audit, nil
}

// ChainHead is the last record of a chain.
type ChainHead struct {
	ID   int64
	Hash string
}

// Verify walks the event and audit chains; keyed records are checked with
// s's chain, records before the chain's keyed_from (written before the key)
// are counted as legacy.
func (s *Store) Verify(ctx context.Context) ([]integrity.Report, error) {
	ev, err := s.verifyTable(ctx, integrity.ChainTicketEvents,
		`SELECT id, ticket_id, at, actor, worker, kind, from_state, to_state, note, detail, alg, prev_hash, hash FROM events ORDER BY id`, true)
	if err != nil {
		return nil, err
	}
	au, err := s.verifyTable(ctx, integrity.ChainAudit,
		`SELECT id, ticket_id, at, actor, worker, kind, from_state, to_state, note, '', alg, prev_hash, hash FROM audit_log ORDER BY id`, false)
	if err != nil {
		return nil, err
	}
	if len(s.recreated) > 0 {
		ev.Fail(0, fmt.Sprintf("protective triggers %v were missing (dropped) and were recreated at open", s.recreated))
	}
	return []integrity.Report{ev, au}, nil
}

func (s *Store) verifyTable(ctx context.Context, name, q string, event bool) (integrity.Report, error) {
	w := integrity.NewWalk(name, s.chain)
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		return w.Report, fmt.Errorf("verify %s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d eventDoc
		var id int64
		var alg, prevHash, hash string
		if err := rows.Scan(&id, &d.TicketID, &d.At, &d.Actor, &d.Worker, &d.Kind, &d.From, &d.To, &d.Note, &d.Detail, &alg, &prevHash, &hash); err != nil {
			return w.Report, err
		}
		w.Record(id, alg, prevHash, hash, func() []byte {
			if event {
				return mustJSON(d)
			}
			return mustJSON(d.audit())
		})
	}
	return w.Report, rows.Err()
}
