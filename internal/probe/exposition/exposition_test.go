package exposition

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func results() []probe.Result {
	nvr := &inventory.Device{Name: "nvr-01", DisplayName: "一楼监控室NVR", Class: inventory.ClassNVR, Site: "hq", Vendor: "Hikvision", Model: "DS-7608NI-K2", Room: "1F-机房", Address: "10.20.1.5"}
	cam := &inventory.Device{Name: "cams-gate", DisplayName: "大门摄像机", Class: inventory.ClassCamera, Site: "hq", Vendor: "Hikvision", Parent: "nvr-01", Range: "10.20.2.1-10.20.2.2"}
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	isapi := probe.Result{Target: inventory.Target{Device: nvr, Name: "nvr-01", Address: "10.20.1.5"}, Probe: "isapi", Start: start, Duration: 420 * time.Millisecond}
	isapi.Add("roomwatch_nvr_disk_ok", probe.Gauge, 0, "Whether the disk is healthy.", map[string]string{"disk": "2"})
	isapi.Add("roomwatch_nvr_disk_status_info", probe.Info, 1, "Disk status.", map[string]string{"disk": "2", "status": "smartfailed"})
	isapi.Add("roomwatch_device_clock_offset_seconds", probe.Gauge, 3, "Clock offset.", nil)
	checkpointLike := probe.Result{Target: isapi.Target, Probe: "http", Start: start, Duration: 20 * time.Millisecond}
	checkpointLike.Add("roomwatch_device_clock_offset_seconds", probe.Gauge, 3, "Clock offset.", nil) // a duplicate series: dropped
	checkpointLike.Add("roomwatch_probe_http_status_code", probe.Gauge, 200, "", map[string]string{"device": "clash"})
	rtspUp := probe.Result{Target: inventory.Target{Device: cam, Name: "cams-gate/10.20.2.1", Address: "10.20.2.1"}, Probe: "rtsp", Start: start, Duration: 35 * time.Millisecond}
	rtspUp.Add("roomwatch_probe_rtsp_video_streams", probe.Gauge, 1, "Video sections.", nil)
	rtspDown := probe.Result{Target: inventory.Target{Device: cam, Name: "cams-gate/10.20.2.2", Address: "10.20.2.2"}, Probe: "rtsp", Start: start, Duration: 10 * time.Second,
		Err: probe.Errorf(probe.ReasonTimeout, "rtsp OPTIONS: no answer")}
	return []probe.Result{isapi, checkpointLike, rtspUp, rtspDown}
}

func TestWriteTextGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteText(&buf, results()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "results.prom")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if buf.String() != string(want) {
		t.Errorf("exposition differs from %s (go test -update rewrites it):\n%s", golden, buf.String())
	}
	// No message text may leak into labels.
	if strings.Contains(buf.String(), "no answer") {
		t.Error("an error message ended up in the exposition")
	}
}

func TestStoreCollector(t *testing.T) {
	t.Parallel()
	s := NewStore()
	ctx := context.Background()
	rs := results()
	s.Write(ctx, rs)
	down := rs[3]
	s.Write(ctx, []probe.Result{down}) // fails twice
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	if problems, err := promtest.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
	exp := `# HELP roomwatch_probe_failures_total Checks that failed since the collector started (full series only, probes.series).
# TYPE roomwatch_probe_failures_total counter
roomwatch_probe_failures_total{class="nvr",device="nvr-01",model="DS-7608NI-K2",probe="http",site="hq",vendor="Hikvision"} 0
roomwatch_probe_failures_total{class="nvr",device="nvr-01",model="DS-7608NI-K2",probe="isapi",site="hq",vendor="Hikvision"} 0
roomwatch_probe_failures_total{class="camera",device="cams-gate/10.20.2.1",probe="rtsp",site="hq",vendor="Hikvision"} 0
roomwatch_probe_failures_total{class="camera",device="cams-gate/10.20.2.2",probe="rtsp",site="hq",vendor="Hikvision"} 2
`
	if err := promtest.GatherAndCompare(reg, strings.NewReader(exp), probe.MetricFailures); err != nil {
		t.Error(err)
	}
	latest := s.Latest()
	if len(latest) != 4 || latest[1].Target.Name != "cams-gate/10.20.2.2" || !errors.Is(latest[1].Err, latest[1].Err) || latest[1].Err == nil {
		t.Errorf("Latest: %+v", latest)
	}
}

