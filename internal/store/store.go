package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/util/compression"
)

// DefaultRetention keeps 40 days: a full calendar month for the monthly SLA
// report (due by the 5th of the next month) plus margin.
const DefaultRetention = 40 * 24 * time.Hour

// DefaultLookback is PromQL's lookback delta: how long a sample stays the
// current value of its series. Five minutes, as in Prometheus.
const DefaultLookback = 5 * time.Minute

// DefaultMaxSamples bounds the samples one query may hold in memory at once:
// 50 million, as Prometheus's --query.max-samples.
const DefaultMaxSamples = 50_000_000

// Options configure Open. Zero values take the defaults.
type Options struct {
	// Dir is the TSDB directory (created if missing). Required.
	Dir string
	// Retention is how long samples are kept; DefaultRetention when zero.
	Retention time.Duration
	// MaxBytes bounds the size of the blocks on disk; 0 means unbounded.
	MaxBytes int64
	// MaxBlockDuration bounds compaction; 10% of the retention (at most 31d)
	// when zero, as Prometheus does, so month-long queries read few blocks.
	MaxBlockDuration time.Duration
	// QueryTimeout bounds one PromQL query; 2 minutes when zero.
	QueryTimeout time.Duration
	// MaxSamples bounds the samples one query may load; DefaultMaxSamples when zero.
	MaxSamples int
	// MaxSeries bounds the series the head holds: a sample of a new series
	// beyond it is refused with ErrSeriesLimit, while the series the head
	// holds keep being appended. 0 means no limit.
	MaxSeries int
	// OutOfOrderWindow accepts samples this much older than a series' newest,
	// which agents replaying their disk buffer after an outage need; 0 rejects them.
	OutOfOrderWindow time.Duration
	// MaxAhead is the FutureGuard's bound; a head further ahead of Clock at
	// open is recovered (see recoverFutureHead). DefaultMaxAhead when zero.
	MaxAhead time.Duration
	// Clock is the collector's clock; the real clock when nil.
	Clock  clockwork.Clock
	Logger *slog.Logger
	// Registerer receives the TSDB's and the engine's own metrics (may be nil).
	Registerer prometheus.Registerer
}

// headStripes is the TSDB head's StripeSize (tsdb.DefaultStripeSize is 16,384).
const headStripes = 1024

// Store is an open TSDB with a PromQL engine. It implements storage.Appendable,
// storage.AppendableV2, storage.Queryable and storage.ExemplarQueryable.
type Store struct {
	// mu guards db, which reopen replaces after a failed WAL write
	// (health.go); readers take it only to fetch the pointer.
	mu     sync.RWMutex
	db     *tsdb.DB
	health health
	engine *promql.Engine
	meta   *MetadataStore
	opts   Options

	closeOnce sync.Once
	closeErr  error
}

