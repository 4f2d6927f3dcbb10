package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// ErrUnavailable is an append refused because the TSDB could not write its
// write-ahead log (a full disk) and has not been reopened yet: the sender
// should keep its samples and retry (remote write answers 503).
var ErrUnavailable = errors.New("storage unavailable")

// Why a failed WAL write needs a reopen: a commit whose WAL record spans
// pages and fails part-way (ENOSPC) leaves the record torn in the segment.
// Later records are appended after the tear, and at the next start the WAL
// replay finds "corruption in segment" and Repair truncates the segment
// there: every sample acknowledged after the tear is lost. So after a
// failed commit the store refuses appends until Recover has closed the TSDB
// (its WAL page flushed once space is back) and opened it again, which
// repairs the tear before anything more is written and acknowledged.

// health is the store's write state.
type health struct {
	mu     sync.Mutex
	broken error // the failed commit; nil when healthy
	since  time.Time
}

func (h *health) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.broken == nil {
		return nil
	}
	return fmt.Errorf("%w: the write-ahead log could not be written (%v); appends are refused until the TSDB is reopened", ErrUnavailable, h.broken)
}

func (h *health) fail(err error, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.broken != nil {
		return false
	}
	h.broken, h.since = err, now
	return true
}

// Health returns nil while the store takes writes, else why not (wrapping
// ErrUnavailable).
func (s *Store) Health() error { return s.health.err() }

// commitFailed marks the store unhealthy after a failed commit.
func (s *Store) commitFailed(err error) {
	if s.health.fail(err, s.opts.Clock.Now()) {
		s.opts.Logger.Error("TSDB commit failed; refusing appends (503) until the TSDB is reopened", "err", err, "disk_full", errors.Is(err, syscall.ENOSPC))
	}
}

// Recover reopens the TSDB when the store is unhealthy and the data
// directory has at least minFree bytes free; it returns nil when the store
// is healthy afterwards. Queries wait for the moment of the swap.
func (s *Store) Recover(ctx context.Context, minFree uint64) error {
	if s.health.err() == nil {
		return nil
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(s.opts.Dir, &st); err != nil {
		return fmt.Errorf("store: statfs %s: %w", s.opts.Dir, err)
	}
	if free := st.Bavail * uint64(st.Bsize); free < minFree {
		return fmt.Errorf("%w: %d bytes free in %s, waiting for %d", ErrUnavailable, free, s.opts.Dir, minFree)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db != nil {
		if err := s.db.Close(); err != nil {
			s.opts.Logger.Warn("closing the TSDB after a failed write", "err", err)
		}
		s.db = nil
	}
	db, err := openDB(s.opts)
	if err != nil {
		return fmt.Errorf("%w: reopen: %v", ErrUnavailable, err)
	}
	s.db = db
	s.health.mu.Lock()
	s.health.broken = nil
	s.health.mu.Unlock()
	s.opts.Logger.Info("TSDB reopened after a failed write; appends are taken again")
	return nil
}

// tsdb returns the open TSDB (the current one after a reopen).
func (s *Store) tsdb() *tsdbDB {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.db
}

// watchedAppender marks the store unhealthy when its commit fails.
type watchedAppender struct {
	storage.Appender
	s *Store
}

func (a *watchedAppender) Commit() error {
	err := a.Appender.Commit()
	if err != nil {
		a.s.commitFailed(err)
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// refusingAppender refuses every sample with err (the store is unhealthy).
type refusingAppender struct {
	storage.Appender // a real appender, for the methods that do not append samples
	err              error
}

func (a refusingAppender) Append(storage.SeriesRef, labels.Labels, int64, float64) (storage.SeriesRef, error) {
	return 0, a.err
}

func (a refusingAppender) AppendHistogram(storage.SeriesRef, labels.Labels, int64, *histogram.Histogram, *histogram.FloatHistogram) (storage.SeriesRef, error) {
	return 0, a.err
}

func (a refusingAppender) Commit() error {
	_ = a.Rollback()
	return a.err
}

func (a refusingAppender) Rollback() error {
	if a.Appender != nil {
		return a.Appender.Rollback()
	}
	return nil
}

func (a refusingAppender) SetOptions(o *storage.AppendOptions) {
	if a.Appender != nil {
		a.Appender.SetOptions(o)
	}
}

type watchedAppenderV2 struct {
	storage.AppenderV2
	s *Store
}

func (a *watchedAppenderV2) Commit() error {
	err := a.AppenderV2.Commit()
	if err != nil {
		a.s.commitFailed(err)
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

type refusingAppenderV2 struct {
	storage.AppenderV2
	err error
}

func (a refusingAppenderV2) Append(storage.SeriesRef, labels.Labels, int64, int64, float64, *histogram.Histogram, *histogram.FloatHistogram, storage.AppendV2Options) (storage.SeriesRef, error) {
	return 0, a.err
}

func (a refusingAppenderV2) Commit() error {
	_ = a.Rollback()
	return a.err
}

func (a refusingAppenderV2) Rollback() error {
	if a.AppenderV2 != nil {
		return a.AppenderV2.Rollback()
	}
	return nil
}

// replacingRegisterer registers the metrics of a reopened TSDB in place of
// the closed one's (the TSDB registers the same names again).
type replacingRegisterer struct{ prometheus.Registerer }

func (r replacingRegisterer) Register(c prometheus.Collector) error {
	err := r.Registerer.Register(c)
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		r.Registerer.Unregister(are.ExistingCollector)
		return r.Registerer.Register(c)
	}
	return err
}

func (r replacingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}