// TestWriteTextMatchesRegistry: WriteText writes text directly; it must be
// byte for byte what the Store gives through a registry's Gather and
// expfmt (the /metrics path), also for values and labels that need escaping
// or special spelling.
func TestWriteTextMatchesRegistry(t *testing.T) {
	t.Parallel()
	rs := results()
	odd := probe.Result{Target: rs[0].Target, Probe: "snmp", Start: rs[0].Start, Duration: time.Second}
	odd.Add("roomwatch_odd_value", probe.Gauge, math.Inf(+1), "Help with a \\ backslash\nand a newline.", map[string]string{"q": `say "hi" \ there` + "\nnext"})
	odd.Add("roomwatch_odd_value", probe.Gauge, math.NaN(), "", map[string]string{"q": "nan"})
	odd.Add("roomwatch_odd_value", probe.Gauge, math.Inf(-1), "", map[string]string{"q": "neg"})
	odd.Add("roomwatch_odd_value", probe.Gauge, 1e-9, "", map[string]string{"q": "tiny"})
	odd.Add("roomwatch_odd_total", probe.Counter, 12345678901234, "Big.", nil)
	odd.Add("roomwatch_odd_value", probe.Counter, 1, "", map[string]string{"q": "other type: dropped"})
	rs = append(rs, odd)

	var direct bytes.Buffer
	if err := WriteText(&direct, rs); err != nil {
		t.Fatal(err)
	}
	s := NewStore()
	if err := s.Write(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var viaRegistry bytes.Buffer
	enc := expfmt.NewEncoder(&viaRegistry, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if direct.String() != viaRegistry.String() {
		t.Errorf("WriteText:\n%s\nregistry + expfmt:\n%s", direct.String(), viaRegistry.String())
	}
	if !strings.Contains(direct.String(), `q="say \"hi\" \\ there\nnext"`) {
		t.Errorf("escaped label missing:\n%s", direct.String())
	}
}

// TestStoreOwnsItsSamples: the Store keeps its own copy of a result's samples
// (a batch prober reuses nothing, but shares one array per sweep, which the
// Store must not keep alive), without the detail samples of a brief result.
func TestStoreOwnsItsSamples(t *testing.T) {
	t.Parallel()
	cam := &inventory.Device{Name: "cam-1", Class: inventory.ClassCamera, Site: "hq"}
	sweep := []probe.Sample{
		{Name: "roomwatch_ping_loss_ratio", Type: probe.Gauge, Value: 0},
		{Name: "roomwatch_ping_rtt_seconds", Type: probe.Gauge, Labels: map[string]string{"stat": "min"}, Value: 0.001, Detail: true},
		{Name: "roomwatch_ping_rtt_seconds", Type: probe.Gauge, Labels: map[string]string{"stat": "avg"}, Value: 0.002},
	}
	brief := probe.Result{Target: inventory.Target{Device: cam, Name: "cam-1", Address: "127.0.0.1"}, Probe: "icmp", Brief: true, Samples: sweep[:3:3]}
	full := brief
	full.Target.Name, full.Brief = "cam-2", false
	s := NewStore()
	if err := s.Write(context.Background(), []probe.Result{brief, full}); err != nil {
		t.Fatal(err)
	}
	sweep[0].Value = 1 // the prober's array, reused: the Store's copy stays
	got := s.Latest()
	if len(got) != 2 {
		t.Fatalf("%d results", len(got))
	}
	if n := len(got[0].Samples); n != 2 || got[0].Samples[0].Value != 0 || got[0].Samples[1].Detail {
		t.Errorf("brief result's samples: %+v, want loss 0 and the mean RTT", got[0].Samples)
	}
	if n := len(got[1].Samples); n != 3 || got[1].Samples[0].Value != 0 {
		t.Errorf("full result's samples: %+v, want all three as written", got[1].Samples)
	}
}
