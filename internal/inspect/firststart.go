package inspect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The first start of the inspection schedule, kept in the record database
// (outside the hash chain: it records no inspection) so that catch-up never
// runs a due time from before the system was installed.
const firstStartSchema = `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`

// FirstStart returns when the schedule first started on this database,
// recording now the first time. A database that already holds records (an
// upgrade from a version that kept no such time) counts from its earliest
// record or period instead, so no due time its records cover is taken for
// "before install".
func (s *Store) FirstStart(ctx context.Context, now time.Time) (time.Time, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'first_start'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		first := now.UTC().Format(timeFmt)
		var earliest sql.NullString
		if err := s.db.QueryRowContext(ctx, `SELECT MIN(x) FROM (SELECT at AS x FROM entries UNION ALL SELECT period_end FROM entries WHERE period_end != '')`).Scan(&earliest); err != nil {
			return time.Time{}, fmt.Errorf("inspect: first start: %w", err)
		}
		if earliest.Valid && earliest.String != "" && earliest.String < first {
			first = earliest.String
		}
		if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES ('first_start', ?)`, first); err != nil {
			return time.Time{}, fmt.Errorf("inspect: first start: %w", err)
		}
		err = s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'first_start'`).Scan(&v)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("inspect: first start: %w", err)
	}
	t, err := time.Parse(timeFmt, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("inspect: first start %q: %w", v, err)
	}
	return t, nil
}