// Open opens (or creates) the TSDB in opts.Dir.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("store: no data directory")
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 2 * time.Minute
	}
	if opts.MaxSamples <= 0 {
		opts.MaxSamples = DefaultMaxSamples
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxAhead <= 0 {
		opts.MaxAhead = DefaultMaxAhead
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := openDB(opts)
	if err != nil {
		return nil, err
	}
	engine := promql.NewEngine(promql.EngineOpts{
		Logger:               opts.Logger.With("component", "promql"),
		Reg:                  opts.Registerer,
		MaxSamples:           opts.MaxSamples,
		Timeout:              opts.QueryTimeout,
		LookbackDelta:        DefaultLookback,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
	})
	return &Store{db: db, engine: engine, meta: NewMetadataStore(), opts: opts}, nil
}

// openDB opens the TSDB of opts (Open's defaults applied).
func openDB(opts Options) (*tsdb.DB, error) {
	to := tsdb.DefaultOptions()
	to.RetentionDuration = opts.Retention.Milliseconds()
	if opts.MaxBlockDuration <= 0 {
		opts.MaxBlockDuration = min(opts.Retention/10, 31*24*time.Hour)
	}
	if mbd := opts.MaxBlockDuration.Milliseconds(); mbd > to.MinBlockDuration {
		to.MaxBlockDuration = mbd
	}
	to.MaxBytes = opts.MaxBytes
	to.OutOfOrderTimeWindow = opts.OutOfOrderWindow.Milliseconds()
	to.WALCompression = compression.Snappy
	// The head's series map in 1,024 stripes instead of 16,384: the
	// collector appends from a few goroutines (sweeps, scrapes, remote
	// write), and the default's empty stripes cost about 4 MB.
	to.StripeSize = headStripes
	limiter := &seriesLimiter{max: opts.MaxSeries}
	to.SeriesLifecycleCallback = limiter
	var reg prometheus.Registerer
	if opts.Registerer != nil {
		reg = replacingRegisterer{opts.Registerer}
	}
	db, err := tsdb.Open(opts.Dir, opts.Logger.With("component", "tsdb"), reg, to, nil)
	if err != nil {
		return nil, fmt.Errorf("store: open tsdb in %s: %w", opts.Dir, err)
	}
	limiter.head.Store(db.Head()) // after the WAL replay, which the limit must not refuse
	if _, err := recoverFutureHead(db, opts.Clock.Now(), opts.MaxAhead, opts.OutOfOrderWindow, opts.Logger); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// tsdbDB is the TSDB type (health.go names it without the import).
type tsdbDB = tsdb.DB

// Appender implements storage.Appendable.
func (s *Store) Appender(ctx context.Context) storage.Appender {
	if err := s.health.err(); err != nil {
		r := refusingAppender{err: err}
		if db := s.tsdb(); db != nil {
			r.Appender = db.Appender(ctx)
		}
		return r
	}
	return &watchedAppender{Appender: s.tsdb().Appender(ctx), s: s}
}

// AppenderV2 implements storage.AppendableV2.
func (s *Store) AppenderV2(ctx context.Context) storage.AppenderV2 {
	if err := s.health.err(); err != nil {
		r := refusingAppenderV2{err: err}
		if db := s.tsdb(); db != nil {
			r.AppenderV2 = db.AppenderV2(ctx)
		}
		return r
	}
	return &watchedAppenderV2{AppenderV2: s.tsdb().AppenderV2(ctx), s: s}
}

// Querier implements storage.Queryable.
func (s *Store) Querier(mint, maxt int64) (storage.Querier, error) {
	return s.tsdb().Querier(mint, maxt)
}

// ChunkQuerier implements storage.ChunkQueryable.
func (s *Store) ChunkQuerier(mint, maxt int64) (storage.ChunkQuerier, error) {
	db := s.tsdb()
	if db == nil {
		return nil, s.health.err()
	}
	return db.ChunkQuerier(mint, maxt)
}

// ExemplarQuerier implements storage.ExemplarQueryable.
func (s *Store) ExemplarQuerier(ctx context.Context) (storage.ExemplarQuerier, error) {
	db := s.tsdb()
	if db == nil {
		return nil, s.health.err()
	}
	return db.ExemplarQuerier(ctx)
}

// Engine returns the PromQL engine that queries this store.
func (s *Store) Engine() *promql.Engine { return s.engine }

// DB returns the underlying TSDB (for status pages and benchmarks).
func (s *Store) DB() *tsdb.DB { return s.tsdb() }

// Metadata returns the metric metadata (type, help, unit) seen by ingest.
func (s *Store) Metadata() *MetadataStore { return s.meta }

// Querier returns the PromQL Querier over this store.
func (s *Store) PromQL() Querier { return NewLocalQuerier(s.engine, s) }

// MaxSeries returns the head's series limit (0: none).
func (s *Store) MaxSeries() int { return s.opts.MaxSeries }

// Retention returns the configured retention.
func (s *Store) Retention() time.Duration { return s.opts.Retention }

// Close flushes the head to the write-ahead log and closes the TSDB. It is
// safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.engine.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.db == nil {
			return
		}
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("store: close tsdb: %w", err)
		}
	})
	return s.closeErr
}

// MetadataStore remembers each metric family's type, help and unit as the
// ingest paths saw them, for /api/v1/metadata (Grafana's metric browser).
type MetadataStore struct {
	mu sync.RWMutex
	m  map[string]metadata.Metadata
}

// NewMetadataStore returns an empty MetadataStore.
func NewMetadataStore() *MetadataStore {
	return &MetadataStore{m: map[string]metadata.Metadata{}}
}

// Set records the metadata of a metric family; the latest wins.
func (m *MetadataStore) Set(family string, md metadata.Metadata) {
	m.mu.RLock()
	old, ok := m.m[family]
	m.mu.RUnlock()
	if ok && old == md {
		return
	}
	m.mu.Lock()
	m.m[family] = md
	m.mu.Unlock()
}

// Get returns one family's metadata.
func (m *MetadataStore) Get(family string) (metadata.Metadata, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	md, ok := m.m[family]
	return md, ok
}

// Families returns the known family names, sorted.
func (m *MetadataStore) Families() []string {
	m.mu.RLock()
	out := make([]string, 0, len(m.m))
	for k := range m.m {
		out = append(out, k)
	}
	m.mu.RUnlock()
	sort.Strings(out)
	return out
}
