package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/storage"

	"github.com/roomwatch/roomwatch/internal/probe"
)

// Names of the series the Sink adds for every probe run.
const (
	ProbeUpMetric       = "roomwatch_probe_up"
	ProbeDurationMetric = "roomwatch_probe_duration_seconds"
	ProbeLastRunMetric  = "roomwatch_probe_last_run_timestamp_seconds"
	ProbeFailuresMetric = "roomwatch_probe_failures_total"
	ProbeErrorMetric    = "roomwatch_probe_error_info"
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

// Sink writes probe results into a storage.Appendable: each sample gets the
// device's identity labels (device, class, site, vendor, model — from the
// inventory, never from what the probe detected, so identity does not move)
// and every result adds, with a probe label, roomwatch_probe_up,
// roomwatch_probe_duration_seconds, roomwatch_probe_last_run_timestamp_seconds,
// roomwatch_probe_failures_total and, while failing,
// roomwatch_probe_error_info{reason} (docs/probes.md). It implements the probe
// scheduler's Sink; Write must not be called concurrently.
type Sink struct {
	app      storage.Appendable
	meta     *MetadataStore // may be nil
	metrics  *IngestMetrics
	failures map[string]float64 // device|probe -> failures so far (since start)
}

// NewSink returns a Sink appending to app, recording metadata in meta (may be nil).
func NewSink(app storage.Appendable, meta *MetadataStore, metrics *IngestMetrics) *Sink {
	if metrics == nil {
		metrics = NewIngestMetrics(nil)
	}
	return &Sink{app: app, meta: meta, metrics: metrics, failures: map[string]float64{}}
}

// Write appends the results in one transaction. Samples with invalid names or
// labels and samples the TSDB rejects (out of order, duplicates) are counted as
// dropped and do not fail the others; the returned error summarises them.
func (s *Sink) Write(ctx context.Context, results []probe.Result) error {
	app := s.app.Appender(ctx)
	var (
		appended, dropped int
		firstErr          error
	)
	b := labels.NewScratchBuilder(12)
	add := func(name string, typ probe.Type, help string, base map[string]string, extra map[string]string, t int64, v float64) {
		if !model.LegacyValidation.IsValidMetricName(name) {
			dropped++
			s.metrics.Dropped.WithLabelValues("probe", "invalid_name").Inc()
			if firstErr == nil {
				firstErr = fmt.Errorf("invalid metric name %q", name)
			}
			return
		}
		b.Reset()
		b.Add(model.MetricNameLabel, name)
		for k, val := range base {
			if val != "" {
				b.Add(k, val)
			}
		}
		for k, val := range extra {
			if _, clash := base[k]; clash || k == model.MetricNameLabel || val == "" {
				continue
			}
			if !model.LegacyValidation.IsValidLabelName(k) {
				dropped++
				s.metrics.Dropped.WithLabelValues("probe", "invalid_label").Inc()
				if firstErr == nil {
					firstErr = fmt.Errorf("metric %s: invalid label name %q", name, k)
				}
				return
			}
			b.Add(k, val)
		}
		b.Sort()
		if _, err := app.Append(0, b.Labels(), t, v); err != nil {
			dropped++
			s.metrics.Dropped.WithLabelValues("probe", reason(err)).Inc()
			if firstErr == nil {
				firstErr = fmt.Errorf("append %s: %w", name, err)
			}
			return
		}
		appended++
		if s.meta != nil {
			s.meta.Set(name, metadata.Metadata{Type: metricType(typ), Help: help})
		}
	}
	for _, r := range results {
		base := identity(r)
		t := r.Start.UnixMilli()
		for _, smp := range r.Samples {
			add(smp.Name, smp.Type, smp.Help, base, smp.Labels, t, smp.Value)
		}
		up := 1.0
		key := r.Target.Name + "|" + r.Probe
		if r.Err != nil {
			up = 0
			s.failures[key]++
		}
		pl := map[string]string{"probe": r.Probe}
		add(ProbeUpMetric, probe.Gauge, "1 when the device answered the probe, 0 when it did not.", base, pl, t, up)
		add(ProbeDurationMetric, probe.Gauge, "How long the probe took, in seconds.", base, pl, t, r.Duration.Seconds())
		add(ProbeLastRunMetric, probe.Gauge, "When the probe last ran, as a Unix time.", base, pl, t, float64(r.Start.UnixMilli())/1000)
		add(ProbeFailuresMetric, probe.Counter, "Failed probes since the collector started.", base, pl, t, s.failures[key])
		if r.Err != nil {
			add(ProbeErrorMetric, probe.Info, "1 while the probe fails, with the reason.", base,
				map[string]string{"probe": r.Probe, "reason": probe.Reason(r.Err)}, t, 1)
		}
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

// identity returns the device labels of a result.
func identity(r probe.Result) map[string]string {
	m := map[string]string{"device": r.Target.Name}
	if d := r.Target.Device; d != nil {
		m["class"] = string(d.Class)
		m["site"] = d.Site
		m["vendor"] = d.Vendor
		m["model"] = d.Model
	}
	return m
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
