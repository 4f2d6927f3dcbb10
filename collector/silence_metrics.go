package collector

import (
	"github.com/prometheus/client_golang/prometheus"
)

// silenceMetrics exposes the maintenance windows in force, the collector's
// own and each polled Alertmanager's, and when each Alertmanager was last read.
type silenceMetrics struct {
	sl                 *silences
	active, lastPolled *prometheus.Desc
}

func newSilenceMetrics(sl *silences) *silenceMetrics {
	return &silenceMetrics{sl: sl,
		active: prometheus.NewDesc("roomwatch_silences_active",
			"Maintenance windows (silences) in force, by source: the collector's own (local) or an Alertmanager's URL.",
			[]string{"source"}, nil),
		lastPolled: prometheus.NewDesc("roomwatch_alertmanager_silences_last_poll_timestamp_seconds",
			"When the silences of an Alertmanager were last read (0: never).", []string{"alertmanager"}, nil),
	}
}

func (m *silenceMetrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.active; ch <- m.lastPolled }

func (m *silenceMetrics) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(m.active, prometheus.GaugeValue, float64(len(m.sl.set.Active())), "local")
	for _, e := range m.sl.ext {
		ch <- prometheus.MustNewConstMetric(m.active, prometheus.GaugeValue, float64(len(e.Active())), e.URL())
		var ts float64
		if at := e.LastPoll(); !at.IsZero() {
			ts = float64(at.UnixMilli()) / 1000
		}
		ch <- prometheus.MustNewConstMetric(m.lastPolled, prometheus.GaugeValue, ts, e.URL())
	}
}
