package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/roomwatch/roomwatch/internal/snmp/snmptest"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestServeProbeSeriesParity: serve probing two SNMP devices (snmpsimd
// serving a Huawei switch with ports down and an APC UPS on battery) holds
// the same probe series in its TSDB (what Grafana and the rules read, through
// /api/v1/query) as on its own /metrics: the same names and label sets, one
// roomwatch_device_info per device with the inventory's facts, and what the
// device says it is on roomwatch_device_reported_info only.
func TestServeProbeSeriesParity(t *testing.T) {
	t.Parallel()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	rec := func(name string) string { return filepath.Join(root, "testdata", "snmprec", name+".snmprec") }
	host, port := snmptest.StartSnmpsim(t, rec("switch-huawei-portsdown"), rec("ups-apc-onbattery"))
	inv := fmt.Sprintf(`
    - name: sw-1
      display_name: 核心交换机
      class: switch
      site: hq
      room: 1F-机房
      vendor: 华为
      model: S5735
      address: "%[1]s:%[2]d"
      probes: [snmp]
      snmp: {version: "2c", community: switch-huawei-portsdown}
      interval: 3s
      timeout: 2500ms
    - name: ups-1
      class: ups
      site: hq
      parent: sw-1
      vendor: APC
      address: "%[1]s:%[2]d"
      probes: [snmp]
      snmp: {version: "2c", community: ups-apc-onbattery}
      interval: 3s
      timeout: 2500ms
`, host, port)
	base := startProbeServe(t, inv)
	devices := []string{"sw-1", "ups-1"}

	var fromMetrics, fromTSDB []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		// Both devices answered their latest poll (a poll timed out on a
		// loaded machine gives equal but smaller sets), then the two sides.
		up := queryAt(t, base, `roomwatch_probe_up == 1`, time.Now())
		fromMetrics = exposedProbeSeries(t, base, devices)
		fromTSDB = storedProbeSeries(t, base, devices)
		if len(up) == len(devices) && slices.Equal(fromMetrics, fromTSDB) &&
			!slices.ContainsFunc(fromTSDB, func(s string) bool { return strings.HasPrefix(s, "roomwatch_probe_error_info{") }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("probe series differ (or a device was never probed):\n%s", seriesDiff(fromMetrics, fromTSDB))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%d series, the same in /metrics and the TSDB", len(fromTSDB))

	// What the sets hold, beyond being equal.
	count := func(prefix string) int {
		n := 0
		for _, s := range fromTSDB {
			if strings.HasPrefix(s, prefix) {
				n++
			}
		}
		return n
	}
	if n := count(`roomwatch_device_info{`); n != len(devices) {
		t.Errorf("%d roomwatch_device_info series, want one per device", n)
	}
	testutil.Contains(t, strings.Join(fromTSDB, "\n"),
		`roomwatch_device_info{address="`+host, `display_name="核心交换机"`, `room="1F-机房"`, `parent="sw-1"`,
		`roomwatch_device_reported_info{class="switch",device="sw-1"`, `reported_vendor="Huawei"`, `vendor="华为"`,
		`roomwatch_ups_on_battery{class="ups",device="ups-1",site="hq",vendor="APC"}`,
		`roomwatch_if_oper_status{class="switch",device="sw-1"`,
		`roomwatch_probe_failures_total{class="ups",device="ups-1",probe="snmp",site="hq",vendor="APC"}`)
	for _, s := range fromTSDB {
		if strings.HasPrefix(s, "roomwatch_device_info{") && strings.Contains(s, "sys_") {
			t.Errorf("roomwatch_device_info carries what the device reported: %s", s)
		}
	}
}

// TestServeBriefSeriesForCameras: with the default probes.series a camera's
// ping keeps its brief series (device info, up, loss, mean RTT) and a router's
// the full ones (duration, last run, failures, RTT min/max, jitter), the same
// in the TSDB and on /metrics.
func TestServeBriefSeriesForCameras(t *testing.T) {
	t.Parallel()
	base := startProbeServe(t, `
    - {name: cam-1, class: camera, site: hq, address: 127.0.0.41, probes: [icmp], interval: 3s, timeout: 2500ms}
    - {name: gw-1, class: router, site: hq, address: 127.0.0.42, probes: [icmp], interval: 3s, timeout: 2500ms}
`)
	devices := []string{"cam-1", "gw-1"}
	names := func(series []string, device string) []string {
		var out []string
		for _, s := range series {
			if strings.Contains(s, `device="`+device+`"`) {
				name, rest, _ := strings.Cut(s, "{")
				if strings.Contains(rest, `stat="`) {
					_, st, _ := strings.Cut(rest, `stat="`)
					st, _, _ = strings.Cut(st, `"`)
					name += "/" + st
				}
				out = append(out, name)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	wantCam := []string{"roomwatch_device_info", "roomwatch_ping_loss_ratio", "roomwatch_ping_rtt_seconds/avg", "roomwatch_probe_up"}
	wantGW := []string{"roomwatch_device_info", "roomwatch_ping_jitter_seconds", "roomwatch_ping_loss_ratio",
		"roomwatch_ping_rtt_seconds/avg", "roomwatch_ping_rtt_seconds/max", "roomwatch_ping_rtt_seconds/min",
		"roomwatch_probe_duration_seconds", "roomwatch_probe_failures_total", "roomwatch_probe_last_run_timestamp_seconds",
		"roomwatch_probe_up"}
	var fromMetrics, fromTSDB []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		fromMetrics = exposedProbeSeries(t, base, devices)
		fromTSDB = storedProbeSeries(t, base, devices)
		if slices.Equal(fromMetrics, fromTSDB) && slices.Equal(names(fromTSDB, "cam-1"), wantCam) &&
			slices.Equal(names(fromTSDB, "gw-1"), wantGW) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("camera series %q (want %q), router series %q (want %q); /metrics vs TSDB:\n%s",
				names(fromTSDB, "cam-1"), wantCam, names(fromTSDB, "gw-1"), wantGW, seriesDiff(fromMetrics, fromTSDB))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestServeProbeFailureStalesSeries: a UPS on battery whose SNMP agent stops
// answering no longer shows roomwatch_ups_on_battery, neither to the rules
// (an instant query on the TSDB right after the failed check, well within the
// 5-minute lookback) nor on /metrics; roomwatch_probe_up is 0 and the error
// info says why. The agent is snmptest's in-process responder serving the
// recording, closed mid-test.
func TestServeProbeFailureStalesSeries(t *testing.T) {
	t.Parallel()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	pdus, err := snmptest.ReadSnmprec(filepath.Join(root, "testdata", "snmprec", "ups-apc-onbattery.snmprec"))
	if err != nil {
		t.Fatal(err)
	}
	agent, err := snmptest.NewResponder("127.0.0.1:0", map[string][]gosnmp.SnmpPDU{"public": pdus})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Serve(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("responder: %v", err)
		}
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	base := startProbeServe(t, fmt.Sprintf(`
    - name: ups-1
      class: ups
      site: hq
      address: "%s"
      probes: [snmp]
      snmp: {version: "2c", community: public}
      interval: 1s
`, agent.Addr()))

	waitQuery(t, base, `roomwatch_ups_on_battery`, "1")
	stop()
	stopped = true
	stoppedAt := time.Now()
	waitQuery(t, base, `roomwatch_probe_up{probe="snmp"}`, "0")
	if got := queryAt(t, base, `roomwatch_ups_on_battery`, time.Now()); len(got) != 0 {
		t.Errorf("roomwatch_ups_on_battery after the agent stopped = %v, want no series (stale)", got)
	}
	if got := queryAt(t, base, `roomwatch_probe_error_info{probe="snmp"}`, time.Now()); got["ups-1"] != "1" {
		t.Errorf("roomwatch_probe_error_info = %v, want 1", got)
	}
	if time.Since(stoppedAt) > 4*time.Minute {
		t.Fatal("too slow to tell staleness from the 5-minute lookback")
	}
	if s := exposedProbeSeries(t, base, []string{"ups-1"}); slices.ContainsFunc(s, func(x string) bool { return strings.HasPrefix(x, "roomwatch_ups_") }) {
		t.Errorf("/metrics still exposes the UPS samples of the last success: %v", s)
	}
}

// startProbeServe runs serve with no rules or scrapes and the given inventory
// devices (YAML list items, indented under devices:), returning its base URL.
func startProbeServe(t *testing.T, devices string) string {
	t.Helper()
	dir := t.TempDir()
	yml := fmt.Sprintf(`global: {data_dir: %q, site: hq}
web: {listen_address: "127.0.0.1:0"}
rules: {files: []}
scrape: []
inventory:
  sites: [{name: hq}]
  devices:%s`, filepath.Join(dir, "data"), devices)
	path := filepath.Join(dir, "collector.yml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	_, base := startServeWith(t, Options{Config: cfg, Logger: discard()})
	return base
}

// waitQuery waits up to 60 s for expr to give want for device ups-1.
func waitQuery(t *testing.T, base, expr, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := queryAt(t, base, expr, time.Now())
		if got["ups-1"] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want ups-1=%s", expr, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// seriesKey renders a series as name{a="b",…}, labels sorted, empty ones left
// out (an empty label is an absent label).
func seriesKey(name string, ls map[string]string) string {
	names := make([]string, 0, len(ls))
	for k, v := range ls {
		if v != "" && k != model.MetricNameLabel {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s=%q", k, ls[k])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// exposedProbeSeries returns the roomwatch_* series of the devices on /metrics.
func exposedProbeSeries(t *testing.T, base string, devices []string) []string {
	t.Helper()
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: HTTP %d", code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	var out []string
	for name, f := range fams {
		if !strings.HasPrefix(name, "roomwatch_") {
			continue
		}
		for _, m := range f.GetMetric() {
			ls := map[string]string{}
			for _, lp := range m.GetLabel() {
				ls[lp.GetName()] = lp.GetValue()
			}
			if slices.Contains(devices, ls["device"]) {
				out = append(out, seriesKey(name, ls))
			}
		}
	}
	sort.Strings(out)
	return out
}

// storedProbeSeries returns the roomwatch_* series of the devices an instant
// query on the TSDB sees now.
func storedProbeSeries(t *testing.T, base string, devices []string) []string {
	t.Helper()
	expr := fmt.Sprintf(`{__name__=~"roomwatch_.+", device=~%q}`, strings.Join(devices, "|"))
	q := url.Values{"query": {expr}, "time": {fmt.Sprintf("%.3f", float64(time.Now().UnixMilli())/1000)}}
	code, body := get(t, base+"/api/v1/query?"+q.Encode())
	if code != http.StatusOK {
		t.Fatalf("query %s: HTTP %d: %s", expr, code, body)
	}
	var qr struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &qr); err != nil || qr.Status != "success" {
		t.Fatalf("query %s: %v: %s", expr, err, body)
	}
	out := make([]string, 0, len(qr.Data.Result))
	for _, r := range qr.Data.Result {
		out = append(out, seriesKey(r.Metric[model.MetricNameLabel], r.Metric))
	}
	sort.Strings(out)
	return out
}

// seriesDiff lists the series only one side has.
func seriesDiff(metrics, tsdb []string) string {
	var b strings.Builder
	for _, s := range metrics {
		if !slices.Contains(tsdb, s) {
			b.WriteString("only on /metrics: " + s + "\n")
		}
	}
	for _, s := range tsdb {
		if !slices.Contains(metrics, s) {
			b.WriteString("only in the TSDB:  " + s + "\n")
		}
	}
	fmt.Fprintf(&b, "(%d on /metrics, %d in the TSDB)", len(metrics), len(tsdb))
	return b.String()
}
