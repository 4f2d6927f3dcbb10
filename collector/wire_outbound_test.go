package collector

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/remotewrite/peertest"
)

// pushRW sends one remote-write request of (name, labels) samples and returns the HTTP status.
func pushRW(t *testing.T, base string, series ...prompb.TimeSeries) int {
	t.Helper()
	raw, err := (&prompb.WriteRequest{Timeseries: series}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return post(t, base+"/api/v1/write", "application/x-protobuf", snappy.Encode(nil, raw),
		map[string]string{"Content-Encoding": "snappy", "X-Prometheus-Remote-Write-Version": "0.1.0"})
}

func rwSeries(name, device string, ts int64, v float64) prompb.TimeSeries {
	return prompb.TimeSeries{
		Labels:  []prompb.Label{{Name: "__name__", Value: name}, {Name: "device", Value: device}},
		Samples: []prompb.Sample{{Timestamp: ts, Value: v}},
	}
}

// queryAt runs an instant query on base (the collector or VictoriaMetrics)
// and returns the values of the result, keyed by the device label.
func queryAt(t *testing.T, base, expr string, at time.Time) map[string]string {
	t.Helper()
	q := url.Values{"query": {expr}, "time": {fmt.Sprintf("%.3f", float64(at.UnixMilli())/1000)}}
	code, body := get(t, base+"/api/v1/query?"+q.Encode())
	if code != http.StatusOK {
		t.Fatalf("query %s: HTTP %d: %s", expr, code, body)
	}
	var qr struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &qr); err != nil || qr.Status != "success" {
		t.Fatalf("query %s: %v: %s", expr, err, body)
	}
	out := map[string]string{}
	for _, r := range qr.Data.Result {
		out[r.Metric["device"]], _ = r.Value[1].(string)
	}
	return out
}

