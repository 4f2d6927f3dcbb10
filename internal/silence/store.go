package silence

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/roomwatch/roomwatch/internal/dbfile"
	_ "modernc.org/sqlite" // the pure-Go driver "sqlite"
)

// Store keeps silences in their own SQLite file (WAL, synchronous FULL: a
// Put that returned survives a crash).
type Store struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS silences (
	id         TEXT PRIMARY KEY,
	matchers   TEXT NOT NULL, -- JSON [{"name","value","type"}]
	starts_at  INTEGER NOT NULL, -- Unix milliseconds
	ends_at    INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	comment    TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS silences_ends ON silences(ends_at);
`

// OpenStore opens (creating when missing) the silence database at path.
func OpenStore(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("silence: no database path")
	}
	db, err := sql.Open("sqlite", dbfile.Writable(path))
	if err != nil {
		return nil, fmt.Errorf("silence: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("silence: open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (st *Store) Close() error { return st.db.Close() }

// storedMatcher is a matcher in the matchers column.
type storedMatcher struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Type  string `json:"type"` // = != =~ !~
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// Put inserts or replaces silences in one transaction; it returns after
// the commit (all are stored or none).
func (st *Store) Put(ctx context.Context, ss ...*Silence) error {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("silence: store: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	for _, s := range ss {
		sm := make([]storedMatcher, len(s.Matchers))
		for i, m := range s.Matchers {
			sm[i] = storedMatcher{Name: m.Name, Value: m.Value, Type: m.Type.String()}
		}
		b, err := json.Marshal(sm)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO silences
			(id, matchers, starts_at, ends_at, created_by, comment, updated_at) VALUES (?,?,?,?,?,?,?)`,
			s.ID, string(b), ms(s.StartsAt), ms(s.EndsAt), s.CreatedBy, s.Comment, ms(s.UpdatedAt)); err != nil {
			return fmt.Errorf("silence: store %s: %w", s.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("silence: store: %w", err)
	}
	return nil
}

// All returns every stored silence.
func (st *Store) All(ctx context.Context) ([]*Silence, error) {
	return st.query(ctx, `SELECT id, matchers, starts_at, ends_at, created_by, comment, updated_at FROM silences ORDER BY starts_at, id`)
}

// Between returns the silences in force at some moment of [start, end).
func (st *Store) Between(ctx context.Context, start, end time.Time) ([]*Silence, error) {
	return st.query(ctx, `SELECT id, matchers, starts_at, ends_at, created_by, comment, updated_at FROM silences
		WHERE starts_at < ? AND ends_at > ? AND ends_at > starts_at ORDER BY starts_at, id`, ms(end), ms(start))
}

func (st *Store) query(ctx context.Context, q string, args ...any) ([]*Silence, error) {
	rows, err := st.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("silence: read: %w", err)
	}
	defer rows.Close()
	var out []*Silence
	for rows.Next() {
		var (
			s               Silence
			mjs             string
			start, end, upd int64
		)
		if err := rows.Scan(&s.ID, &mjs, &start, &end, &s.CreatedBy, &s.Comment, &upd); err != nil {
			return nil, fmt.Errorf("silence: read: %w", err)
		}
		var sm []storedMatcher
		if err := json.Unmarshal([]byte(mjs), &sm); err != nil {
			return nil, fmt.Errorf("silence: %s: matchers: %w", s.ID, err)
		}
		for _, m := range sm {
			t, ok := matchTypes[m.Type]
			if !ok {
				return nil, fmt.Errorf("silence: %s: matcher type %q: %w", s.ID, m.Type, ErrInvalid)
			}
			c, err := NewMatcher(t, m.Name, m.Value)
			if err != nil {
				return nil, fmt.Errorf("silence: %s: %w", s.ID, err)
			}
			s.Matchers = append(s.Matchers, c)
		}
		s.StartsAt, s.EndsAt, s.UpdatedAt = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC(), time.UnixMilli(upd).UTC()
		out = append(out, &s)
	}
	return out, rows.Err()
}

var matchTypes = map[string]MatchType{"=": MatchEqual, "!=": MatchNotEqual, "=~": MatchRegexp, "!~": MatchNotRegexp}
