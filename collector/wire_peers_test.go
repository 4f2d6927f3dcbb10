package collector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestServeAcceptsRemoteWriteFromPeers: the collector takes remote write from
// any Prometheus or vmagent, not only from its own agents. Debian's
// prometheus 2.42 and vmagent each scrape the same exposition and remote-write
// it to serve's /api/v1/write; both series become queryable with the value
// the exposition holds.
func TestServeAcceptsRemoteWriteFromPeers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts prometheus and vmagent")
	}
	t.Parallel()
	prom := testutil.LookBinary(t, "prometheus")
	vmagent := testutil.LookBinary(t, "vmagent")

	cfg := bareConfig(t)
	base := startServe(t, cfg)

	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, "# HELP peer_test_metric A sample for the peers.\n# TYPE peer_test_metric gauge\npeer_test_metric{room=\"b1\"} 7\n")
	}))
	t.Cleanup(src.Close)
	target := strings.TrimPrefix(src.URL, "http://")

	dir := t.TempDir()
	scrape := func(job string) string {
		return fmt.Sprintf("scrape_configs:\n- job_name: %s\n  scrape_interval: 1s\n  static_configs: [{targets: ['%s']}]\n", job, target)
	}
	promCfg := filepath.Join(dir, "prometheus.yml")
	promYAML := "global: {scrape_interval: 1s}\nremote_write:\n- url: " + base + "/api/v1/write\n  queue_config: {batch_send_deadline: 500ms}\n" + scrape("from-prometheus")
	vmCfg := filepath.Join(dir, "vmagent.yml")
	for name, body := range map[string]string{promCfg: promYAML, vmCfg: scrape("from-vmagent")} {
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	testutil.StartProcess(t, prom, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", testutil.FreePort(t)))
	testutil.StartProcess(t, vmagent, "-promscrape.config="+vmCfg, "-remoteWrite.url="+base+"/api/v1/write",
		"-remoteWrite.tmpDataPath="+filepath.Join(dir, "vmagent"), "-remoteWrite.flushInterval=500ms",
		fmt.Sprintf("-httpListenAddr=127.0.0.1:%d", testutil.FreePort(t)))

	want := "from-prometheus=7 from-vmagent=7"
	var got string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if got = peerSeries(t, base); got == want {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("peer_test_metric in the collector: %q, want %q", got, want)
}

// peerSeries returns "job=value" of each peer_test_metric{room="b1"} series, sorted.
func peerSeries(t *testing.T, base string) string {
	t.Helper()
	code, body := get(t, base+"/api/v1/query?"+url.Values{"query": {`peer_test_metric{room="b1"}`}}.Encode())
	if code != http.StatusOK {
		t.Fatalf("query: HTTP %d: %s", code, body)
	}
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("query: %v: %s", err, body)
	}
	var out []string
	for _, s := range r.Data.Result {
		out = append(out, fmt.Sprintf("%s=%v", s.Metric["job"], s.Value[1]))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
