package registry

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const crashChildEnv = "ROOMWATCH_REGISTRY_CRASH_CHILD"

// TestCrashChild is the child of TestAcknowledgedSurvivesKill: it registers
// agents until killed, printing each acknowledged hostname.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("only run as the child of TestAcknowledgedSurvivesKill")
	}
	r, err := Open(Options{Path: path, Logger: quiet(), RegisterRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		h := fmt.Sprintf("pc-%06d", i)
		if err := r.Register(Info{Hostname: h, Site: "城关"}, "10.0.0.1:1"); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("ack %s\n", h)
		if i%500 == 499 {
			if err := r.Save(); err != nil { // a compaction now and then, as Run does
				t.Fatal(err)
			}
		}
	}
}

// TestAcknowledgedSurvivesKill: a process registering agents is killed
// (SIGKILL) mid-way; every registration it acknowledged is in the
// registry opened afterwards.
func TestAcknowledgedSurvivesKill(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "agents.json")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if h, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked = append(acked, h)
			if len(acked) == 1700 {
				_ = cmd.Process.Kill()
				break
			}
		}
	}
	for sc.Scan() { // what it printed before the kill landed
		if h, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked = append(acked, h)
		}
	}
	_ = cmd.Wait()
	r, err := Open(Options{Path: path, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	have := map[string]bool{}
	for _, a := range r.Agents() {
		have[a.Hostname] = true
	}
	for _, h := range acked {
		if !have[h] {
			t.Fatalf("acknowledged %s lost after the kill (%d acknowledged, %d in the registry)", h, len(acked), len(have))
		}
	}
	t.Logf("%d acknowledged before SIGKILL, %d in the registry after", len(acked), len(have))
	// Opening folded the log into the snapshot.
	if st, err := os.Stat(path + logSuffix); err != nil || st.Size() != 0 {
		t.Errorf("log after open: %v size %d, want empty", err, st.Size())
	}
}

func TestReplayTornTailAndBadLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "agents.json")
	good := `{"hostname":"pc-1","site":"a","registered_at":"2026-05-01T08:00:00Z","last_seen":"2026-05-01T08:00:00Z"}` + "\n"
	if err := os.WriteFile(path+logSuffix, []byte(good+`{"hostname":"pc-2","si`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(Options{Path: path, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if ags := r.Agents(); len(ags) != 1 || ags[0].Hostname != "pc-1" {
		t.Fatalf("agents %+v, want pc-1 only (the torn pc-2 was never acknowledged)", ags)
	}
	r.Close()
	path2 := filepath.Join(dir, "b.json")
	if err := os.WriteFile(path2+logSuffix, []byte("garbage\n"+good), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Path: path2, Logger: quiet()}); err == nil || !strings.Contains(err.Error(), "b.json.log:1: not a registration record") {
		t.Fatalf("bad line before the last: err = %v", err)
	}
	// Read-only opening replays but writes nothing.
	if err := os.WriteFile(path2+logSuffix, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(Options{Path: path2, ReadOnly: true, Logger: quiet()})
	if err != nil || len(ro.Agents()) != 1 {
		t.Fatalf("read-only: %v %d agents", err, len(ro.Agents()))
	}
	if _, err := os.Stat(path2); !os.IsNotExist(err) {
		t.Errorf("read-only open wrote a snapshot: %v", err)
	}
	if err := ro.Register(Info{Hostname: "x"}, ""); err == nil {
		t.Error("read-only Register succeeded")
	}
}

// TestRegisterLimits: over the rate, 429 with Retry-After; over the cap,
// 429 and pushes of unknown agents are not added; all counted.
func TestRegisterLimits(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(t0)
	reg := prometheus.NewRegistry()
	r, err := Open(Options{Path: filepath.Join(t.TempDir(), "agents.json"), Clock: clock, Logger: quiet(),
		MaxAgents: 3, RegisterRate: 1, RegisterBurst: 2, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	srv := httptest.NewServer(r.RegisterHandler())
	defer srv.Close()
	post := func(host string) (int, string) {
		resp, err := http.Post(srv.URL, "application/json", bytes.NewReader([]byte(`{"hostname":"`+host+`"}`)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	steps := []struct {
		host    string
		advance time.Duration
		code    int
		retry   string
	}{
		{"pc-1", 0, 204, ""},
		{"pc-2", 0, 204, ""},
		{"pc-3", 0, 429, "1"}, // burst of 2 spent
		{"pc-3", time.Second, 204, ""},
		{"pc-4", time.Second, 429, "3600"}, // the cap of 3
		{"pc-1", time.Second, 204, ""},     // a known agent re-registers
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		code, retry := post(s.host)
		if code != s.code || retry != s.retry {
			t.Errorf("step %d (%s): %d Retry-After %q, want %d %q", i, s.host, code, retry, s.code, s.retry)
		}
	}
	r.Seen("pushed-unknown", float64(t0.Unix()))
	if n := len(r.Agents()); n != 3 {
		t.Errorf("%d agents, want the cap of 3", n)
	}
	for res, want := range map[string]float64{"accepted": 4, "rate_limited": 1, "over_cap": 1} {
		if got := testutil.ToFloat64(r.registrations.WithLabelValues(res)); got != want {
			t.Errorf("registrations{result=%q} = %v, want %v", res, got, want)
		}
	}
	if got := testutil.ToFloat64(r.overCap); got != 1 {
		t.Errorf("pushes over cap = %v, want 1", got)
	}
}
