package collector

import (
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/config"
)

func TestLimitsConfig(t *testing.T) {
	t.Parallel()
	bad := []struct{ yaml, want string }{
		{"storage:\n  retention: 40d\n  max_series: -1\n", "c.yml:3: storage.max_series -1 must not be negative (0 for no limit)"},
		{"storage:\n  max_series_per_write: -5\n", "c.yml:2: storage.max_series_per_write -5 must not be negative"},
		{"query:\n  max_series: -1\n", "c.yml:2: query.max_series -1 must not be negative"},
		{"query:\n  max_series: 10\n  max_samples: 0\n", "c.yml:3: query.max_samples 0 must be positive"},
		{"query:\n  max_sample: 10\n", "c.yml:2:"},
		{"query:\n  max_samples: lots\n", "c.yml:2:"},
	}
	for _, tt := range bad {
		c := DefaultConfig()
		err := config.Decode("c.yml", []byte(tt.yaml), &c)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
	type limits struct{ maxSeries, perWrite, maxSamples, querySeries int }
	good := []struct {
		yaml string
		want limits
	}{
		{"", limits{2_000_000, 50_000, 50_000_000, 100_000}},
		{"storage:\n  retention: 40d\n", limits{2_000_000, 50_000, 50_000_000, 100_000}},
		{"storage: {max_series: 0, max_series_per_write: 0}\nquery: {max_series: 0}\n", limits{0, 0, 50_000_000, 0}},
		{"storage: {max_series: 1000, max_series_per_write: 10}\nquery: {max_samples: 5000, max_series: 7}\n", limits{1000, 10, 5000, 7}},
	}
	for _, tt := range good {
		c := DefaultConfig()
		if err := config.Decode("c.yml", []byte(tt.yaml), &c); err != nil {
			t.Fatalf("%q: %v", tt.yaml, err)
		}
		if got := (limits{c.Storage.MaxSeries, c.Storage.MaxSeriesPerWrite, c.Query.MaxSamples, c.Query.MaxSeries}); got != tt.want {
			t.Errorf("%q: %+v, want %+v", tt.yaml, got, tt.want)
		}
	}
}
