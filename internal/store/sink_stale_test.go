package store

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
)

// TestSinkStaleness: a check's series that its previous result had and the
// current one lacks get a staleness marker, as a Prometheus scrape writes for
// a failed target: an instant query after the failure no longer sees the
// UPS on battery (a rule on it stops, and does not "recover" either: the
// series is absent, not 0), and the error info goes stale once the check
// answers again.
func TestSinkStaleness(t *testing.T) {
	t.Parallel()
	target := inventory.Target{Device: ups, Name: "ups-1", Address: "127.0.0.1"}
	t0 := time.Now().Truncate(time.Second).Add(-time.Hour)
	ok := func(at time.Duration, onBattery float64) probe.Result {
		r := probe.Result{Target: target, Probe: "snmp", Start: t0.Add(at), Duration: time.Millisecond}
		r.Add("roomwatch_ups_on_battery", probe.Gauge, onBattery, "on battery", nil)
		r.Add("roomwatch_ups_input_voltage_volts", probe.Gauge, 221, "input", map[string]string{"phase": "1"})
		return r
	}
	failed := func(at time.Duration) probe.Result {
		return probe.Result{Target: target, Probe: "snmp", Start: t0.Add(at), Err: probe.Errorf(probe.ReasonTimeout, "no answer")}
	}
	icmp := func(at time.Duration) probe.Result {
		return probe.Result{Target: target, Probe: "icmp", Start: t0.Add(at)}
	}
	type query struct {
		at   time.Duration
		expr string
		want []string // the values, sorted; none: the series is absent (stale)
	}
	for _, tc := range []struct {
		name    string
		batches [][]probe.Result
		queries []query
	}{
		{
			name:    "samples of the last success go stale when the check fails",
			batches: [][]probe.Result{{ok(0, 1)}, {failed(30 * time.Second)}},
			queries: []query{
				{10 * time.Second, `roomwatch_ups_on_battery`, []string{"1"}},
				{31 * time.Second, `roomwatch_ups_on_battery`, nil},
				{31 * time.Second, `roomwatch_ups_on_battery == 0`, nil},
				{31 * time.Second, `roomwatch_ups_input_voltage_volts`, nil},
				{31 * time.Second, `roomwatch_probe_up{probe="snmp"}`, []string{"0"}},
				{31 * time.Second, `roomwatch_probe_error_info{reason="timeout"}`, []string{"1"}},
				{31 * time.Second, `roomwatch_device_info`, []string{"1"}},
			},
		},
		{
			name:    "the error info goes stale when the check answers again",
			batches: [][]probe.Result{{ok(0, 1)}, {failed(30 * time.Second)}, {ok(60*time.Second, 0)}},
			queries: []query{
				{61 * time.Second, `roomwatch_probe_error_info`, nil},
				{61 * time.Second, `roomwatch_ups_on_battery`, []string{"0"}},
				{61 * time.Second, `roomwatch_probe_failures_total`, []string{"1"}},
			},
		},
		{
			name:    "a second failure writes nothing stale again and keeps the error",
			batches: [][]probe.Result{{ok(0, 1)}, {failed(30 * time.Second)}, {failed(60 * time.Second)}},
			queries: []query{
				{61 * time.Second, `roomwatch_ups_on_battery`, nil},
				{61 * time.Second, `roomwatch_probe_error_info`, []string{"1"}},
				{61 * time.Second, `roomwatch_probe_failures_total`, []string{"2"}},
			},
		},
		{
			name: "another check of the device keeps the device info; its failure does not touch the other check's series",
			// Out of order within and across batches: icmp's result started
			// before snmp's but arrives later.
			batches: [][]probe.Result{{ok(10*time.Second, 1), icmp(5 * time.Second)}, {icmp(20 * time.Second)}, {failed(40 * time.Second)}},
			queries: []query{
				{21 * time.Second, `roomwatch_device_info`, []string{"1"}},
				{41 * time.Second, `roomwatch_device_info`, []string{"1"}},
				{41 * time.Second, `roomwatch_probe_up`, []string{"0", "1"}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := openTest(t, t.TempDir())
			sink := NewSink(s, nil, nil)
			for i, b := range tc.batches {
				if err := sink.Write(context.Background(), b); err != nil {
					t.Fatalf("batch %d: %v", i, err)
				}
			}
			for _, q := range tc.queries {
				v, err := s.PromQL().Query(context.Background(), q.expr, t0.Add(q.at))
				if err != nil {
					t.Fatalf("%s: %v", q.expr, err)
				}
				var got []string
				for _, smp := range v.(model.Vector) {
					got = append(got, smp.Value.String())
				}
				sort.Strings(got)
				if !slices.Equal(got, q.want) {
					t.Errorf("%s at +%v = %v, want %v", q.expr, q.at, v, q.want)
				}
			}
		})
	}
}

// TestSinkCountsInvalidSamples: invalid names are dropped with their reason
// and reported as *probe.InvalidSampleError.
func TestSinkCountsInvalidSamples(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir())
	m := NewIngestMetrics(nil)
	r := probe.Result{Target: inventory.Target{Device: ups, Name: "ups-1"}, Probe: "snmp", Start: time.Now()}
	r.Add("bad name", probe.Gauge, 1, "", nil)
	r.Add("good", probe.Gauge, 1, "", map[string]string{"bad-label": "x"})
	err := NewSink(s, nil, m).Write(context.Background(), []probe.Result{r})
	var inv *probe.InvalidSampleError
	if !errors.As(err, &inv) || inv.Metric != "bad name" {
		t.Fatalf("err = %v, want the invalid metric name", err)
	}
	for _, reason := range []string{"invalid_name", "invalid_label"} {
		if got := counterValue(t, m, reason); got != 1 {
			t.Errorf("dropped{reason=%s} = %v, want 1", reason, got)
		}
	}
}

func counterValue(t *testing.T, m *IngestMetrics, reason string) float64 {
	t.Helper()
	return promtest.ToFloat64(m.Dropped.WithLabelValues("probe", reason))
}
