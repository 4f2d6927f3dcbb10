// Package peertest starts the real remote-write and InfluxDB-protocol peers
// (Debian's victoria-metrics and prometheus) on loopback for tests, and reads
// back what they stored.
package peertest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// Point is one stored sample.
type Point struct {
	T int64 // Unix ms
	V float64
}

// Series maps a series' labels (sorted name="value" pairs joined by commas,
// __name__ first) to its samples in time order.
type Series map[string][]Point

// StartVictoriaMetrics starts victoria-metrics on a free loopback port and
// returns its base URL.
func StartVictoriaMetrics(t testing.TB) string {
	t.Helper()
	bin := testutil.LookBinary(t, "victoria-metrics")
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	testutil.StartProcess(t, bin, "-storageDataPath", filepath.Join(t.TempDir(), "vm"),
		"-httpListenAddr", addr, "-search.latencyOffset=0s", "-loggerLevel=ERROR")
	base := "http://" + addr
	testutil.WaitHTTP(t, base+"/health", 30*time.Second)
	return base
}

// StartPrometheus starts prometheus with its remote-write receiver on a free
// loopback port and returns its base URL.
func StartPrometheus(t testing.TB) string {
	t.Helper()
	bin := testutil.LookBinary(t, "prometheus")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	testutil.StartProcess(t, bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--web.enable-remote-write-receiver", "--log.level=warn")
	base := "http://" + addr
	testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)
	return base
}

func key(m map[string]string) string {
	names := make([]string, 0, len(m))
	for k := range m {
		if k != "__name__" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	parts := []string{m["__name__"]}
	for _, k := range names {
		parts = append(parts, k+"="+strconv.Quote(m[k]))
	}
	return strings.Join(parts, ",")
}

// VMExport flushes VictoriaMetrics' buffers and exports the series matching
// the selector match.
func VMExport(t testing.TB, base, match string) Series {
	t.Helper()
	if resp, err := http.Get(base + "/internal/force_flush"); err == nil {
		resp.Body.Close()
	}
	resp, err := http.Get(base + "/api/v1/export?" + url.Values{"match[]": {match}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %s", resp.Status)
	}
	out := Series{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var line struct {
			Metric     map[string]string `json:"metric"`
			Values     []float64         `json:"values"`
			Timestamps []int64           `json:"timestamps"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		k := key(line.Metric)
		for i := range line.Values {
			out[k] = append(out[k], Point{line.Timestamps[i], line.Values[i]})
		}
	}
	for _, pts := range out {
		sort.Slice(pts, func(i, j int) bool { return pts[i].T < pts[j].T })
	}
	return out
}

// PromRange reads every sample of the series matching selector within the
// window before at, through Prometheus' query API (a range-vector selector).
func PromRange(t testing.TB, base, selector string, window time.Duration, at time.Time) Series {
	t.Helper()
	q := url.Values{"query": {fmt.Sprintf("%s[%ds]", selector, int(window.Seconds()))}, "time": {strconv.FormatInt(at.Unix(), 10)}}
	resp, err := http.Get(base + "/api/v1/query?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "success" {
		t.Fatalf("query: %s", body.Error)
	}
	out := Series{}
	for _, r := range body.Data.Result {
		k := key(r.Metric)
		for _, v := range r.Values {
			ts, _ := v[0].(float64)
			s, _ := v[1].(string)
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			out[k] = append(out[k], Point{int64(ts*1000 + 0.5), f})
		}
	}
	return out
}

// Equal reports whether two Series hold the same samples, with a description
// of the first difference.
func Equal(got, want Series) (bool, string) {
	if len(got) != len(want) {
		return false, fmt.Sprintf("%d series, want %d", len(got), len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			return false, "missing series " + k
		}
		if len(g) != len(w) {
			return false, fmt.Sprintf("%s: %d samples, want %d", k, len(g), len(w))
		}
		for i := range w {
			if g[i] != w[i] {
				return false, fmt.Sprintf("%s sample %d: %v, want %v", k, i, g[i], w[i])
			}
		}
	}
	return true, ""
}
