package agent

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// builtAgent is the binary built once for every test of this run.
var builtAgent struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// TestMain removes the binary built by buildAgent.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtAgent.dir != "" {
		os.RemoveAll(builtAgent.dir)
	}
	os.Exit(code)
}

// buildAgent builds the real binary (once per test run).
func buildAgent(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	builtAgent.once.Do(func() {
		builtAgent.dir, builtAgent.err = os.MkdirTemp("", "roomwatch-agent-test")
		if builtAgent.err != nil {
			return
		}
		builtAgent.path = filepath.Join(builtAgent.dir, "roomwatch-agent")
		cmd := exec.Command("go", "build", "-o", builtAgent.path, "./cmd/roomwatch-agent")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			builtAgent.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if builtAgent.err != nil {
		t.Fatal(builtAgent.err)
	}
	return builtAgent.path
}

// scrape fetches and parses /metrics with the text parser Prometheus uses.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %v %s", url, err, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	return mfs
}

// series finds the sample of family name whose labels include want.
func series(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		return metricValue(m), true
	}
	return 0, false
}

// TestAgentEndToEnd starts the built agent on loopback with a config that
// watches a process the test starts, scrapes it, kills the process, and
// scrapes again.
func TestAgentEndToEnd(t *testing.T) {
	t.Parallel()
	bin := buildAgent(t)
	dir := t.TempDir()

	// sleep under a name nothing else on the host has: a symlink, whose name
	// becomes the process's comm. (A written copy failed now and then with
	// "text file busy": a parallel test's fork inherited the copy's write
	// descriptor just before this exec.)
	sleeper := filepath.Join(dir, "rwtestsleeper")
	if _, err := os.Stat("/bin/sleep"); err != nil {
		t.Skipf("no /bin/sleep: %v", err)
	}
	if err := os.Symlink("/bin/sleep", sleeper); err != nil {
		t.Fatal(err)
	}
	sleep := testutil.StartProcess(t, sleeper, "300")

	port := testutil.FreePort(t)
	cfgPath := filepath.Join(dir, "agent.yml")
	cfg := fmt.Sprintf(`web:
  listen_address: "127.0.0.1:%d"
labels:
  site: e2e
sources:
  timeout: 10s
watch:
  - name: sleeper
    process: rwtestsleeper
  - name: sleeper-cmdline
    cmdline: 'rwtestsleeper 300$'
  - name: absent
    process: rwtest-not-running
`, port)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.StartProcess(t, bin, "--config", cfgPath, "--log.level", "debug")
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	testutil.WaitHTTP(t, url, 30*time.Second)

	mfs := scrape(t, url)
	for _, name := range []string{
		"node_cpu_seconds_total", "roomwatch_cpu_count", "node_load1", "node_load5", "node_load15",
		"node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes", "node_memory_SwapTotal_bytes",
		"node_filesystem_size_bytes", "node_filesystem_avail_bytes", "node_filesystem_free_bytes",
		"node_filesystem_files", "node_filesystem_files_free", "node_filesystem_readonly",
		"node_disk_read_bytes_total", "node_disk_written_bytes_total", "node_disk_io_time_seconds_total",
		"node_network_receive_bytes_total", "node_network_transmit_bytes_total", "node_network_receive_errs_total",
		"node_network_receive_drop_total", "node_network_receive_packets_total", "node_network_up", "node_network_mtu_bytes",
		"roomwatch_processes", "roomwatch_process_up", "roomwatch_process_count", "roomwatch_process_cpu_seconds_total",
		"roomwatch_process_resident_memory_bytes", "node_boot_time_seconds", "node_time_seconds",
		"roomwatch_host_uptime_seconds", "roomwatch_host_info", "node_uname_info",
		"node_scrape_collector_success", "node_scrape_collector_duration_seconds", "roomwatch_agent_build_info",
		"process_resident_memory_bytes",
	} {
		if _, ok := mfs[name]; !ok {
			t.Errorf("family %s missing", name)
		}
	}

	// Every source succeeds on this machine (sensors: success with no series
	// when there is no hwmon/thermal, as in a VM).
	for _, s := range SourceNames() {
		if v, ok := series(mfs, "node_scrape_collector_success", map[string]string{"collector": s}); !ok || v != 1 {
			t.Errorf("source %s success = %v (present %v)", s, v, ok)
		}
	}

	// Sane values.
	if v, _ := series(mfs, "roomwatch_cpu_count", nil); int(v) != runtime.NumCPU() {
		t.Errorf("roomwatch_cpu_count = %v, runtime.NumCPU() = %d", v, runtime.NumCPU())
	}
	if v, ok := series(mfs, "node_cpu_seconds_total", map[string]string{"cpu": "0", "mode": "idle", "site": "e2e"}); !ok || v <= 0 {
		t.Errorf("cpu 0 idle = %v (present %v); constant label site=e2e expected", v, ok)
	}
	total, _ := series(mfs, "node_memory_MemTotal_bytes", nil)
	avail, _ := series(mfs, "node_memory_MemAvailable_bytes", nil)
	if total <= 0 || avail <= 0 || avail > total {
		t.Errorf("memory total %v available %v", total, avail)
	}
	if v, _ := series(mfs, "roomwatch_processes", nil); v < 3 {
		t.Errorf("roomwatch_processes = %v", v)
	}
	if v, _ := series(mfs, "node_boot_time_seconds", nil); v < 1e9 || v > float64(time.Now().Unix()) {
		t.Errorf("boot time %v", v)
	}
	hostname, _ := os.Hostname()
	if _, ok := series(mfs, "roomwatch_host_info", map[string]string{"hostname": hostname, "os": runtime.GOOS}); !ok {
		t.Errorf("roomwatch_host_info lacks hostname=%s os=%s: %v", hostname, runtime.GOOS, mfs["roomwatch_host_info"])
	}
	if v, ok := series(mfs, "node_network_receive_bytes_total", map[string]string{"device": "lo"}); !ok || v <= 0 {
		t.Errorf("lo receive bytes = %v (present %v)", v, ok)
	}

	// The filesystem holding the repository.
	wd, _ := os.Getwd()
	mp := mountPointOf(t, mfs, wd)
	if v, ok := series(mfs, "node_filesystem_size_bytes", map[string]string{"mountpoint": mp}); !ok || v <= 0 {
		t.Errorf("filesystem %s (holding %s) size = %v (present %v)", mp, wd, v, ok)
	}
	if v, ok := series(mfs, "node_filesystem_avail_bytes", map[string]string{"mountpoint": mp}); !ok || v <= 0 {
		t.Errorf("filesystem %s avail = %v (present %v)", mp, v, ok)
	}

	// The watched process.
	for _, w := range []string{"sleeper", "sleeper-cmdline"} {
		up, _ := series(mfs, "roomwatch_process_up", map[string]string{"watch": w})
		count, _ := series(mfs, "roomwatch_process_count", map[string]string{"watch": w})
		rss, _ := series(mfs, "roomwatch_process_resident_memory_bytes", map[string]string{"watch": w})
		start, _ := series(mfs, "roomwatch_process_start_time_seconds", map[string]string{"watch": w})
		if up != 1 || count != 1 || rss <= 0 || start < 1e9 {
			t.Errorf("watch %s while running: up %v count %v rss %v start %v", w, up, count, rss, start)
		}
	}
	if up, ok := series(mfs, "roomwatch_process_up", map[string]string{"watch": "absent"}); !ok || up != 0 {
		t.Errorf("absent watch: up %v present %v", up, ok)
	}

	// Kill it: the next scrape shows it gone.
	if err := sleep.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = sleep.Wait()
	mfs = scrape(t, url)
	for _, w := range []string{"sleeper", "sleeper-cmdline"} {
		up, ok1 := series(mfs, "roomwatch_process_up", map[string]string{"watch": w})
		count, ok2 := series(mfs, "roomwatch_process_count", map[string]string{"watch": w})
		if !ok1 || !ok2 || up != 0 || count != 0 {
			t.Errorf("watch %s after kill: up %v count %v (present %v %v)", w, up, count, ok1, ok2)
		}
		if _, ok := series(mfs, "roomwatch_process_start_time_seconds", map[string]string{"watch": w}); ok {
			t.Errorf("watch %s after kill still has a start time", w)
		}
	}
}

