package report

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/store"
)

// BenchmarkAvailability reads September 2026's availability of the
// bench-report data directory (ROOMWATCH_BENCH_REPORT_DATA, a copy of
// /tmp/roomwatch-bench-report/data: 5,000 devices, 108 M samples) through
// PromQL range queries and straight from the TSDB, and checks both agree.
// deploy/dev/bench-report.sh runs it with -benchtime 1x and prints the ratio.
func BenchmarkAvailability(b *testing.B) {
	dir := os.Getenv("ROOMWATCH_BENCH_REPORT_DATA")
	if dir == "" {
		b.Skip("ROOMWATCH_BENCH_REPORT_DATA is not set (deploy/dev/bench-report.sh sets it)")
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "tsdb"), Retention: 400 * 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		b.Fatal(err)
	}
	month, _ := Month("2026-09", loc)
	opts := Options{Location: loc, Clock: clockwork.NewFakeClockAt(month.End.AddDate(0, 0, 2))}
	results := map[string]map[string]*DeviceAvail{}
	for _, path := range []struct {
		name string
		src  Sources
	}{{"promql", Sources{Metrics: st.PromQL()}}, {"tsdb", Sources{Series: st}}} {
		b.Run(path.name, func(b *testing.B) {
			r, err := New(path.src, opts)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				av, err := r.availability(context.Background(), month)
				if err != nil {
					b.Fatal(err)
				}
				results[path.name] = av
			}
		})
	}
	p, d := results["promql"], results["tsdb"]
	if len(p) != 5000 || len(d) != len(p) {
		b.Fatalf("devices: promql %d, tsdb %d, want 5000", len(p), len(d))
	}
	for dev, w := range p {
		if g := d[dev]; g == nil || *g != *w {
			b.Errorf("%s: tsdb %+v, promql %+v", dev, g, w)
		}
	}
}
