package agent

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestPushEndToEnd runs the real roomwatch-agent pushing to the real
// roomwatch-collector every 100 ms and checks, through the collector's query
// API, that the agent's per-gather sequence gauge (roomwatch_agent_push_sequence)
// is stored 1, 2, 3, … with no gap and no repeat, in time order, after:
//
//	(a) the collector killed with SIGKILL mid-stream and restarted on the same
//	    data directory and port;
//	(b) the collector stopped for at least 60 push intervals — "an hour of
//	    agent time" scaled down: 60 gathers at 100 ms stand for an hour of
//	    one-minute gathers, the buffer and the sender see the same sequence of
//	    events, only the clock runs 600 times faster;
//	(c) during that outage, the agent itself restarted: the new process
//	    replays the buffer the old one left on disk.
//
// The agent also appears in GET /api/v1/agents with a last-seen time. No
// step waits on a deadline: each polls for the state it needs (bounded only
// against a hang).
func TestPushEndToEnd(t *testing.T) {
	t.Parallel()
	agentBin := buildAgent(t)
	dir := t.TempDir()
	collectorBin := filepath.Join(dir, "roomwatch-collector")
	build := exec.Command("go", "build", "-o", collectorBin, "github.com/roomwatch/roomwatch/collector/cmd/roomwatch-collector")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build collector: %v\n%s", err, out)
	}

	collectorCfg := filepath.Join(dir, "collector.yml")
	writeFile(t, collectorCfg, "rules: {files: []}\nscrape: []\ntickets: {enabled: false}\n")
	caddr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	base := "http://" + caddr
	data := filepath.Join(dir, "data")
	startCollector := func() *exec.Cmd {
		cmd := testutil.StartProcess(t, collectorBin, "--config", collectorCfg, "--data-dir", data, "--web.listen-address", caddr)
		testutil.WaitHTTP(t, base+"/-/ready", 60*time.Second)
		return cmd
	}

	bufDir := filepath.Join(dir, "buffer")
	agentCfg := filepath.Join(dir, "agent.yml")
	aaddr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	writeFile(t, agentCfg, fmt.Sprintf(`labels: {site: e2e}
sources: {enabled: [loadavg, memory, host]}
remote_write:
  url: %s/api/v1/write
  buffer_dir: %s
  interval: 100ms
  max_age: 1h
  max_size: 16MiB
`, base, bufDir))
	startAgent := func() *exec.Cmd {
		cmd := testutil.StartProcess(t, agentBin, "--config", agentCfg, "--web.listen-address", aaddr, "--log.level", "debug")
		testutil.WaitHTTP(t, "http://"+aaddr+"/metrics", 30*time.Second)
		return cmd
	}
	agentMetric := func(name string) float64 {
		mfs := scrape(t, "http://"+aaddr+"/metrics")
		v, _ := series(mfs, name, nil)
		return v
	}

	collector := startCollector()
	agent := startAgent()
	hostname, _ := os.Hostname()

	// Running: sequences arrive; the agent is registered.
	waitUntil(t, "20 gathers stored", func() bool { return maxSeq(t, base) >= 20 })
	waitUntil(t, "the agent in /api/v1/agents", func() bool {
		a, ok := listedAgent(t, base, hostname)
		return ok && a.Site == "e2e" && a.OS == "linux" && !a.LastSeen.IsZero() && time.Since(a.LastSeen) < time.Minute
	})

	// (a) SIGKILL mid-stream, restart on the same data dir and port.
	if err := collector.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = collector.Wait()
	before := agentMetric("roomwatch_pushbuf_appended_records_total")
	waitUntil(t, "5 gathers buffered while the collector is dead", func() bool {
		return agentMetric("roomwatch_pushbuf_appended_records_total") >= before+5
	})
	collector = startCollector()
	waitUntil(t, "the buffer drained after the kill", func() bool { return agentMetric("roomwatch_pushbuf_pending_records") == 0 })
	n1 := checkSequence(t, base, "after SIGKILL")

	// (b) and (c): collector stopped for 60+ intervals, agent restarted
	// halfway through the outage.
	if err := collector.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = collector.Wait()
	waitUntil(t, "30 gathers pending", func() bool { return agentMetric("roomwatch_pushbuf_pending_records") >= 30 })
	if err := agent.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = agent.Wait()
	agent = startAgent()
	if p := agentMetric("roomwatch_pushbuf_pending_records"); p < 30 {
		t.Fatalf("restarted agent found %v pending gathers in its buffer, want >= 30", p)
	}
	waitUntil(t, "60 gathers pending", func() bool { return agentMetric("roomwatch_pushbuf_pending_records") >= 60 })
	startCollector() // stopped by StartProcess's cleanup
	waitUntil(t, "the buffer drained after the outage", func() bool { return agentMetric("roomwatch_pushbuf_pending_records") == 0 })

	// Stop the agent; everything it acknowledged must be stored.
	if err := agent.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = agent.Wait()
	acked := readCursorFile(t, bufDir)
	n := checkSequence(t, base, "after the outage")
	// At least the 60 outage gathers came after the n1 checked above (less
	// one: the last of those n1 may have been stored without its answer).
	if n < int(acked) || int(acked) < n1+59 {
		t.Errorf("stored sequences 1..%d, agent acknowledged up to %d (want stored >= acknowledged >= %d)", n, acked, n1+59)
	}
	if a, ok := listedAgent(t, base, hostname); !ok || a.LastSeen.IsZero() {
		t.Errorf("agent %s not listed with a last-seen time after the restarts: %+v", hostname, a)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitUntil polls cond every 20 ms; the 2-minute bound only guards a hang.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	limit := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(limit) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// promQuery runs an instant query against the collector's Prometheus API.
func promQuery(t *testing.T, base, q string) []struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
	Values [][]any           `json:"values"`
} {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q) + "&time=" + strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
	if err != nil {
		return nil // the collector is restarting
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  []any             `json:"value"`
				Values [][]any           `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("query %s: %v %s %s", q, err, body.Status, body.Error)
	}
	return body.Data.Result
}

func maxSeq(t *testing.T, base string) int {
	r := promQuery(t, base, "max("+PushSequenceMetric+")")
	if len(r) != 1 || len(r[0].Value) != 2 {
		return 0
	}
	v, _ := strconv.ParseFloat(r[0].Value[1].(string), 64)
	return int(v)
}

// checkSequence reads every raw sample of the sequence series and asserts
// values 1..n in timestamp order: no gap, no repeat. It returns n.
func checkSequence(t *testing.T, base, when string) int {
	t.Helper()
	r := promQuery(t, base, PushSequenceMetric+"[1h]")
	if len(r) != 1 {
		t.Fatalf("%s: %d sequence series, want 1: %+v", when, len(r), r)
	}
	if r[0].Metric["job"] != "roomwatch-agent" || r[0].Metric["site"] != "e2e" || r[0].Metric["agent"] == "" {
		t.Errorf("%s: sequence series labels %v lack job, site or agent", when, r[0].Metric)
	}
	lastTS := 0.0
	for i, p := range r[0].Values {
		ts, _ := p[0].(float64)
		v, _ := strconv.Atoi(p[1].(string))
		if v != i+1 {
			t.Fatalf("%s: sample %d is sequence %d, want %d (a gap or a repeat): %v", when, i, v, i+1, r[0].Values[max(0, i-3):min(len(r[0].Values), i+3)])
		}
		if ts <= lastTS {
			t.Fatalf("%s: sequence %d at %v is not after %v", when, v, ts, lastTS)
		}
		lastTS = ts
	}
	t.Logf("%s: sequences 1..%d stored once each, in order", when, len(r[0].Values))
	return len(r[0].Values)
}

type listed struct {
	Hostname string    `json:"hostname"`
	OS       string    `json:"os"`
	Site     string    `json:"site"`
	LastSeen time.Time `json:"last_seen"`
}

func listedAgent(t *testing.T, base, hostname string) (listed, bool) {
	resp, err := http.Get(base + "/api/v1/agents")
	if err != nil {
		return listed{}, false
	}
	defer resp.Body.Close()
	var body struct {
		Data []listed `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("/api/v1/agents: %v", err)
	}
	for _, a := range body.Data {
		if a.Hostname == hostname {
			return a, true
		}
	}
	return listed{}, false
}

// readCursorFile reads the buffer's acknowledged sequence (pushbuf's cursor
// file: uint64 little-endian, then a CRC).
func readCursorFile(t *testing.T, dir string) uint64 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "cursor"))
	if err != nil || len(data) != 12 {
		t.Fatalf("cursor file: %v (%d bytes)", err, len(data))
	}
	return binary.LittleEndian.Uint64(data[:8])
}
