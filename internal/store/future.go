package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// DefaultMaxAhead is how far past the collector's clock a sample may be
// stamped: 10 minutes, as Prometheus's remote-write receiver and scrapes
// allow. A sample further ahead would move the TSDB head forward, and every
// sample of the present would then be refused as too old.
const DefaultMaxAhead = 10 * time.Minute

// ReasonTooFarInFuture is the reason label of
// roomwatch_ingest_samples_dropped_total for samples the FutureGuard refused.
const ReasonTooFarInFuture = "too_far_in_future"

// ErrTooFarInFuture is returned by a FutureGuard's appenders for a sample
// stamped more than MaxAhead past the clock. It wraps storage.ErrOutOfBounds,
// so code that treats out-of-bounds samples as per-sample rejections (skip,
// count, answer 400) treats it the same way.
var ErrTooFarInFuture = fmt.Errorf("%w: timestamp too far in the future", storage.ErrOutOfBounds)

// FutureGuardOptions configure NewFutureGuard.
type FutureGuardOptions struct {
	// MaxAhead bounds how far past Clock.Now() a sample may be; DefaultMaxAhead when zero.
	MaxAhead time.Duration
	// Clock is the collector's clock; the real clock when nil.
	Clock clockwork.Clock
	// Metrics receives a count per source of the refused samples (nil: unregistered counters).
	Metrics *IngestMetrics
}

// FutureGuard wraps the storage.Appendable every ingest path writes to and
// refuses samples stamped more than MaxAhead past the clock, so that no
// source (remote write, scrape, probe, agent push) can move the TSDB head into
// the future. Source returns the Appendable one ingest path uses, so that the
// refusals are counted per source.
type FutureGuard struct {
	next     storage.Appendable
	maxAhead time.Duration
	clock    clockwork.Clock
	metrics  *IngestMetrics
}

// NewFutureGuard wraps next.
func NewFutureGuard(next storage.Appendable, opts FutureGuardOptions) *FutureGuard {
	if opts.MaxAhead <= 0 {
		opts.MaxAhead = DefaultMaxAhead
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Metrics == nil {
		opts.Metrics = NewIngestMetrics(nil)
	}
	return &FutureGuard{next: next, maxAhead: opts.MaxAhead, clock: opts.Clock, metrics: opts.Metrics}
}

// MaxAhead returns the bound in force.
func (g *FutureGuard) MaxAhead() time.Duration { return g.maxAhead }

// Source returns the Appendable for one ingest path; its refusals are counted
// as roomwatch_ingest_samples_dropped_total{source=name, reason="too_far_in_future"}.
func (g *FutureGuard) Source(name string) storage.Appendable {
	return &guardedSource{g: g, dropped: g.metrics.Dropped.WithLabelValues(name, ReasonTooFarInFuture),
		limited: g.metrics.Dropped.WithLabelValues(name, ReasonSeriesLimit)}
}

type guardedSource struct {
	g       *FutureGuard
	dropped prometheus.Counter
	limited prometheus.Counter // samples of new series the store's series limit refused
}

// Appender implements storage.Appendable. The bound is fixed when the
// appender is made, as in Prometheus: one transaction, one limit.
func (s *guardedSource) Appender(ctx context.Context) storage.Appender {
	now := s.g.clock.Now()
	return &futureAppender{
		Appender: s.g.next.Appender(ctx),
		now:      now,
		maxT:     now.Add(s.g.maxAhead).UnixMilli(),
		dropped:  s.dropped,
		limited:  s.limited,
	}
}

type futureAppender struct {
	storage.Appender
	now     time.Time
	maxT    int64
	dropped prometheus.Counter
	limited prometheus.Counter
}

// count counts a sample the store refused for the series limit, so that
// every source's refusals show in roomwatch_ingest_samples_dropped_total.
func (a *futureAppender) count(ref storage.SeriesRef, err error) (storage.SeriesRef, error) {
	if err != nil && IsSeriesLimit(err) {
		a.limited.Inc()
	}
	return ref, err
}

// check returns ErrTooFarInFuture (wrapped with the sample's time) when t is past the bound.
func (a *futureAppender) check(t int64) error {
	if t <= a.maxT {
		return nil
	}
	a.dropped.Inc()
	return &FutureError{T: time.UnixMilli(t), Now: a.now, MaxAhead: time.UnixMilli(a.maxT).Sub(a.now)}
}

func (a *futureAppender) Append(ref storage.SeriesRef, l labels.Labels, t int64, v float64) (storage.SeriesRef, error) {
	if err := a.check(t); err != nil {
		return 0, err
	}
	return a.count(a.Appender.Append(ref, l, t, v))
}

func (a *futureAppender) AppendHistogram(ref storage.SeriesRef, l labels.Labels, t int64, h *histogram.Histogram, fh *histogram.FloatHistogram) (storage.SeriesRef, error) {
	if err := a.check(t); err != nil {
		return 0, err
	}
	return a.count(a.Appender.AppendHistogram(ref, l, t, h, fh))
}

func (a *futureAppender) AppendHistogramSTZeroSample(ref storage.SeriesRef, l labels.Labels, t, st int64, h *histogram.Histogram, fh *histogram.FloatHistogram) (storage.SeriesRef, error) {
	if err := a.check(max(t, st)); err != nil {
		return 0, err
	}
	return a.count(a.Appender.AppendHistogramSTZeroSample(ref, l, t, st, h, fh))
}

func (a *futureAppender) AppendSTZeroSample(ref storage.SeriesRef, l labels.Labels, t, st int64) (storage.SeriesRef, error) {
	if err := a.check(max(t, st)); err != nil {
		return 0, err
	}
	return a.count(a.Appender.AppendSTZeroSample(ref, l, t, st))
}

func (a *futureAppender) AppendExemplar(ref storage.SeriesRef, l labels.Labels, e exemplar.Exemplar) (storage.SeriesRef, error) {
	if e.HasTs {
		if err := a.check(e.Ts); err != nil {
			return 0, err
		}
	}
	return a.Appender.AppendExemplar(ref, l, e)
}

// FutureError is a sample refused for its timestamp; errors.Is(err,
// ErrTooFarInFuture) and errors.Is(err, storage.ErrOutOfBounds) hold.
type FutureError struct {
	T        time.Time     // the sample's time
	Now      time.Time     // the collector's clock
	MaxAhead time.Duration // the bound
}

func (e *FutureError) Error() string {
	return fmt.Sprintf("sample at %s is %v ahead of the collector's clock (%s), more than the %v allowed: %v",
		e.T.UTC().Format(time.RFC3339), e.T.Sub(e.Now).Round(time.Second), e.Now.UTC().Format(time.RFC3339), e.MaxAhead, ErrTooFarInFuture)
}

// Unwrap lets errors.Is find ErrTooFarInFuture (and so storage.ErrOutOfBounds).
func (e *FutureError) Unwrap() error { return ErrTooFarInFuture }

// IsTooFarInFuture reports whether err refused a sample for its timestamp.
func IsTooFarInFuture(err error) bool { return errors.Is(err, ErrTooFarInFuture) }

// CountedByGuard reports whether a FutureGuard's appender counted the refusal
// err already (too far in the future, or the series limit), so that callers
// do not count it twice.
func CountedByGuard(err error) bool { return IsTooFarInFuture(err) || IsSeriesLimit(err) }
