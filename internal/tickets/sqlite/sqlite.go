// Package sqlite is the default ticket store: SQLite in pure Go
// (modernc.org/sqlite), schema migrations from embedded SQL files, WAL with
// synchronous=FULL, and one writer goroutine that group-commits concurrent
// updates (each in its own savepoint) so that many webhook deliveries at once
// share one fsync without ever interleaving their read-modify-write.
//
// For speed the writer runs statements prepared once at Open, keeps savepoint
// sub-journals in memory, takes every update waiting when a commit starts,
// and never checkpoints inside a commit: a checkpointer goroutine runs a
// PASSIVE checkpoint on its own connection every CheckpointEvery commits.
//
// Why synchronous=FULL: in WAL mode NORMAL already survives a process crash
// (kill -9), but may lose the last commits on power loss. An Alertmanager that
// got a 2xx will not resend, so a lost commit is a lost ticket; the machine
// rooms do lose power. FULL costs one fsync per group commit, not per alert.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go driver "sqlite"

	"github.com/roomwatch/roomwatch/internal/sla"
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
	Logger          *slog.Logger
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
}

var _ tickets.Store = (*Store)(nil)

type request struct {
	ctx context.Context
	fn  func(tickets.Tx) error
	err chan error
}

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
		ckpt:  c, kick: make(chan struct{}, 1), ckptDone: make(chan struct{}), ckptEvery: o.CheckpointEvery, log: o.Logger}
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
func migrate(ctx context.Context, db *sql.DB) error {
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
		if n <= cur {
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

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("tickets/sqlite: store closed")

// Update implements tickets.Store.
func (s *Store) Update(ctx context.Context, fn func(tickets.Tx) error) error {
	req := &request{ctx: ctx, fn: fn, err: make(chan error, 1)}
	select {
	case s.reqs <- req:
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once handed over, wait for the commit even if ctx ends: the caller must
	// know whether its change is stored.
	return <-req.err
}

func (s *Store) writer() {
	defer close(s.done)
	for {
		var batch []*request
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
		case <-s.quit:
			return
		}
		s.drain(&batch)
		s.commit(batch)
		if s.commits++; s.commits%s.ckptEvery == 0 {
			select {
			case s.kick <- struct{}{}:
			default: // one is pending or running
			}
		}
	}
}

// drain appends the requests waiting now, up to the batch limit.
func (s *Store) drain(batch *[]*request) {
	for len(*batch) < s.max {
		select {
		case r := <-s.reqs:
			*batch = append(*batch, r)
		default:
			return
		}
	}
}

// checkpointer copies the WAL into the database file when the writer asks.
// A PASSIVE checkpoint runs beside the writer without blocking it; once it
// has caught up, the writer's next transaction restarts the WAL from the
// beginning, so the file stays small.
func (s *Store) checkpointer() {
	defer close(s.ckptDone)
	for {
		select {
		case <-s.kick:
		case <-s.quit:
			return
		}
		if _, _, err := s.checkpoint(context.Background()); err != nil {
			s.log.Warn("tickets: WAL checkpoint", "err", err)
		}
	}
}

// checkpoint runs a PASSIVE checkpoint and returns the frames in the WAL and
// how many of them are now in the database file.
func (s *Store) checkpoint(ctx context.Context) (frames, done int, err error) {
	var busy int
	err = s.ckpt.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done)
	return frames, done, err
}

// commit runs a batch in one transaction, each request in a savepoint.
func (s *Store) commit(batch []*request) {
	ctx := context.Background()
	errs := make([]error, len(batch))
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range batch {
			r.err <- fmt.Errorf("begin: %w", err)
		}
		return
	}
	x := &txn{tx: tx, ctx: ctx, prepared: s.stmts, bound: make(map[string]*sql.Stmt, len(s.stmts))}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := x.ExecContext(ctx, qSavepoint); err != nil {
			errs[i] = err
			continue
		}
		errs[i] = r.fn(x)
		if errs[i] != nil {
			if _, err := x.ExecContext(ctx, qRollbackTo); err != nil {
				errs[i] = errors.Join(errs[i], err)
			}
		}
		if _, err := x.ExecContext(ctx, qRelease); err != nil && errs[i] == nil {
			errs[i] = err
		}
	}
	if err := tx.Commit(); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("commit: %w", err)
			}
		}
	}
	for i, r := range batch {
		r.err <- errs[i]
	}
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// txn implements tickets.Tx on the writer's transaction. It is a querier
// that runs the writer's prepared statements inside the transaction.
type txn struct {
	tx       *sql.Tx
	ctx      context.Context
	prepared map[string]*sql.Stmt // the Store's, read-only
	bound    map[string]*sql.Stmt // prepared statements bound to tx
}

