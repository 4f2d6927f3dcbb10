package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var ups = &inventory.Device{Name: "ups-1", Class: inventory.ClassUPS, Site: "hq", Vendor: "APC", Model: "SMT750"}

func TestSinkWriteAndQuery(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir())
	t0 := time.Now().Truncate(time.Second)
	res := []probe.Result{{
		Target: inventory.Target{Device: ups, Name: "ups-1", Address: "127.0.0.1"},
		Probe:  "snmp", Start: t0, Duration: 250 * time.Millisecond, Model: "SMT750 RM",
		Samples: []probe.Sample{
			{Name: "roomwatch_ups_on_battery", Type: probe.Gauge, Value: 1, Help: "on battery"},
			{Name: "roomwatch_ups_battery_charge_ratio", Type: probe.Gauge, Value: 0.8},
			{Name: "roomwatch_ups_input_voltage_volts", Type: probe.Gauge, Value: 221, Labels: map[string]string{"phase": "1", "device": "exposed"}},
		},
	}, {
		Target: inventory.Target{Device: &inventory.Device{Name: "cams", Class: inventory.ClassCamera, Site: "hq"}, Name: "cams/10.0.0.7"},
		Probe:  "icmp", Start: t0, Duration: time.Second, Err: errors.New("timeout"),
	}}
	if err := NewSink(s, s.Metadata(), nil).Write(context.Background(), res); err != nil {
		t.Fatal(err)
	}
	q := s.PromQL()
	tests := []struct {
		expr string
		want string
	}{
		{`roomwatch_ups_on_battery`, `roomwatch_ups_on_battery{class="ups", device="ups-1", model="SMT750", site="hq", vendor="APC"} => 1`},
		// The sample's own device label clashes with the identity: kept as
		// exported_device, as /metrics and a Prometheus scrape keep it.
		{`roomwatch_ups_input_voltage_volts`, `roomwatch_ups_input_voltage_volts{class="ups", device="ups-1", exported_device="exposed", model="SMT750", phase="1", site="hq", vendor="APC"} => 221`},
		{`roomwatch_device_info{device="ups-1"}`, `roomwatch_device_info{address="127.0.0.1", class="ups", device="ups-1", model="SMT750", site="hq", vendor="APC"} => 1`},
		{`roomwatch_probe_up{class="camera"}`, `roomwatch_probe_up{class="camera", device="cams/10.0.0.7", probe="icmp", site="hq"} => 0`},
		{`roomwatch_probe_duration_seconds{device="ups-1"}`, `roomwatch_probe_duration_seconds{class="ups", device="ups-1", model="SMT750", probe="snmp", site="hq", vendor="APC"} => 0.25`},
		{`count by (class) (roomwatch_probe_up == 1)`, `{class="ups"} => 1`},
		{`roomwatch_probe_failures_total > 0`, `roomwatch_probe_failures_total{class="camera", device="cams/10.0.0.7", probe="icmp", site="hq"} => 1`},
		{`roomwatch_probe_error_info`, `roomwatch_probe_error_info{class="camera", device="cams/10.0.0.7", probe="icmp", reason="error", site="hq"} => 1`},
		{`roomwatch_probe_last_run_timestamp_seconds{device="ups-1"} - ` + fmt.Sprint(t0.Unix()), `{class="ups", device="ups-1", model="SMT750", probe="snmp", site="hq", vendor="APC"} => 0`},
	}
	for _, tt := range tests {
		v, err := q.Query(context.Background(), tt.expr, t0)
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		vec := v.(model.Vector)
		if len(vec) != 1 {
			t.Fatalf("%s: want 1 sample, got %v", tt.expr, vec)
		}
		got := fmt.Sprintf("%s => %v", vec[0].Metric, vec[0].Value)
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.expr, got, tt.want)
		}
	}
	if md, ok := s.Metadata().Get("roomwatch_ups_on_battery"); !ok || md.Type != model.MetricTypeGauge || md.Help != "on battery" {
		t.Errorf("metadata = %+v, %v", md, ok)
	}
	if _, err := q.Query(context.Background(), `sum(`, t0); err == nil {
		t.Error("a bad expression gave no error")
	}
}

func TestSinkDropsBadSamplesKeepsOthers(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir())
	t0 := time.Now()
	res := []probe.Result{{
		Target: inventory.Target{Device: ups, Name: "ups-1"}, Probe: "snmp", Start: t0,
		Samples: []probe.Sample{
			{Name: "bad name", Value: 1},
			{Name: "good_metric", Value: 2, Labels: map[string]string{"bad-label": "x"}},
			{Name: "good_metric", Value: 3},
		},
	}}
	err := NewSink(s, nil, nil).Write(context.Background(), res)
	if err == nil || !strings.Contains(err.Error(), "2 of 8 samples dropped") {
		t.Fatalf("err = %v", err)
	}
	v, err := s.PromQL().Query(context.Background(), "good_metric", t0)
	if err != nil {
		t.Fatal(err)
	}
	if vec := v.(model.Vector); len(vec) != 1 || vec[0].Value != 3 {
		t.Errorf("good_metric = %v", vec)
	}
}

