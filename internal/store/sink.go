package store

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"

	"github.com/roomwatch/roomwatch/internal/probe"
)

// IngestMetrics counts samples written and dropped by the collector's ingest
// paths, by source ("probe", "scrape", "remote_write"…).
type IngestMetrics struct {
	Appended *prometheus.CounterVec
	Dropped  *prometheus.CounterVec
}

// NewIngestMetrics registers the ingest counters with reg (nil: unregistered).
func NewIngestMetrics(reg prometheus.Registerer) *IngestMetrics {
	m := &IngestMetrics{
		Appended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomwatch_ingest_samples_appended_total",
			Help: "Samples appended to the embedded TSDB, by source.",
		}, []string{"source"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomwatch_ingest_samples_dropped_total",
			Help: "Samples rejected before or by the embedded TSDB, by source and reason.",
		}, []string{"source", "reason"}),
	}
	// Export the usual series at 0 from the start, so rates work at once.
	for _, src := range []string{"probe", "scrape"} {
		m.Appended.WithLabelValues(src)
		m.Dropped.WithLabelValues(src, "rejected")
	}
	if reg != nil {
		reg.MustRegister(m.Appended, m.Dropped)
	}
	return m
}

// Sink writes probe results into a storage.Appendable: the series of each
// result are probe.ResultSeries, the same that /metrics exposes (inventory
// identity labels, roomwatch_device_info, roomwatch_probe_up and the other
// per-check series; docs/probes.md). Like a Prometheus scrape, a check's
// series that its previous result had and this one lacks (all the samples of
// its last success when it fails; the error info when it recovers) get a
// staleness marker, so queries and rules stop seeing their last value. It
// implements the probe scheduler's Sink; Write must not be called
// concurrently.
type Sink struct {
	app     storage.Appendable
	meta    *MetadataStore // may be nil
	metrics *IngestMetrics
	checks  map[checkKey]*checkState
	// deviceAt is the newest timestamp of each device's PerDevice series
	// (roomwatch_device_info), which every check of the device brings.
	deviceAt map[string]int64
	// Scratch, reused by every Write.
	b   labels.ScratchBuilder
	ls  labels.Labels
	cur []sinkSeries
}

type checkKey struct{ target, probe string }

// checkState is what the Sink keeps of one check of one device.
type checkState struct {
	failures float64 // failures so far (since start)
	// last are the series of the previous result, for the staleness
	// markers, as Prometheus's scrape cache keeps them: the labels (the
	// head's own copy, so they cost a pointer here) and the head's series
	// reference, by hash. Keeping them this way instead of a map of label
	// sets per check cut the Sink's memory for 10,000 cameras from about
	// 17 MB to 4 MB, and a sweep no longer builds a new label set for
	// every series.
	last []sinkSeries
}

type sinkSeries struct {
	hash uint64
	ref  storage.SeriesRef
	ls   labels.Labels
}

// find returns the index of the series with ls's hash and labels in ss, or -1.
func find(ss []sinkSeries, hash uint64, ls labels.Labels) int {
	for i := range ss {
		if ss[i].hash == hash && labels.Equal(ss[i].ls, ls) {
			return i
		}
	}
	return -1
}

// NewSink returns a Sink appending to app, recording metadata in meta (may be nil).
func NewSink(app storage.Appendable, meta *MetadataStore, metrics *IngestMetrics) *Sink {
	if metrics == nil {
		metrics = NewIngestMetrics(nil)
	}
	return &Sink{app: app, meta: meta, metrics: metrics, checks: map[checkKey]*checkState{},
		deviceAt: map[string]int64{}, b: labels.NewScratchBuilder(16)}
}

