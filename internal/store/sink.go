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
	app      storage.Appendable
	meta     *MetadataStore // may be nil
	metrics  *IngestMetrics
	failures map[string]float64 // device|probe -> failures so far (since start)
	// last holds the series of each device|probe's previous result, by
	// their labels' hash, for the staleness markers. (A hash, not the
	// labels' string, as key: for 10,000 cameras the string keys cost
	// about 20 MB kept plus as much garbage per sweep. Two series of one
	// check colliding would only cost one missed staleness marker.)
	last map[string]map[uint64]labels.Labels
	// deviceAt is the newest timestamp of each device's PerDevice series
	// (roomwatch_device_info), which every check of the device brings.
	deviceAt map[string]int64
}

// NewSink returns a Sink appending to app, recording metadata in meta (may be nil).
func NewSink(app storage.Appendable, meta *MetadataStore, metrics *IngestMetrics) *Sink {
	if metrics == nil {
		metrics = NewIngestMetrics(nil)
	}
	return &Sink{app: app, meta: meta, metrics: metrics, failures: map[string]float64{},
		last: map[string]map[uint64]labels.Labels{}, deviceAt: map[string]int64{}}
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
	b := labels.NewScratchBuilder(16)
	stale := math.Float64frombits(value.StaleNaN)
	for _, r := range results {
		key := r.Target.Name + "|" + r.Probe
		if r.Err != nil {
			s.failures[key]++
		}
		series, invalid := probe.ResultSeries(r, s.failures[key])
		for _, e := range invalid {
			drop(e.Reason(), e)
		}
		t := r.Start.UnixMilli()
		cur := make(map[uint64]labels.Labels, len(series))
		for _, sr := range series {
			b.Reset()
			b.Add(model.MetricNameLabel, sr.Name)
			for _, l := range sr.Labels {
				b.Add(l.Name, l.Value)
			}
			b.Sort()
			ls := b.Labels()
			cur[ls.Hash()] = ls
			if sr.PerDevice {
				if t <= s.deviceAt[r.Target.Name] {
					continue // another check of the device wrote it at this time or later
				}
				s.deviceAt[r.Target.Name] = t
			}
			if _, err := app.Append(0, ls, t, sr.Value); err != nil {
				drop(reason(err), fmt.Errorf("append %s: %w", sr.Name, err))
				continue
			}
			appended++
			if s.meta != nil {
				s.meta.Set(sr.Name, metadata.Metadata{Type: metricType(sr.Type), Help: sr.Help})
			}
		}
		for k, ls := range s.last[key] {
			if _, ok := cur[k]; ok {
				continue
			}
			_, err := app.Append(0, ls, t, stale)
			switch {
			case err == nil:
				appended++
			case errors.Is(err, storage.ErrOutOfOrderSample), errors.Is(err, storage.ErrDuplicateSampleForTimestamp),
				errors.Is(err, storage.ErrTooOldSample), errors.Is(err, storage.ErrOutOfBounds):
				// Prometheus drops these markers silently too.
			default:
				drop(reason(err), fmt.Errorf("append staleness marker %s: %w", ls.Get(model.MetricNameLabel), err))
			}
		}
		s.last[key] = cur
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
