package rollup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/roomwatch/roomwatch/internal/dbfile"
	"github.com/roomwatch/roomwatch/internal/report"
)

const schema = `
CREATE TABLE IF NOT EXISTS day_availability (
	day     TEXT NOT NULL,     -- local calendar date, 2006-01-02
	device  TEXT NOT NULL,
	class   TEXT NOT NULL DEFAULT '',
	site    TEXT NOT NULL DEFAULT '',
	samples REAL NOT NULL,     -- up samples seen that day
	up      REAL NOT NULL,     -- their sum (samples with value 1)
	PRIMARY KEY (day, device)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS days (
	day       TEXT PRIMARY KEY, -- a day rolled up (even with no devices)
	rolled_at TEXT NOT NULL
) WITHOUT ROWID;
`

// Store is the rollup database.
type Store struct {
	db *sql.DB
}

// ErrNotExist is returned by OpenReadOnly when there is no database yet.
var ErrNotExist = errors.New("rollup: no rollup database")

// Open opens (or creates) the rollup database at path for writing.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, false)
}

// OpenReadOnly opens an existing rollup database for reading (one-shot
// tools); it creates nothing.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, true)
}

func open(ctx context.Context, path string, ro bool) (*Store, error) {
	dsn := dbfile.Writable(path)
	if ro {
		v := url.Values{}
		v.Add("_pragma", "busy_timeout(10000)")
		v.Add("mode", "ro")
		dsn = "file:" + path + "?" + v.Encode()
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open rollups %s: %w", path, err)
	}
	if ro {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'days'`).Scan(&n); err != nil || n == 0 {
			db.Close()
			if err != nil {
				return nil, fmt.Errorf("open rollups %s: %w", path, err)
			}
			return nil, fmt.Errorf("open rollups %s: %w", path, ErrNotExist)
		}
		return &Store{db: db}, nil
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open rollups %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Put stores one day's rows, replacing any earlier roll-up of that day, in
// one transaction: a day is either wholly rolled up or not at all.
func (s *Store) Put(ctx context.Context, day string, devs map[string]*report.DeviceAvail, at time.Time) error {
	if _, err := time.Parse(report.DayLayout, day); err != nil {
		return fmt.Errorf("rollup: day %q: %w", day, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rollup %s: %w", day, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if _, err := tx.ExecContext(ctx, `DELETE FROM day_availability WHERE day = ?`, day); err != nil {
		return fmt.Errorf("rollup %s: %w", day, err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO day_availability (day, device, class, site, samples, up) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("rollup %s: %w", day, err)
	}
	defer ins.Close()
	for dev, d := range devs {
		if _, err := ins.ExecContext(ctx, day, dev, d.Class, d.Site, d.Samples, d.Up); err != nil {
			return fmt.Errorf("rollup %s %s: %w", day, dev, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO days (day, rolled_at) VALUES (?, ?)
		ON CONFLICT (day) DO UPDATE SET rolled_at = excluded.rolled_at`, day, at.UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("rollup %s: %w", day, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rollup %s: %w", day, err)
	}
	return nil
}

// Days returns the rows of the rolled-up days among days, by day and device.
// A day that was rolled up with no devices is present with an empty map; a
// day never rolled up is absent.
func (s *Store) Days(ctx context.Context, days []string) (map[string]map[string]*report.DeviceAvail, error) {
	out := map[string]map[string]*report.DeviceAvail{}
	if len(days) == 0 {
		return out, nil
	}
	want := make(map[string]bool, len(days))
	lo, hi := days[0], days[0]
	for _, d := range days {
		want[d] = true
		lo, hi = min(lo, d), max(hi, d)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT day FROM days WHERE day BETWEEN ? AND ?`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("rollups: %w", err)
	}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return nil, fmt.Errorf("rollups: %w", err)
		}
		if want[d] {
			out[d] = map[string]*report.DeviceAvail{}
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("rollups: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT day, device, class, site, samples, up FROM day_availability WHERE day BETWEEN ? AND ?`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("rollups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day string
		d := &report.DeviceAvail{}
		if err := rows.Scan(&day, &d.Device, &d.Class, &d.Site, &d.Samples, &d.Up); err != nil {
			return nil, fmt.Errorf("rollups: %w", err)
		}
		if m := out[day]; m != nil {
			m[d.Device] = d
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rollups: %w", err)
	}
	return out, nil
}

// Last returns the latest day rolled up, "" when none.
func (s *Store) Last(ctx context.Context) (string, error) {
	var d sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT max(day) FROM days`).Scan(&d); err != nil {
		return "", fmt.Errorf("rollups: %w", err)
	}
	return d.String, nil
}

// Prune deletes the days before day; it returns how many days went.
func (s *Store) Prune(ctx context.Context, before string) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("rollups prune: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if _, err := tx.ExecContext(ctx, `DELETE FROM day_availability WHERE day < ?`, before); err != nil {
		return 0, fmt.Errorf("rollups prune: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM days WHERE day < ?`, before)
	if err != nil {
		return 0, fmt.Errorf("rollups prune: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, tx.Commit()
}
