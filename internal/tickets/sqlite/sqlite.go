package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go driver "sqlite"

	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configures Open.
type Options struct {
	// Path of the database file; created when missing.
	Path string
	// MaxBatch bounds how many updates share one commit; default 256.
	MaxBatch int
	// Synchronous is FULL (default) or NORMAL.
	Synchronous string
	// CheckpointEvery is how many commits pass between WAL checkpoints
	// (PASSIVE, on a separate connection); default 256.
	CheckpointEvery int
	// Chain keys the event and audit chains; nil writes their records
	// unkeyed (no hashes), as before keys existed.
	Chain  *integrity.Chain
	Logger *slog.Logger
}

// Store is the SQLite ticket store.
type Store struct {
	w    *sql.DB // one connection: the writer goroutine's
	r    *sql.DB // readers (WAL lets them run beside the writer)
	reqs chan *request
	quit chan struct{}
	done chan struct{}
	max  int
	// stmts are the writer's statements, prepared once on its connection at
	// Open; a batch binds them to its transaction (no SQL parsing per alert).
	stmts map[string]*sql.Stmt

	ckpt      *sql.DB       // the checkpointer's connection
	kick      chan struct{} // wakes the checkpointer (buffer 1)
	ckptDone  chan struct{}
	ckptEvery int
	commits   int // writer goroutine only
	log       *slog.Logger

	chain     *integrity.Chain
	heads     heads    // the chains' last hashes; writer goroutine only
	recreated []string // protective triggers missing at Open
}

var _ tickets.Store = (*Store)(nil)

func dsn(path string, sync string, ro bool) string {
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "foreign_keys(1)")
	v.Add("_pragma", "synchronous("+sync+")")
	if ro {
		v.Add("_pragma", "query_only(1)")
	} else {
		v.Add("_pragma", "journal_mode(WAL)")
		// Savepoint sub-journals in memory, not in a temp file per request.
		v.Add("_pragma", "temp_store(MEMORY)")
		// No checkpoint inside a commit: the checkpointer goroutine runs them
		// on its own connection, off the intake's path.
		v.Add("_pragma", "wal_autocheckpoint(0)")
	}
	return "file:" + path + "?" + v.Encode()
}

// Open opens (creating or migrating) the database and starts its writer.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Path == "" {
		return nil, errors.New("tickets/sqlite: no database path")
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 256
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	sync := strings.ToUpper(o.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL":
	default:
		return nil, fmt.Errorf("tickets/sqlite: synchronous %q: want FULL or NORMAL", o.Synchronous)
	}
	w, err := sql.Open("sqlite", dsn(o.Path, sync, false))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", o.Path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate %s: %w", o.Path, err)
	}
	recreated, err := recreateTriggers(ctx, w)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", o.Path, err)
	}
	if len(recreated) > 0 {
		o.Logger.Warn("tickets: protective triggers were missing (dropped outside roomwatch) and are recreated; run roomwatch-collector verify",
			"db", o.Path, "triggers", recreated)
	}
	hd, err := loadHeads(ctx, w)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", o.Path, err)
	}
	r, err := sql.Open("sqlite", dsn(o.Path, sync, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", o.Path, err)
	}
	r.SetMaxOpenConns(4)
	c, err := sql.Open("sqlite", dsn(o.Path, sync, false))
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open %s: %w", o.Path, err)
	}
	c.SetMaxOpenConns(1)
	s := &Store{w: w, r: r, reqs: make(chan *request), quit: make(chan struct{}), done: make(chan struct{}), max: o.MaxBatch,
		stmts: make(map[string]*sql.Stmt, len(writerQueries)),
		ckpt:  c, kick: make(chan struct{}, 1), ckptDone: make(chan struct{}), ckptEvery: o.CheckpointEvery, log: o.Logger,
		chain: o.Chain, heads: hd, recreated: recreated}
	for _, q := range writerQueries {
		st, err := w.PrepareContext(ctx, q)
		if err != nil {
			_ = errors.Join(w.Close(), r.Close(), c.Close())
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
		s.stmts[q] = st
	}
	go s.writer()
	go s.checkpointer()
	return s, nil
}

// SchemaVersion returns the applied schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

// migrate applies the embedded migrations not yet recorded in schema_version.
func migrate(ctx context.Context, db *sql.DB) error { return migrateTo(ctx, db, math.MaxInt) }

// migrateTo is migrate up to version upTo (a test builds an older schema).
func migrateTo(ctx context.Context, db *sql.DB, upTo int) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	var cur int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", base)
		}
		if n <= cur || n > upTo {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, n, time.Now().UnixNano()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

// Close stops the writer and closes the database.
func (s *Store) Close() error {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	<-s.done
	<-s.ckptDone
	errs := []error{s.ckpt.Close()}
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(append(errs, s.w.Close(), s.r.Close())...)
}