// mountPointOf returns the reported mount point that holds path (longest prefix).
func mountPointOf(t *testing.T, mfs map[string]*dto.MetricFamily, path string) string {
	t.Helper()
	best := ""
	for _, m := range mfs["node_filesystem_size_bytes"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() != "mountpoint" {
				continue
			}
			mp := l.GetValue()
			if (path == mp || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
				best = mp
			}
		}
	}
	if best == "" {
		t.Fatalf("no reported filesystem holds %s", path)
	}
	return best
}

// TestAgentCommandLine runs --check-config, --version and bad flags through the binary.
func TestAgentCommandLine(t *testing.T) {
	t.Parallel()
	bin := buildAgent(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yml", "labels:\n  site: hq\nwatch:\n  - name: ssh\n    process: sshd\n")
	badKey := write("bad-key.yml", "web:\n  listen_address: \":9110\"\n  tls: on\n")
	badWatch := write("bad-watch.yml", "watch:\n  - name: ssh\n    process: sshd\n  - name: db\n")
	badSource := write("bad-source.yml", "sources:\n  enabled: [cpu, gpu]\n")

	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"good config", []string{"--config", good, "--check-config"}, 0, "config OK: " + good, ""},
		{"defaults", []string{"--check-config"}, 0, "config OK: embedded defaults (sources: cpu, loadavg, memory, filesystem, diskio, netdev, process, sensors, host)", ""},
		{"unknown key", []string{"--config", badKey, "--check-config"}, 1, "", badKey + ":3: field tls not found in type WebConfig"},
		{"watch without matcher", []string{"--config", badWatch, "--check-config"}, 1, "", badWatch + `:4: watch "db": set process`},
		{"unknown source", []string{"--config", badSource, "--check-config"}, 1, "", badSource + `:2: unknown source "gpu"`},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.yml"), "--check-config"}, 1, "", "no such file"},
		{"bad listen flag", []string{"--web.listen-address", "nowhere", "--check-config"}, 1, "", `--web.listen-address: invalid listen address "nowhere"`},
		{"version", []string{"--version"}, 0, "roomwatch-agent ", ""},
		{"unknown flag", []string{"--bogus"}, 2, "", "flag provided but not defined: -bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, tt.args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.out) || !strings.Contains(stderr.String(), tt.err) {
				t.Errorf("stdout %q (want %q)\nstderr %q (want %q)", &stdout, tt.out, &stderr, tt.err)
			}
		})
	}
}