// TestCloseFlushesAndReopens: samples written before Close are there after a reopen.
func TestCloseFlushesAndReopens(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, Retention: 35 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Truncate(time.Millisecond)
	res := []probe.Result{{Target: inventory.Target{Device: ups, Name: "ups-1"}, Probe: "snmp", Start: t0,
		Samples: []probe.Sample{{Name: "roomwatch_ups_on_battery", Value: 1}}}}
	if err := NewSink(s, nil, nil).Write(context.Background(), res); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "wal")); err != nil {
		t.Fatalf("no WAL after close: %v", err)
	}
	s2 := openTest(t, dir)
	v, err := s2.PromQL().Query(context.Background(), "roomwatch_ups_on_battery", t0)
	if err != nil {
		t.Fatal(err)
	}
	if vec := v.(model.Vector); len(vec) != 1 || vec[0].Value != 1 {
		t.Errorf("after reopen: %v", vec)
	}
	if s2.Retention() != DefaultRetention || DefaultRetention < 35*24*time.Hour {
		t.Errorf("default retention %v, want >= 35d", s2.Retention())
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	if _, err := Open(Options{}); err == nil {
		t.Error("no dir: no error")
	}
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Dir: f}); err == nil {
		t.Error("dir is a file: no error")
	}
}

// TestHTTPQuerierAgainstPrometheus runs the same queries through both Querier
// implementations: the local one over a store holding a sample, the HTTP one
// against Debian's prometheus scraping an exposition with the same sample.
func TestHTTPQuerierAgainstPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts prometheus")
	}
	t.Parallel()
	bin := testutil.LookBinary(t, "prometheus")
	expo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "# TYPE roomwatch_ups_on_battery gauge")
		fmt.Fprintln(w, `roomwatch_ups_on_battery{device="ups-1",class="ups",site="hq"} 1`)
	}))
	t.Cleanup(expo.Close)
	dir := t.TempDir()
	cfg := fmt.Sprintf("global: {scrape_interval: 1s}\nscrape_configs:\n- job_name: x\n  honor_labels: true\n  static_configs: [{targets: ['%s']}]\n",
		strings.TrimPrefix(expo.URL, "http://"))
	if err := os.WriteFile(filepath.Join(dir, "p.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	port := testutil.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	testutil.StartProcess(t, bin, "--config.file="+filepath.Join(dir, "p.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr)
	testutil.WaitHTTP(t, "http://"+addr+"/-/ready", 30*time.Second)
	hq, err := NewHTTPQuerier("http://"+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	const expr = `sum by (class) (roomwatch_ups_on_battery{job="x"})`
	ctx := context.Background()
	var got model.Value
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err = hq.Query(ctx, expr, time.Now())
		if err == nil && len(got.(model.Vector)) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus never had the sample: %v %v", got, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The same series in the local store, with the job label Prometheus adds.
	s := openTest(t, t.TempDir())
	now := time.Now()
	res := []probe.Result{{Target: inventory.Target{Device: ups, Name: "ups-1"}, Probe: "snmp", Start: now,
		Samples: []probe.Sample{{Name: "roomwatch_ups_on_battery", Value: 1, Labels: map[string]string{"job": "x"}}}}}
	if err := NewSink(s, nil, nil).Write(ctx, res); err != nil {
		t.Fatal(err)
	}
	local, err := s.PromQL().Query(ctx, expr, now)
	if err != nil {
		t.Fatal(err)
	}
	g, l := got.(model.Vector), local.(model.Vector)
	if g[0].Metric.String() != l[0].Metric.String() || g[0].Value != l[0].Value {
		t.Errorf("prometheus %v, local %v", g, l)
	}
	end := time.Now()
	rv, err := hq.QueryRange(ctx, expr, end.Add(-10*time.Second), end, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m := rv.(model.Matrix); len(m) != 1 || len(m[0].Values) == 0 {
		t.Errorf("range: %v", rv)
	}
	lr, err := s.PromQL().QueryRange(ctx, expr, now, now.Add(2*time.Second), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m := lr.(model.Matrix); len(m) != 1 || len(m[0].Values) != 3 {
		t.Errorf("local range: %v", lr)
	}
	if _, err := s.PromQL().QueryRange(ctx, expr, now, now, 0); err == nil {
		t.Error("zero step: no error")
	}
}
