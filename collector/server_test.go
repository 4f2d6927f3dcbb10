package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/common/model"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// recSink records the alerts the collector's rule engine sends.
type recSink struct {
	mu     sync.Mutex
	latest map[string]alert.Alert // fingerprint -> newest
}

func (s *recSink) Send(_ context.Context, as []alert.Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range as {
		s.latest[a.Fingerprint()] = a
	}
	return nil
}

// firing returns the label sets of the alerts firing now, as sorted strings.
func (s *recSink) firing() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	now := time.Now()
	for _, a := range s.latest {
		if a.Status(now) == alert.StatusFiring {
			out = append(out, labelString(a.Labels))
		}
	}
	sort.Strings(out)
	return out
}

func labelString(m map[string]string) string {
	ls := make(model.LabelSet, len(m))
	for k, v := range m {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls.String()
}

// target is one scraped exposition with the identity the collector gives it.
type target struct {
	device, class string
	body          string // "" answers 500
}

var targets = []target{
	{"ups-1", "ups", "roomwatch_ups_on_battery 1\nroomwatch_ups_battery_runtime_seconds 300\nroomwatch_ups_replace_battery 1\nroomwatch_ups_battery_charge_ratio 0.5\n"},
	{"env-1", "env", "roomwatch_env_water_leak{sensor=\"floor\"} 1\nroomwatch_env_temperature_celsius{sensor=\"rack\"} 35\nroomwatch_env_humidity_ratio{sensor=\"rack\"} 0.5\n"},
	{"srv-1", "server", `# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/sda1",mountpoint="/",fstype="xfs"} 2
node_filesystem_avail_bytes{device="/dev/sdb1",mountpoint="/data",fstype="ext4"} 80
node_filesystem_size_bytes{device="/dev/sda1",mountpoint="/",fstype="xfs"} 100
node_filesystem_size_bytes{device="/dev/sdb1",mountpoint="/data",fstype="ext4"} 100
node_filesystem_readonly{device="/dev/sdb1",mountpoint="/data",fstype="ext4"} 1
node_network_up{device="eth0"} 1
node_network_up{device="eth1"} 0
roomwatch_process_up{watch="nginx"} 0
roomwatch_process_up{watch="sshd"} 1
roomwatch_probe_up{probe="icmp"} 0
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 3
http_request_duration_seconds_bucket{le="+Inf"} 4
http_request_duration_seconds_sum 0.9
http_request_duration_seconds_count 4
`},
	{"srv-2", "server", ""},
}

// shortRules copies rules/alerts with every `for:` cut to 1s, so that the
// same rules fire within a test in both engines.
func shortRules(t *testing.T) string {
	t.Helper()
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "rules", "alerts", "*.yml"))
	dir := t.TempDir()
	re := regexp.MustCompile(`(?m)^(\s+)for: \S+$`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), re.ReplaceAll(b, []byte("${1}for: 1s")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func startTargets(t *testing.T) []string {
	var urls []string
	for _, tg := range targets {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if tg.body == "" {
				http.Error(w, "agent broken", 500)
				return
			}
			io.WriteString(w, tg.body)
		}))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL+"/metrics")
	}
	return urls
}