// TestServeAcceptsLateSamples: with the default storage config, an agent
// replaying its buffer gets a sample 2 h older than the series' newest stored
// and queryable (the TSDB's out-of-order window).
func TestServeAcceptsLateSamples(t *testing.T) {
	t.Parallel()
	cfg := bareConfig(t)
	if got := cfg.Storage.OutOfOrderWindow.Std(); got < 24*time.Hour {
		t.Fatalf("default out_of_order_window %v, want at least 24h (pushbuf keeps a day)", got)
	}
	base := startServe(t, cfg)
	now := time.Now().Truncate(time.Second)
	old := now.Add(-2 * time.Hour)
	for _, s := range []struct {
		at time.Time
		v  float64
	}{{now, 1}, {old, 2}, {now.Add(-23 * time.Hour), 3}} {
		if code := pushRW(t, base, rwSeries("late_test_metric", "agent-07", s.at.UnixMilli(), s.v)); code != http.StatusNoContent {
			t.Fatalf("push at %v: HTTP %d, want 204", s.at, code)
		}
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{{now, "1"}, {old, "2"}, {now.Add(-23 * time.Hour), "3"}} {
		got := queryAt(t, base, `late_test_metric`, c.at)
		if got["agent-07"] != c.want {
			t.Errorf("late_test_metric at %v = %v, want %s", c.at, got, c.want)
		}
	}
}

// TestServeForwardsOutbound: a real VictoriaMetrics on loopback receives every
// sample the collector ingests — scraped, probed and remote-written — through
// both the remote_write section (its /api/v1/write) and the influxdb section
// (its /api/v2/write), read back from its query API.
func TestServeForwardsOutbound(t *testing.T) {
	t.Parallel()
	vm := peertest.StartVictoriaMetrics(t)
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# TYPE outbound_scraped gauge\noutbound_scraped 7\n")
	}))
	t.Cleanup(exporter.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dir := t.TempDir()
	yml := fmt.Sprintf(`global: {data_dir: %q}
web: {listen_address: "127.0.0.1:0"}
rules: {files: []}
tickets: {enabled: false}
scrape:
  - {url: %q, device: exp-1, interval: 1s}
inventory:
  devices:
    - {name: tcp-1, class: server, address: %q, probes: [tcp], interval: 1s}
remote_write:
  - url: %s/api/v1/write
    flush_interval: 100ms
    min_backoff: 50ms
influxdb:
  url: %s
  token: not-checked-by-vm
  org: roomwatch
  bucket: metrics
  flush_interval: 100ms
`, filepath.Join(dir, "data"), exporter.URL+"/metrics", ln.Addr().String(), vm, vm)
	path := filepath.Join(dir, "collector.yml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	base := startServe(t, cfg)
	ts := time.Now().Truncate(time.Second)
	if code := pushRW(t, base, rwSeries("outbound_pushed", "agent-09", ts.UnixMilli(), 42)); code != http.StatusNoContent {
		t.Fatalf("push: HTTP %d", code)
	}
	// Each source through each path: remote write keeps the name, the
	// InfluxDB path stores measurement_field (…_value).
	want := []struct{ expr, device, value string }{
		{`outbound_pushed`, "agent-09", "42"},
		{`outbound_pushed_value`, "agent-09", "42"},
		{`outbound_scraped{job="roomwatch-agent"}`, "exp-1", "7"},
		{`outbound_scraped_value{job="roomwatch-agent"}`, "exp-1", "7"},
		{`roomwatch_probe_up{probe="tcp"}`, "tcp-1", "1"},
		{`roomwatch_probe_up_value{probe="tcp"}`, "tcp-1", "1"},
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, w := range want {
		for {
			peertest.VMExport(t, vm, `{__name__="none"}`) // forces VictoriaMetrics to flush
			got := queryAt(t, vm, fmt.Sprintf("last_over_time(%s[10m])", w.expr), time.Now())
			if got[w.device] == w.value {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("VictoriaMetrics %s = %v, want %s=%s", w.expr, got, w.device, w.value)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// The scraped roomwatch-agent counts as heard from, like a pushing one.
	code, agents := get(t, base+"/api/v1/agents")
	if code != http.StatusOK || !strings.Contains(agents, `"exp-1"`) {
		t.Errorf("/api/v1/agents: HTTP %d: %s; want exp-1 (scraped)", code, agents)
	}
	code, metrics := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: HTTP %d", code)
	}
	for _, m := range []string{"roomwatch_remote_write_sent_samples_total{remote=", "roomwatch_influx_points_written_total "} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}

// TestOutboundConfigErrors: bad outbound sections name the file and line.
func TestOutboundConfigErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, yml, want string }{
		{"no url", "remote_write:\n  - name: vm\n", `c.yml:2: remote_write[0].url: "" is not`},
		{"bad scheme", "remote_write:\n  - url: ftp://vm/api/v1/write\n", `c.yml:2: remote_write[0].url: "ftp://vm/api/v1/write"`},
		{"same name", "remote_write:\n  - url: http://vm:8428/api/v1/write\n  - url: http://vm:8428/x\n", `c.yml:3: remote_write[1]: a second remote_write named "vm:8428"`},
		{"unknown key", "remote_write:\n  - url: http://vm/w\n    batchsize: 3\n", `c.yml:3`},
		{"batch over capacity", "remote_write:\n  - url: http://vm/w\n    capacity: 10\n    batch_size: 11\n", `c.yml:2: remote_write[0].batch_size 11 is larger than capacity 10`},
		{"backoff", "remote_write:\n  - url: http://vm/w\n    min_backoff: 1m\n    max_backoff: 1s\n", `c.yml:2: remote_write[0].min_backoff 1m0s is longer`},
		{"influx no bucket", "influxdb:\n  url: http://influx:8086\n  org: o\n", `c.yml:2: influxdb: org and bucket are required`},
		{"influx bad url", "\ninfluxdb:\n  url: influx:8086\n  org: o\n  bucket: b\n", `c.yml:3: influxdb.url: "influx:8086"`},
		{"influx timeout", "influxdb:\n  url: http://i:8086\n  org: o\n  bucket: b\n  timeout: 500ms\n", `c.yml:2: influxdb.timeout 500ms: at least 1s`},
		{"influx bad duration", "influxdb:\n  url: http://i:8086\n  org: o\n  bucket: b\n  flush_interval: soon\n", `c.yml:5: invalid duration "soon"`},
		{"negative ooo", "storage:\n  out_of_order_window: -1h\n", `c.yml:2: invalid duration "-1h"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			err := config.Decode("c.yml", []byte(c.yml), &cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
	cfg := DefaultConfig()
	ok := "remote_write:\n  - url: http://vm:8428/api/v1/write\n    bearer_token: s3cret\n  - url: http://vm:8428/other\n    name: second\ninfluxdb: {url: http://i:8086, org: o, bucket: b, token: t0k}\n"
	if err := config.Decode("c.yml", []byte(ok), &cfg); err != nil {
		t.Fatalf("valid outbound config: %v", err)
	}
	if len(cfg.RemoteWrite) != 2 || cfg.RemoteWrite[0].BearerToken.Reveal() != "s3cret" || cfg.InfluxDB == nil || cfg.InfluxDB.Bucket != "b" {
		t.Fatalf("decoded %+v %+v", cfg.RemoteWrite, cfg.InfluxDB)
	}
	if s := fmt.Sprintf("%v", cfg.RemoteWrite[0]); strings.Contains(s, "s3cret") {
		t.Errorf("the bearer token prints: %s", s)
	}
}
