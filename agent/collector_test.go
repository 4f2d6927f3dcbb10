package agent

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// sourceFunc adapts a function to source.
type sourceFunc func(ctx context.Context, out *sink) error

func (f sourceFunc) update(ctx context.Context, out *sink) error { return f(ctx, out) }

// sinkValues renders a sink's metrics as name{labels} → value.
func sinkValues(t *testing.T, s *sink) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, m := range s.metrics {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		out[metricKey(m.Desc().String(), &pb)] = metricValue(&pb)
	}
	return out
}

// metricKey builds name{l1="v1",…} from a Desc string and a written metric.
func metricKey(descString string, pb *dto.Metric) string {
	name := descString
	if i := strings.Index(name, `fqName: "`); i >= 0 {
		name = name[i+len(`fqName: "`):]
		name = name[:strings.IndexByte(name, '"')]
	}
	return seriesKey(name, pb)
}

func seriesKey(name string, pb *dto.Metric) string {
	var parts []string
	for _, l := range pb.GetLabel() {
		parts = append(parts, l.GetName()+`="`+l.GetValue()+`"`)
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return name
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

func metricValue(pb *dto.Metric) float64 {
	switch {
	case pb.Gauge != nil:
		return pb.GetGauge().GetValue()
	case pb.Counter != nil:
		return pb.GetCounter().GetValue()
	case pb.Untyped != nil:
		return pb.GetUntyped().GetValue()
	}
	return 0
}

// gatherValues gathers g into name{labels} → value.
func gatherValues(t *testing.T, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out[seriesKey(mf.GetName(), m)] = metricValue(m)
		}
	}
	return out
}

// TestHungSource: a source that blocks does not hold up the scrape past the
// timeout; its success is 0 and the other sources' series are all there. A
// scrape while it is still stuck skips it at once instead of piling up.
func TestHungSource(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClock()
	release := make(chan struct{})
	defer close(release)
	okDesc := desc("test_ok", "ok source value")
	srcs := []*namedSource{
		{name: "hung", src: sourceFunc(func(ctx context.Context, out *sink) error { <-release; return nil })},
		{name: "ok", src: sourceFunc(func(ctx context.Context, out *sink) error { out.gauge(okDesc, 42); return nil })},
		{name: "broken", src: sourceFunc(func(ctx context.Context, out *sink) error { return context.DeadlineExceeded })},
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newHostCollector(srcs, 3*time.Second, clock, discardLogger()))

	gather := func() <-chan map[string]float64 {
		ch := make(chan map[string]float64, 1)
		go func() { ch <- gatherValues(t, reg) }()
		return ch
	}
	wait := func(ch <-chan map[string]float64) map[string]float64 {
		t.Helper()
		select {
		case v := <-ch:
			return v
		case <-time.After(30 * time.Second): // guard against a hang only
			t.Fatal("scrape blocked")
			return nil
		}
	}

	ch := gather()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Every source has started; let the quick ones finish before the
	// timeout fires (their busy flag drops after their result is queued).
	for i := 0; srcs[1].busy.Load() || srcs[2].busy.Load(); i++ {
		if i > 10000 {
			t.Fatal("quick sources never finished")
		}
		time.Sleep(time.Millisecond)
	}
	clock.Advance(3 * time.Second)
	got := wait(ch)
	want := map[string]float64{
		`node_scrape_collector_success{collector="hung"}`:          0,
		`node_scrape_collector_success{collector="ok"}`:            1,
		`node_scrape_collector_success{collector="broken"}`:        0,
		`node_scrape_collector_duration_seconds{collector="hung"}`: 3,
		`test_ok`: 42,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}

	// Still stuck: the next scrape must not wait for the timer at all.
	got = wait(gather())
	if got[`node_scrape_collector_success{collector="hung"}`] != 0 || got[`node_scrape_collector_success{collector="ok"}`] != 1 || got["test_ok"] != 42 {
		t.Errorf("second scrape: %v", got)
	}
}

// TestSinkRepairsLabels: a non-UTF-8 label value (a mount point, say) is
// repaired, not dropped and not a panic.
func TestSinkRepairsLabels(t *testing.T) {
	t.Parallel()
	var s sink
	d := desc("test_fs", "x", "mountpoint")
	s.gauge(d, 1, "/mnt/\xffbad")
	if len(s.metrics) != 1 || s.err != nil {
		t.Fatalf("metrics %d, err %v", len(s.metrics), s.err)
	}
	if _, ok := sinkValues(t, &s)["test_fs{mountpoint=\"/mnt/\uFFFDbad\"}"]; !ok {
		t.Errorf("repaired label missing: %v", sinkValues(t, &s))
	}
	s.gauge(d, 1) // wrong label count: recorded, not a panic
	if s.err == nil {
		t.Error("label count mismatch not reported")
	}
}
