package roster

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // the pure-Go driver "sqlite"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/dbfile"
)

// FileName is the roster database's name in the data directory.
const FileName = "roster.db"

// Store keeps the overrides added through the API and the audit of every
// change in their own SQLite file (WAL, synchronous FULL). Removed
// overrides are kept, marked removed; the audit table is append-only
// (triggers refuse updates and deletes).
type Store struct {
	db *sql.DB
}

// schemaVersion is the user_version the migrations bring a database to.
const schemaVersion = 1

// migrations[i] brings a database of user_version i to i+1.
var migrations = []string{`
CREATE TABLE overrides (
	id         INTEGER PRIMARY KEY,
	day_from   TEXT NOT NULL, -- YYYY-MM-DD, the first shift
	day_to     TEXT NOT NULL, -- the last shift (included)
	role       TEXT NOT NULL,
	users      TEXT NOT NULL, -- JSON array of account names
	reason     TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL, -- Unix milliseconds
	removed_by TEXT NOT NULL DEFAULT '',
	removed_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX overrides_live ON overrides(removed_at, day_to);
CREATE TABLE audit (
	id          INTEGER PRIMARY KEY,
	at          INTEGER NOT NULL, -- Unix milliseconds
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL, -- override.add | override.remove
	override_id INTEGER NOT NULL,
	detail      TEXT NOT NULL -- the override as JSON
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'roster audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'roster audit is append-only'); END;
`}

// OpenStore opens (creating or migrating) the roster database at path.
func OpenStore(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("roster: no database path")
	}
	db, err := sql.Open("sqlite", dbfile.Writable(path))
	if err != nil {
		return nil, fmt.Errorf("roster: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("roster: open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > schemaVersion {
		return fmt.Errorf("database version %d is newer than this roomwatch (%d)", v, schemaVersion)
	}
	for ; v < schemaVersion; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback() //nolint:errcheck // the error is the migration's
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback() //nolint:errcheck
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database.
func (st *Store) Close() error { return st.db.Close() }

// auditDetail is an override in the audit table.
type auditDetail struct {
	From   string   `json:"from"`
	To     string   `json:"to"`
	Role   Role     `json:"role"`
	Users  []string `json:"users"`
	Reason string   `json:"reason,omitempty"`
}

func detailOf(o Override) string {
	b, _ := json.Marshal(auditDetail{From: o.From.String(), To: o.Last().String(), Role: o.Role, Users: o.Users, Reason: o.Reason})
	return string(b)
}

// Add stores o (CreatedBy, CreatedAt set) with its audit record in one
// transaction and returns it with its id.
func (st *Store) Add(ctx context.Context, o Override) (Override, error) {
	users, err := json.Marshal(o.Users)
	if err != nil {
		return Override{}, fmt.Errorf("roster: %w", err)
	}
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return Override{}, fmt.Errorf("roster: store: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	res, err := tx.ExecContext(ctx, `INSERT INTO overrides(day_from, day_to, role, users, reason, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, o.From.String(), o.Last().String(), string(o.Role), string(users), o.Reason, o.CreatedBy, o.CreatedAt.UnixMilli())
	if err != nil {
		return Override{}, fmt.Errorf("roster: store: %w", err)
	}
	if o.ID, err = res.LastInsertId(); err != nil {
		return Override{}, fmt.Errorf("roster: store: %w", err)
	}
	if o.To == (calendar.Date{}) {
		o.To = o.From
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit(at, actor, action, override_id, detail) VALUES (?, ?, 'override.add', ?, ?)`,
		o.CreatedAt.UnixMilli(), o.CreatedBy, o.ID, detailOf(o)); err != nil {
		return Override{}, fmt.Errorf("roster: audit: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Override{}, fmt.Errorf("roster: store: %w", err)
	}
	return o, nil
}

// Remove marks override id removed, with its audit record. ErrNotFound when
// there is no such live override.
func (st *Store) Remove(ctx context.Context, id int64, actor string, at time.Time) error {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("roster: store: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	o, err := scanOverride(tx.QueryRowContext(ctx, `SELECT id, day_from, day_to, role, users, reason, created_by, created_at
		FROM overrides WHERE id = ? AND removed_at = 0`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: #%d", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("roster: store: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE overrides SET removed_by = ?, removed_at = ? WHERE id = ?`, actor, at.UnixMilli(), id); err != nil {
		return fmt.Errorf("roster: store: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit(at, actor, action, override_id, detail) VALUES (?, ?, 'override.remove', ?, ?)`,
		at.UnixMilli(), actor, id, detailOf(o)); err != nil {
		return fmt.Errorf("roster: audit: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("roster: store: %w", err)
	}
	return nil
}

func scanOverride(sc interface{ Scan(...any) error }) (Override, error) {
	var o Override
	var from, to, role, users string
	var created int64
	if err := sc.Scan(&o.ID, &from, &to, &role, &users, &o.Reason, &o.CreatedBy, &created); err != nil {
		return Override{}, err
	}
	var err error
	if o.From, err = calendar.ParseDate(from); err != nil {
		return Override{}, err
	}
	if o.To, err = calendar.ParseDate(to); err != nil {
		return Override{}, err
	}
	if err := json.Unmarshal([]byte(users), &o.Users); err != nil {
		return Override{}, fmt.Errorf("override #%d users: %w", o.ID, err)
	}
	o.Role, o.CreatedAt = Role(role), time.UnixMilli(created)
	return o, nil
}

// List returns the live (not removed) overrides by id.
func (st *Store) List(ctx context.Context) ([]Override, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT id, day_from, day_to, role, users, reason, created_by, created_at
		FROM overrides WHERE removed_at = 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("roster: list: %w", err)
	}
	defer rows.Close()
	var out []Override
	for rows.Next() {
		o, err := scanOverride(rows)
		if err != nil {
			return nil, fmt.Errorf("roster: list: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// AuditRecord is one line of the roster's audit table.
type AuditRecord struct {
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	OverrideID int64     `json:"override_id"`
	Detail     string    `json:"detail"`
}

// Audit returns the audit records, oldest first.
func (st *Store) Audit(ctx context.Context) ([]AuditRecord, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT at, actor, action, override_id, detail FROM audit ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("roster: audit: %w", err)
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		var a AuditRecord
		var at int64
		if err := rows.Scan(&at, &a.Actor, &a.Action, &a.OverrideID, &a.Detail); err != nil {
			return nil, fmt.Errorf("roster: audit: %w", err)
		}
		a.At = time.UnixMilli(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