var _ querier = (*txn)(nil)

// stmt returns q's prepared statement bound to the transaction, or nil when q
// is not one of writerQueries.
func (x *txn) stmt(ctx context.Context, q string) *sql.Stmt {
	if st, ok := x.bound[q]; ok {
		return st
	}
	p, ok := x.prepared[q]
	if !ok {
		return nil
	}
	st := x.tx.StmtContext(ctx, p)
	x.bound[q] = st
	return st
}

func (x *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := x.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return x.tx.ExecContext(ctx, q, args...)
}

func (x *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := x.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return x.tx.QueryContext(ctx, q, args...)
}

func (x *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := x.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return x.tx.QueryRowContext(ctx, q, args...)
}

// The writer's statements (writerQueries are prepared at Open).
const (
	qSavepoint     = `SAVEPOINT req`
	qRollbackTo    = `ROLLBACK TO req`
	qRelease       = `RELEASE req`
	qTicketByID    = `SELECT ` + ticketCols + ` FROM tickets WHERE id = ?`
	qTimers        = `SELECT spec, started_at, met_at FROM timers WHERE ticket_id = ? ORDER BY rowid`
	qParts         = `SELECT part, serial, location, cause, at, actor, worker FROM parts WHERE ticket_id = ? ORDER BY id`
	qAffected      = `SELECT device, alertname, at FROM affected WHERE ticket_id = ? ORDER BY id`
	qEvents        = `SELECT id, at, actor, worker, kind, from_state, to_state, note, detail FROM events WHERE ticket_id = ? ORDER BY id`
	qLatestByGroup = `SELECT ` + ticketCols + ` FROM tickets WHERE group_key = ? AND group_key <> '' ORDER BY id DESC LIMIT 1`
	qLatestReach   = `SELECT ` + ticketCols + ` FROM tickets WHERE reach = 1 AND device = ? ORDER BY id DESC LIMIT 1`
	qAlert         = `SELECT fingerprint, ticket_id, firing, affected, starts_at, ends_at, last_seen FROM alerts WHERE fingerprint = ?`
	qPutAlert      = `INSERT OR REPLACE INTO alerts (fingerprint, ticket_id, firing, affected, starts_at, ends_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)`
	qFiring        = `SELECT COUNT(*) FROM alerts WHERE ticket_id = ? AND firing = 1 AND affected = 0`
	qInsertTicket  = `INSERT INTO tickets (level, state, title, description, device, site, category, grp, source,
group_key, labels, reach, reporter, assignee, cause, fix, opened_at, updated_at, recovered_at, resolved_at, closed_at, last_alert_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qSaveTicket = `UPDATE tickets SET level = ?, state = ?, title = ?, description = ?, site = ?, category = ?,
grp = ?, assignee = ?, cause = ?, fix = ?, updated_at = ?, recovered_at = ?, resolved_at = ?, closed_at = ?, last_alert_at = ?
WHERE id = ?`
	qSaveTimer    = `UPDATE timers SET started_at = ?, met_at = ? WHERE ticket_id = ? AND kind = ?`
	qInsertEvent  = `INSERT INTO events (ticket_id, at, actor, worker, kind, from_state, to_state, note, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInsertPart   = `INSERT INTO parts (ticket_id, part, serial, location, cause, at, actor, worker) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qInsertAffect = `INSERT INTO affected (ticket_id, device, alertname, at) VALUES (?, ?, ?, ?)`
	qClaimNotice  = `INSERT OR IGNORE INTO notices (key, ticket_id, timer, step, kind, role, due_at, state)
VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')`
	qFinishNotice = `UPDATE notices SET state = ?, finished_at = ? WHERE key = ?`
)

// qInsertTimers[n] inserts n timers (n ≥ 1; a ticket has at most one timer
// of each kind).
var qInsertTimers = func() []string {
	q := []string{""}
	for n := 1; n <= len(sla.Kinds()); n++ {
		q = append(q, `INSERT INTO timers (ticket_id, kind, spec, started_at, met_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", n), ", "))
	}
	return q
}()

var writerQueries = append([]string{qSavepoint, qRollbackTo, qRelease, qTicketByID, qTimers, qParts, qAffected, qEvents,
	qLatestByGroup, qLatestReach, qAlert, qPutAlert, qFiring, qInsertTicket, qSaveTicket, qSaveTimer,
	qInsertEvent, qInsertPart, qInsertAffect, qClaimNotice, qFinishNotice}, qInsertTimers[1:]...)

func ns(t time.Time) int64 { return t.UnixNano() }

func nsp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}

func fromNS(v int64) time.Time { return time.Unix(0, v).UTC() }

func fromNull(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromNS(v.Int64)
	return &t
}

const ticketCols = `id, level, state, title, description, device, site, category, grp, source, group_key, labels, reach,
reporter, assignee, cause, fix, opened_at, updated_at, recovered_at, resolved_at, closed_at, last_alert_at`

func scanTicket(sc interface{ Scan(...any) error }) (*tickets.Ticket, error) {
	var t tickets.Ticket
	var labels string
	var opened, updated int64
	var rec, res, clo, last sql.NullInt64
	var cat string
	if err := sc.Scan(&t.ID, &t.Level, &t.State, &t.Title, &t.Description, &t.Device, &t.Site, &cat, &t.Group,
		&t.Source, &t.GroupKey, &labels, &t.Reach, &t.Reporter, &t.Assignee, &t.Cause, &t.Fix,
		&opened, &updated, &rec, &res, &clo, &last); err != nil {
		return nil, err
	}
	t.Category = tickets.Category(cat)
	if labels != "" && labels != "{}" && labels != "null" {
		if err := json.Unmarshal([]byte(labels), &t.Labels); err != nil {
			return nil, fmt.Errorf("ticket %d labels: %w", t.ID, err)
		}
	}
	t.OpenedAt, t.UpdatedAt = fromNS(opened), fromNS(updated)
	t.RecoveredAt, t.ResolvedAt, t.ClosedAt, t.LastAlertAt = fromNull(rec), fromNull(res), fromNull(clo), fromNull(last)
	return &t, nil
}

func getTicket(ctx context.Context, q querier, id int64, events bool) (*tickets.Ticket, error) {
	t, err := scanTicket(q.QueryRowContext(ctx, qTicketByID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %d", tickets.ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	if err := loadDetails(ctx, q, t, events); err != nil {
		return nil, err
	}
	return t, nil
}

func loadTimers(ctx context.Context, q querier, t *tickets.Ticket) error {
	rows, err := q.QueryContext(ctx, qTimers, t.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	t.Timers = t.Timers[:0]
	for rows.Next() {
		var spec string
		var st, met sql.NullInt64
		if err := rows.Scan(&spec, &st, &met); err != nil {
			return err
		}
		var tm tickets.Timer
		if err := json.Unmarshal([]byte(spec), &tm.Spec); err != nil {
			return fmt.Errorf("ticket %d timer spec: %w", t.ID, err)
		}
		tm.StartedAt, tm.MetAt = fromNull(st), fromNull(met)
		t.Timers = append(t.Timers, tm)
	}
	return rows.Err()
}

func loadDetails(ctx context.Context, q querier, t *tickets.Ticket, events bool) error {
	if err := loadTimers(ctx, q, t); err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, qParts, t.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var p tickets.Part
		var at int64
		if err := rows.Scan(&p.Part, &p.Serial, &p.Location, &p.Cause, &at, &p.Actor, &p.By); err != nil {
			rows.Close()
			return err
		}
		p.At = fromNS(at)
		t.Parts = append(t.Parts, p)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, qAffected, t.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a tickets.Affected
		var at int64
		if err := rows.Scan(&a.Device, &a.Alertname, &at); err != nil {
			rows.Close()
			return err
		}
		a.At = fromNS(at)
		t.Affected = append(t.Affected, a)
	}
	rows.Close()
	if !events {
		return nil
	}
	rows, err = q.QueryContext(ctx, qEvents, t.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e tickets.Event
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.By, &e.Kind, &e.From, &e.To, &e.Note, &e.Detail); err != nil {
			return err
		}
		e.At = fromNS(at)
		t.Events = append(t.Events, e)
	}
	return rows.Err()
}

func (x *txn) Get(id int64) (*tickets.Ticket, error) { return getTicket(x.ctx, x, id, true) }

func (x *txn) latest(q string, arg any) (*tickets.Ticket, error) {
	t, err := scanTicket(x.QueryRowContext(x.ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// Only the timers: the intake path saves them; parts and affected
	// devices are not needed there.
	return t, loadTimers(x.ctx, x, t)
}

func (x *txn) LatestByGroup(key string) (*tickets.Ticket, error) {
	return x.latest(qLatestByGroup, key)
}

func (x *txn) ActiveReachability(device string) (*tickets.Ticket, error) {
	t, err := x.latest(qLatestReach, device)
	if err != nil || t == nil {
		return nil, err
	}
	if !t.State.Active() {
		return nil, nil
	}
	return t, nil
}

func (x *txn) Alert(fp string) (*tickets.AlertRecord, error) {
	var r tickets.AlertRecord
	var st, en, ls int64
	err := x.QueryRowContext(x.ctx, qAlert, fp).
		Scan(&r.Fingerprint, &r.TicketID, &r.Firing, &r.Affected, &st, &en, &ls)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.StartsAt, r.LastSeen = fromNS(st), fromNS(ls)
	if en != 0 {
		r.EndsAt = fromNS(en)
	}
	return &r, nil
}

func (x *txn) PutAlert(r tickets.AlertRecord) error {
	var en int64
	if !r.EndsAt.IsZero() {
		en = ns(r.EndsAt)
	}
	_, err := x.ExecContext(x.ctx, qPutAlert, r.Fingerprint, r.TicketID, r.Firing, r.Affected, ns(r.StartsAt), en, ns(r.LastSeen))
	return err
}

func (x *txn) FiringAlerts(id int64) (int, error) {
	var n int
	err := x.QueryRowContext(x.ctx, qFiring, id).Scan(&n)
	return n, err
}

func labelsJSON(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

func (x *txn) Insert(t *tickets.Ticket) error {
	lj, err := labelsJSON(t.Labels)
	if err != nil {
		return err
	}
	res, err := x.ExecContext(x.ctx, qInsertTicket,
		int(t.Level), t.State, t.Title, t.Description, t.Device, t.Site, string(t.Category), t.Group, t.Source,
		t.GroupKey, lj, t.Reach, t.Reporter, t.Assignee, t.Cause, t.Fix, ns(t.OpenedAt), ns(t.UpdatedAt),
		nsp(t.RecoveredAt), nsp(t.ResolvedAt), nsp(t.ClosedAt), nsp(t.LastAlertAt))
	if err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	// All timers in one statement (one row each).
	for ts := t.Timers; len(ts) > 0; {
		n := min(len(ts), len(qInsertTimers)-1)
		args := make([]any, 0, 5*n)
		for _, tm := range ts[:n] {
			spec, err := json.Marshal(tm.Spec)
			if err != nil {
				return err
			}
			args = append(args, t.ID, tm.Name(), string(spec), nsp(tm.StartedAt), nsp(tm.MetAt))
		}
		if _, err := x.ExecContext(x.ctx, qInsertTimers[n], args...); err != nil {
			return fmt.Errorf("insert timers: %w", err)
		}
		ts = ts[n:]
	}
	return nil
}

func (x *txn) Save(t *tickets.Ticket) error {
	res, err := x.ExecContext(x.ctx, qSaveTicket, int(t.Level), t.State, t.Title, t.Description, t.Site, string(t.Category), t.Group, t.Assignee, t.Cause, t.Fix,
		ns(t.UpdatedAt), nsp(t.RecoveredAt), nsp(t.ResolvedAt), nsp(t.ClosedAt), nsp(t.LastAlertAt), t.ID)
	if err != nil {
		return fmt.Errorf("save ticket %d: %w", t.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%w: %d", tickets.ErrNotFound, t.ID)
	}
	for _, tm := range t.Timers {
		if _, err := x.ExecContext(x.ctx, qSaveTimer,
			nsp(tm.StartedAt), nsp(tm.MetAt), t.ID, tm.Name()); err != nil {
			return fmt.Errorf("save timer: %w", err)
		}
	}
	return nil
}

func (x *txn) AddEvent(id int64, e tickets.Event) error {
	// The events_audit trigger (migration 0003) writes the audit record.
	if _, err := x.ExecContext(x.ctx, qInsertEvent, id, ns(e.At), e.Actor, e.By, e.Kind, e.From, e.To, e.Note, e.Detail); err != nil {
		return fmt.Errorf("add event: %w", err)
	}
	return nil
}

func (x *txn) AddPart(id int64, p tickets.Part) error {
	_, err := x.ExecContext(x.ctx, qInsertPart,
		id, p.Part, p.Serial, p.Location, p.Cause, ns(p.At), p.Actor, p.By)
	return err
}

func (x *txn) AddAffected(id int64, a tickets.Affected) error {
	_, err := x.ExecContext(x.ctx, qInsertAffect,
		id, a.Device, a.Alertname, ns(a.At))
	return err
}

func (x *txn) ClaimNotice(n tickets.Notice) (bool, error) {
	res, err := x.ExecContext(x.ctx, qClaimNotice, n.Key, n.TicketID, n.Timer, n.Step, n.Kind, n.Role, ns(n.DueAt))
	if err != nil {
		return false, err
	}
	c, err := res.RowsAffected()
	return c == 1, err
}

func (x *txn) FinishNotice(key string, st tickets.NoticeState, at time.Time) error {
	_, err := x.ExecContext(x.ctx, qFinishNotice, st, ns(at), key)
	return err
}

// Get implements tickets.Store.
func (s *Store) Get(ctx context.Context, id int64) (*tickets.Ticket, error) {
	return getTicket(ctx, s.r, id, true)
}

// List implements tickets.Store.
func (s *Store) List(ctx context.Context, f tickets.Filter) ([]tickets.Ticket, error) {
	var where []string
	var args []any
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, st := range f.States {
			ph[i] = "?"
			args = append(args, st)
		}
		where = append(where, "state IN ("+strings.Join(ph, ",")+")")
	}
	if f.Level != 0 {
		where, args = append(where, "level = ?"), append(args, int(f.Level))
	}
	if f.Site != "" {
		where, args = append(where, "site = ?"), append(args, f.Site)
	}
	if f.Device != "" {
		where, args = append(where, "device = ?"), append(args, f.Device)
	}
	if !f.From.IsZero() {
		where, args = append(where, "opened_at >= ?"), append(args, ns(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "opened_at < ?"), append(args, ns(f.To))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q := `SELECT ` + ticketCols + ` FROM tickets`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ? OFFSET ?"
	args = append(args, limit, max(f.Offset, 0))
	return s.queryTickets(ctx, q, args...)
}

// RunningTimers implements tickets.Store.
func (s *Store) RunningTimers(ctx context.Context) ([]tickets.Ticket, error) {
	return s.queryTickets(ctx, `SELECT `+ticketCols+` FROM tickets WHERE state IN ('open','acknowledged','dispatched','on_site','reopened')
AND id IN (SELECT ticket_id FROM timers WHERE met_at IS NULL AND started_at IS NOT NULL) ORDER BY id`)
}

// queryTickets runs a query selecting ticketCols and loads each ticket's timers.
func (s *Store) queryTickets(ctx context.Context, q string, args ...any) ([]tickets.Ticket, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []tickets.Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := loadTimers(ctx, s.r, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PendingNotices implements tickets.Store.
func (s *Store) PendingNotices(ctx context.Context) ([]tickets.Notice, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, ticket_id, timer, step, kind, role, due_at, state FROM notices WHERE state = 'pending' ORDER BY due_at, key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tickets.Notice
	for rows.Next() {
		var n tickets.Notice
		var due int64
		if err := rows.Scan(&n.Key, &n.TicketID, &n.Timer, &n.Step, &n.Kind, &n.Role, &due, &n.State); err != nil {
			return nil, err
		}
		n.DueAt = fromNS(due)
		out = append(out, n)
	}
	return out, rows.Err()
}

// AuditCount returns the number of audit records (for tests and health).
func (s *Store) AuditCount(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&n)
	return n, err
}
