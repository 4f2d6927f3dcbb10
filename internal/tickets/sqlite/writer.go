package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// request is one Update waiting for the writer goroutine.
type request struct {
	ctx context.Context
	fn  func(tickets.Tx) error
	err chan error
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
	x := &txn{tx: tx, ctx: ctx, prepared: s.stmts, bound: make(map[string]*sql.Stmt, len(s.stmts)), chain: s.chain, heads: &s.heads}
	batchHeads := s.heads
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := x.ExecContext(ctx, qSavepoint); err != nil {
			errs[i] = err
			continue
		}
		reqHeads := s.heads
		errs[i] = r.fn(x)
		if errs[i] != nil {
			s.heads = reqHeads // the request's records are rolled back
			if _, err := x.ExecContext(ctx, qRollbackTo); err != nil {
				errs[i] = errors.Join(errs[i], err)
			}
		}
		if _, err := x.ExecContext(ctx, qRelease); err != nil && errs[i] == nil {
			errs[i] = err
		}
	}
	if err := tx.Commit(); err != nil {
		s.heads = batchHeads
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
	chain    *integrity.Chain     // nil: records unkeyed
	heads    *heads               // the Store's chain heads, advanced per record
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
