package store

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunks"
)

// DefaultMaxSeries is storage.max_series's default: the series the TSDB head
// may hold before new ones are refused. Two million head series take a few
// GB of memory; a machine-room collector holds tens of thousands.
const DefaultMaxSeries = 2_000_000

// ReasonSeriesLimit is the reason label of
// roomwatch_ingest_samples_dropped_total (and of the remote-write receiver's
// rejections) for samples of new series refused because the head is full.
const ReasonSeriesLimit = "series_limit"

// ErrSeriesLimit is returned by the store's appenders for a sample of a new
// series when the head already holds Options.MaxSeries series. Samples of
// series the head holds are still appended.
var ErrSeriesLimit = errors.New("series limit reached: new series refused")

// SeriesLimitError is a new series refused by the series limit;
// errors.Is(err, ErrSeriesLimit) holds.
type SeriesLimitError struct {
	Limit int // storage.max_series
}

func (e *SeriesLimitError) Error() string {
	return fmt.Sprintf("the TSDB head holds %d series, storage.max_series: %v", e.Limit, ErrSeriesLimit)
}

// Unwrap lets errors.Is find ErrSeriesLimit.
func (e *SeriesLimitError) Unwrap() error { return ErrSeriesLimit }

// IsSeriesLimit reports whether err refused a new series for the series limit.
func IsSeriesLimit(err error) bool { return errors.Is(err, ErrSeriesLimit) }

// seriesLimiter is the head's series lifecycle callback: the head asks it
// before it creates a series, and it refuses when the head is full. The head
// is set after the TSDB is open, so that the write-ahead log replay (which
// creates series too) is never refused. The check reads one atomic counter;
// concurrent appenders may overshoot the limit by the series they create at
// the same instant.
type seriesLimiter struct {
	max  int
	head atomic.Pointer[tsdb.Head]
}

func (l *seriesLimiter) PreCreation(labels.Labels) error {
	h := l.head.Load()
	if h == nil || l.max <= 0 {
		return nil
	}
	if h.NumSeries() >= uint64(l.max) {
		return &SeriesLimitError{Limit: l.max}
	}
	return nil
}

func (*seriesLimiter) PostCreation(labels.Labels)                          {}
func (*seriesLimiter) PostDeletion(map[chunks.HeadSeriesRef]labels.Labels) {}