func testConfig(t *testing.T, rulesDir string, urls []string) Config {
	cfg := DefaultConfig()
	cfg.Global.DataDir = t.TempDir()
	cfg.Global.Site = "hq"
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Rules.Files = []string{filepath.Join(rulesDir, "*.yml")}
	cfg.Rules.EvaluationInterval = config.Duration(300 * time.Millisecond)
	cfg.Scrape = nil
	for i, u := range urls {
		cfg.Scrape = append(cfg.Scrape, ScrapeTarget{URL: u, Job: "roomwatch-agent", Device: targets[i].device,
			Class: inventory.Class(targets[i].class), Interval: config.Duration(300 * time.Millisecond)})
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startCollector(t *testing.T, cfg Config, sink *recSink) (string, func() error) {
	t.Helper()
	srv, err := New(Options{Config: cfg, AlertSink: sink, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	addr, err := srv.Addr(wctx)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-errc
	}
	t.Cleanup(func() { _ = stop() })
	return "http://" + addr, stop
}

func waitUntil(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var wantAlerts = []string{"AgentScrapeFailed", "DiskAlmostFull", "DiskNearlyFull", "FilesystemReadOnly", "HostDown",
	"ProcessDown", "RoomTemperatureHigh", "UPSBatteryNeedsReplacing", "UPSOnBattery", "UPSRuntimeLow", "WaterLeak"}

func names(sets []string) []string {
	var out []string
	re := regexp.MustCompile(`alertname="([^"]+)"`)
	for _, s := range sets {
		out = append(out, re.FindStringSubmatch(s)[1])
	}
	sort.Strings(out)
	return out
}

// TestCollectorEndToEnd: scraped samples → embedded TSDB → rules/alerts →
// the alert sink, while Debian's prometheus 2.42 scrapes the same targets and
// evaluates the same rule files; both must fire the same alerts with the same
// labels. Then the collector stops, and its TSDB holds the data after a reopen.
func TestCollectorEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts prometheus")
	}
	t.Parallel()
	bin := testutil.LookBinary(t, "prometheus")
	rulesDir := shortRules(t)
	urls := startTargets(t)
	cfg := testConfig(t, rulesDir, urls)
	sink := &recSink{latest: map[string]alert.Alert{}}
	base, stop := startCollector(t, cfg, sink)

	// The same targets and rules in a real Prometheus.
	var sc strings.Builder
	fmt.Fprintf(&sc, "global: {scrape_interval: 300ms, scrape_timeout: 300ms, evaluation_interval: 300ms}\nrule_files: ['%s/*.yml']\nscrape_configs:\n", rulesDir)
	for i, u := range urls {
		host := strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/metrics")
		fmt.Fprintf(&sc, "- job_name: t%d\n  metrics_path: /metrics\n  static_configs: [{targets: ['%s'], labels: {job: roomwatch-agent, device: %s, class: %s, site: hq}}]\n",
			i, host, targets[i].device, targets[i].class)
	}
	pdir := t.TempDir()
	os.WriteFile(filepath.Join(pdir, "p.yml"), []byte(sc.String()), 0o600)
	paddr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	testutil.StartProcess(t, bin, "--config.file="+filepath.Join(pdir, "p.yml"), "--storage.tsdb.path="+filepath.Join(pdir, "data"), "--web.listen-address="+paddr)
	testutil.WaitHTTP(t, "http://"+paddr+"/-/ready", 30*time.Second)
	promFiring := func() []string {
		resp, err := http.Get("http://" + paddr + "/api/v1/alerts")
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Alerts []struct {
					Labels map[string]string `json:"labels"`
					State  string            `json:"state"`
				} `json:"alerts"`
			} `json:"data"`
		}
		if json.NewDecoder(resp.Body).Decode(&r) != nil {
			return nil
		}
		var out []string
		for _, a := range r.Data.Alerts {
			if a.State == "firing" {
				out = append(out, labelString(a.Labels))
			}
		}
		sort.Strings(out)
		return out
	}
	want := fmt.Sprint(wantAlerts)
	waitUntil(t, "the collector's alerts "+want, 30*time.Second, func() bool { return fmt.Sprint(names(sink.firing())) == want })
	waitUntil(t, "prometheus's alerts "+want, 30*time.Second, func() bool { return fmt.Sprint(names(promFiring())) == want })
	ours, theirs := sink.firing(), promFiring()
	if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
		t.Errorf("alerts differ:\nroomwatch:\n%s\nprometheus:\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
	}
	for _, l := range ours {
		if !strings.Contains(l, `fault_level="`) || !strings.Contains(l, `site="hq"`) {
			t.Errorf("alert without fault_level or site: %s", l)
		}
	}

	// The query API and operations endpoints of the running collector.
	if code, body := get(t, base+"/-/ready"); code != 200 {
		t.Errorf("/-/ready: %d %s", code, body)
	}
	if code, _ := get(t, base+"/-/healthy"); code != 200 {
		t.Errorf("/-/healthy: %d", code)
	}
	_, m := get(t, base+"/metrics")
	testutil.Contains(t, m, "roomwatch_ingest_samples_appended_total{source=\"scrape\"}", "prometheus_rule_evaluation_duration_seconds",
		"prometheus_tsdb_head_series ", "roomwatch_collector_build_info", "roomwatch_ingest_samples_dropped_total")
	_, q := get(t, base+`/api/v1/query?query=http_request_duration_seconds_bucket{le="%2BInf"}`)
	testutil.Contains(t, q, `"device":"srv-1"`, `"4"`)
	_, al := get(t, base+"/api/v1/alerts")
	testutil.Contains(t, al, `"alertname":"WaterLeak"`, `"state":"firing"`)
	// The agent's own device label (disk, interface) clashes with the target's
	// device: kept as exported_device, as Prometheus keeps it, so the two
	// interfaces stay two series.
	_, nu := get(t, base+`/api/v1/query?query=node_network_up`)
	testutil.Contains(t, nu, `"exported_device":"eth0"`, `"exported_device":"eth1"`, `"device":"srv-1"`)
	_, md := get(t, base+"/api/v1/metadata?metric=node_filesystem_avail_bytes")
	testutil.Contains(t, md, `"type":"gauge"`)

	// Graceful stop: the TSDB is flushed and closed; a reopen sees the samples.
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(cfg.Global.DataDir, "tsdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.PromQL().Query(context.Background(), `max_over_time(roomwatch_ups_on_battery[10m])`, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if vec := v.(model.Vector); len(vec) != 1 || vec[0].Value != 1 {
		t.Errorf("after restart: %v", vec)
	}
}

