// Package dbfile spells the connection string of a SQLite database that
// roomwatch writes (the driver is modernc.org/sqlite): one place for the
// pragmas the data directory's databases (accounts, inspections, roster,
// silences, report roll-ups) open with.
package dbfile

import "net/url"

// Writable returns the DSN of the database at path, opened for writing:
// a 10 s busy timeout, WAL, synchronous FULL (an acknowledged write
// survives a power cut), and write transactions that take the write lock
// when they begin, so that a concurrent writer (the scheduler, a command
// in another process) is waited for instead of failing at once with
// SQLITE_BUSY when a read snapshot cannot be upgraded. pragmas are added
// after those, e.g. "foreign_keys(1)".
func Writable(path string, pragmas ...string) string {
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "synchronous(FULL)")
	for _, p := range pragmas {
		v.Add("_pragma", p)
	}
	v.Add("_txlock", "immediate")
	return "file:" + path + "?" + v.Encode()
}