// Write appends the results in one transaction. Samples with invalid names or
// labels and samples the TSDB rejects (out of order, duplicates) are counted as
// dropped and do not fail the others; the returned error summarises them.
// A staleness marker the TSDB rejects as out of order or duplicate is ignored,
// as Prometheus ignores it.
func (s *Sink) Write(ctx context.Context, results []probe.Result) error {
	app := s.app.Appender(ctx)
	var (
		appended, dropped int
		firstErr          error
	)
	drop := func(reason string, err error) {
		dropped++
		if !CountedByGuard(err) { // the FutureGuard counted it already
			s.metrics.Dropped.WithLabelValues("probe", reason).Inc()
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	stale := math.Float64frombits(value.StaleNaN)
	for _, r := range results {
		key := checkKey{r.Target.Name, r.Probe}
		cs := s.checks[key]
		if cs == nil {
			cs = &checkState{}
			s.checks[key] = cs
		}
		if r.Err != nil {
			cs.failures++
		}
		series, invalid := probe.ResultSeries(r, cs.failures)
		for _, e := range invalid {
			drop(e.Reason(), e)
		}
		t := r.Start.UnixMilli()
		s.cur = s.cur[:0]
		for _, sr := range series {
			s.b.Reset()
			s.b.Add(model.MetricNameLabel, sr.Name)
			for _, l := range sr.Labels {
				s.b.Add(l.Name, l.Value)
			}
			s.b.Sort()
			s.b.Overwrite(&s.ls) // scratch: copied below only for a new series
			h := s.ls.Hash()
			cur := sinkSeries{hash: h}
			if i := find(cs.last, h, s.ls); i >= 0 {
				cur = cs.last[i]
			} else {
				cur.ls = s.ls.Copy()
			}
			if sr.PerDevice {
				if t <= s.deviceAt[r.Target.Name] {
					s.cur = append(s.cur, cur)
					continue // another check of the device wrote it at this time or later
				}
				s.deviceAt[r.Target.Name] = t
			}
			ref, err := app.Append(cur.ref, cur.ls, t, sr.Value)
			if err != nil {
				s.cur = append(s.cur, cur)
				drop(reason(err), fmt.Errorf("append %s: %w", sr.Name, err))
				continue
			}
			cur.ref = ref
			s.cur = append(s.cur, cur)
			appended++
			if s.meta != nil {
				s.meta.Set(sr.Name, metadata.Metadata{Type: metricType(sr.Type), Help: sr.Help})
			}
		}
		for _, prev := range cs.last {
			if find(s.cur, prev.hash, prev.ls) >= 0 {
				continue
			}
			_, err := app.Append(prev.ref, prev.ls, t, stale)
			switch {
			case err == nil:
				appended++
			case errors.Is(err, storage.ErrOutOfOrderSample), errors.Is(err, storage.ErrDuplicateSampleForTimestamp),
				errors.Is(err, storage.ErrTooOldSample), errors.Is(err, storage.ErrOutOfBounds):
				// Prometheus drops these markers silently too.
			default:
				drop(reason(err), fmt.Errorf("append staleness marker %s: %w", prev.ls.Get(model.MetricNameLabel), err))
			}
		}
		cs.last = append(cs.last[:0], s.cur...)
	}
	if err := app.Commit(); err != nil {
		s.metrics.Dropped.WithLabelValues("probe", "commit").Add(float64(appended))
		return fmt.Errorf("store sink: commit: %w", err)
	}
	s.metrics.Appended.WithLabelValues("probe").Add(float64(appended))
	if dropped > 0 {
		return fmt.Errorf("store sink: %d of %d samples dropped, first: %w", dropped, dropped+appended, firstErr)
	}
	return nil
}

func metricType(t probe.Type) model.MetricType {
	switch t {
	case probe.Counter:
		return model.MetricTypeCounter
	case probe.Gauge, probe.Info:
		return model.MetricTypeGauge
	}
	return model.MetricTypeUnknown
}

// reason maps an append error to a short label value.
func reason(err error) string {
	switch {
	case errors.Is(err, storage.ErrOutOfOrderSample):
		return "out_of_order"
	case errors.Is(err, storage.ErrOutOfBounds):
		return "out_of_bounds"
	case errors.Is(err, storage.ErrTooOldSample):
		return "too_old"
	case errors.Is(err, storage.ErrDuplicateSampleForTimestamp):
		return "duplicate"
	}
	return "other"
}