func TestScrapeStalenessAndErrors(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	body := "a_metric{x=\"1\"} 1\na_metric{x=\"2\"} 2\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		io.WriteString(w, body)
	}))
	defer srv.Close()
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tg := ScrapeTarget{URL: srv.URL + "/metrics", Job: "j", Device: "d", Class: "server", Site: "s", Timeout: config.Duration(5 * time.Second)}
	clock := clockwork.NewFakeClockAt(time.Now())
	sc := newScraper(tg, st, st.Metadata(), store.NewIngestMetrics(nil), clock, discard())
	ctx := context.Background()
	if err := sc.scrapeOnce(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	body = "a_metric{x=\"1\"} 5\n"
	mu.Unlock()
	clock.Advance(15 * time.Second)
	if err := sc.scrapeOnce(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := st.PromQL().Query(ctx, `a_metric`, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	vec := v.(model.Vector)
	if len(vec) != 1 || vec[0].Value != 5 || vec[0].Metric["device"] != "d" || vec[0].Metric["instance"] == "" {
		t.Errorf("after x=2 vanished: %v (want only x=1, marked stale)", vec)
	}
	mu.Lock()
	body = "garbage{{{\n"
	mu.Unlock()
	clock.Advance(15 * time.Second)
	if err := sc.scrapeOnce(ctx); err == nil {
		t.Error("garbage exposition: no error")
	}
	v, _ = st.PromQL().Query(ctx, `up{job="j"}`, clock.Now())
	if vec := v.(model.Vector); len(vec) != 1 || vec[0].Value != 0 {
		t.Errorf("up after a bad scrape = %v", vec)
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	tests := []struct{ yaml, want string }{
		{"storage:\n  retention: 10d\n", "keep at least 35d"},
		{"rules:\n  alertmanagers: [am:9093]\n", "not an http(s)://host:port URL"},
		{"scrape:\n  - url: ftp://x\n", "scrape[0].url"},
		{"scrape:\n  - url: http://x/metrics\n    class: toaster\n", "unknown class"},
		{"storage:\n  retension: 40d\n", "c.yml:2"},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		err := config.Decode("c.yml", []byte(tt.yaml), &c)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
	c := DefaultConfig()
	if err := config.Decode("c.yml", []byte("scrape:\n  - url: http://10.0.0.5:9110/metrics\n"), &c); err != nil {
		t.Fatal(err)
	}
	if s := c.Scrape[0]; s.Device != "10.0.0.5" || s.Class != "server" || s.Job != "roomwatch-agent" || s.Site != "local" || s.Interval.Std() != 15*time.Second {
		t.Errorf("defaults not filled: %+v", s)
	}
	if c.Storage.Retention.Std() < 35*24*time.Hour {
		t.Errorf("default retention %v", c.Storage.Retention.Std())
	}
}
