package collector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// CorruptDBError is a SQLite database that failed PRAGMA quick_check at
// start: serve refuses to run on it and leaves the file as it is.
type CorruptDBError struct {
	Path     string
	Findings []string // quick_check's first lines, or the error that stopped it
}

// maxFindings is how many of quick_check's lines the error keeps.
const maxFindings = 5

func (e *CorruptDBError) Error() string {
	return fmt.Sprintf("数据库损坏 database %s is damaged (PRAGMA quick_check):\n  %s\n"+
		"the file is left untouched; stop here, restore %s from the latest backup (see docs/security.md, \"Damage at start\"), then start again",
		e.Path, strings.Join(e.Findings, "\n  "), e.Path)
}

// checkSQLite runs PRAGMA quick_check on the database at path, on a
// connection of its own that writes nothing, before the store opens it. A
// missing file is fine (the store creates it). A damaged one is a
// *CorruptDBError; any other failure is returned wrapped.
func checkSQLite(ctx context.Context, path string) error {
	if !exists(path) {
		return nil
	}
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+v.Encode())
	if err != nil {
		return fmt.Errorf("quick_check %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return sqliteCheckErr(path, err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return sqliteCheckErr(path, err)
		}
		if line == "ok" {
			continue
		}
		if len(found) < maxFindings {
			found = append(found, line)
		}
	}
	if err := rows.Err(); err != nil {
		return sqliteCheckErr(path, err)
	}
	if len(found) > 0 {
		return &CorruptDBError{Path: path, Findings: found}
	}
	return nil
}

// sqliteCheckErr makes a corruption the driver reports while quick_check
// reads (SQLITE_CORRUPT, SQLITE_NOTADB) a *CorruptDBError.
func sqliteCheckErr(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return &CorruptDBError{Path: path, Findings: []string{se.Error()}}
		}
	}
	return fmt.Errorf("quick_check %s: %w", path, err)
}

// checkServeDatabases checks every SQLite database serve is about to open.
func checkServeDatabases(ctx context.Context, d DataDir, tickets bool) error {
	paths := []string{d.InspectionsDB(), d.AccountsDB()}
	if tickets {
		paths = append([]string{d.TicketsDB()}, paths...)
	}
	for _, p := range paths {
		if err := checkSQLite(ctx, p); err != nil {
			return err
		}
	}
	return nil
}
