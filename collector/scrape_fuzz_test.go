package collector

import (
	"bytes"
	"testing"

	"github.com/prometheus/common/model"
)

// FuzzScrapeExposition: whatever an agent answers, parsing and flattening it
// must not panic, and every series it yields has a metric name.
func FuzzScrapeExposition(f *testing.F) {
	for _, tg := range targets {
		f.Add([]byte(tg.body))
	}
	f.Add([]byte("# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n"))
	f.Add([]byte("m{a=\"\\\"x\\n\"} NaN 123\n"))
	f.Add([]byte("garbage{{{\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		fams, err := parseExposition(bytes.NewReader(body))
		if err != nil {
			return
		}
		for name, mf := range fams {
			for _, m := range mf.GetMetric() {
				for _, s := range flatten(name, mf.GetType(), m) {
					if s.labels.Get(model.MetricNameLabel) == "" {
						t.Fatalf("series without a name from %q", body)
					}
				}
			}
		}
	})
}
