package promapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// fixture is the same data given to the embedded store and to a real
// Prometheus: every series has a value at each of 5 timestamps 10 s apart.
var fixture = []struct {
	series string
	values [5]float64
}{
	{`roomwatch_probe_up{job="probes",instance="c",device="cam-1",class="camera",site="pcs-1",probe="icmp"}`, [5]float64{1, 1, 0, 0, 0}},
	{`roomwatch_probe_up{job="probes",instance="c",device="cam-2",class="camera",site="pcs-1",probe="icmp"}`, [5]float64{1, 1, 1, 1, 1}},
	{`roomwatch_probe_up{job="probes",instance="c",device="sw-1",class="switch",site="hq",probe="icmp"}`, [5]float64{1, 1, 1, 1, 1}},
	{`roomwatch_icmp_packet_loss_ratio{job="probes",instance="c",device="cam-1",class="camera",site="pcs-1"}`, [5]float64{0, 0.1, 1, 1, 1}},
	{`roomwatch_icmp_packet_loss_ratio{job="probes",instance="c",device="cam-2",class="camera",site="pcs-1"}`, [5]float64{0, 0, 0.05, 0.2, 0.35}},
	{`roomwatch_ups_on_battery{job="probes",instance="c",device="ups-1",class="ups",site="hq"}`, [5]float64{0, 0, 1, 1, 1}},
	{`roomwatch_interface_oper_status{job="probes",instance="c",device="sw-1",class="switch",site="hq",ifName="Gi0/1"}`, [5]float64{1, 2, 2, 2, 2}},
	{`roomwatch_snmp_octets_total{job="probes",instance="c",device="sw-1",class="switch",site="hq",ifName="Gi0/1"}`, [5]float64{100, 1100, 5100, 5200, 9000.5}},
}

const step = 10 * time.Second

func parse(t *testing.T, s string) labels.Labels {
	t.Helper()
	ls, err := parser.NewParser(parser.Options{}).ParseMetric(s)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// exposition renders the fixture's nth sample of every series with its timestamp.
func exposition(t *testing.T, n int, t0 time.Time) string {
	var b strings.Builder
	b.WriteString("# TYPE roomwatch_snmp_octets_total counter\n")
	for _, f := range fixture {
		ls := parse(t, f.series)
		var parts []string
		ls.Range(func(l labels.Label) {
			if l.Name != model.MetricNameLabel {
				parts = append(parts, fmt.Sprintf("%s=%q", l.Name, l.Value))
			}
		})
		fmt.Fprintf(&b, "%s{%s} %v %d\n", ls.Get(model.MetricNameLabel), strings.Join(parts, ","), f.values[n], t0.Add(time.Duration(n)*step).UnixMilli())
	}
	return b.String()
}

func startStore(t *testing.T, t0 time.Time) (*store.Store, *httptest.Server) {
	t.Helper()
	s, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	app := s.Appender(context.Background())
	for _, f := range fixture {
		ls := parse(t, f.series)
		for i, v := range f.values {
			if _, err := app.Append(0, ls, t0.Add(time.Duration(i)*step).UnixMilli(), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	meta := store.NewMetadataStore()
	meta.Set("roomwatch_snmp_octets_total", metadata.Metadata{Type: "counter", Help: "Octets."})
	srv := httptest.NewServer(New(Options{Engine: s.Engine(), Queryable: s, Exemplars: s, Metadata: meta}))
	t.Cleanup(srv.Close)
	return s, srv
}

// request is one of Grafana's request shapes.
type request struct {
	name   string
	method string
	path   string
	form   url.Values
}

// The request times fall between samples: Prometheus 3 (embedded) made range
// selectors left-open, 2.42 includes a sample exactly at the window's start,
// so a window edge on a sample would differ by design, not by a roomwatch bug.
func grafanaRequests(t0 time.Time) []request {
	end := t0.Add(4*step + 500*time.Millisecond)
	t0 = t0.Add(500 * time.Millisecond)
	ts := func(t time.Time) string { return fmt.Sprintf("%.3f", float64(t.UnixMilli())/1000) }
	queries := []string{
		`count by (class) (roomwatch_probe_up == 1)`,
		`topk(10, avg_over_time(roomwatch_icmp_packet_loss_ratio[1m]))`,
		`roomwatch_ups_on_battery == 1`,
		`count(roomwatch_interface_oper_status != 1)`,
		`rate(roomwatch_snmp_octets_total[30s])`,
		`sum(roomwatch_probe_up) / count(roomwatch_probe_up)`,
		`1 + 1`,
	}
	var out []request
	for _, q := range queries {
		out = append(out,
			request{"instant POST " + q, http.MethodPost, "/api/v1/query", url.Values{"query": {q}, "time": {ts(end)}}},
			request{"instant GET " + q, http.MethodGet, "/api/v1/query", url.Values{"query": {q}, "time": {end.Format(time.RFC3339Nano)}}},
			request{"range POST " + q, http.MethodPost, "/api/v1/query_range", url.Values{"query": {q}, "start": {ts(t0)}, "end": {ts(end)}, "step": {"5"}}},
		)
	}
	match := `{__name__=~"roomwatch_.*"}`
	out = append(out,
		request{"range GET step as duration", http.MethodGet, "/api/v1/query_range", url.Values{"query": {queries[0]}, "start": {ts(t0)}, "end": {ts(end)}, "step": {"10s"}}},
		request{"series", http.MethodPost, "/api/v1/series", url.Values{"match[]": {`roomwatch_probe_up{class="camera"}`, `roomwatch_ups_on_battery`}, "start": {ts(t0)}, "end": {ts(end)}}},
		request{"labels", http.MethodPost, "/api/v1/labels", url.Values{"match[]": {match}, "start": {ts(t0)}, "end": {ts(end)}}},
		request{"label values device", http.MethodGet, "/api/v1/label/device/values", url.Values{"match[]": {match}, "start": {ts(t0)}, "end": {ts(end)}}},
		request{"label values __name__", http.MethodGet, "/api/v1/label/__name__/values", url.Values{"match[]": {match}}},
		request{"bad query", http.MethodPost, "/api/v1/query", url.Values{"query": {"sum("}}},
		request{"bad step", http.MethodPost, "/api/v1/query_range", url.Values{"query": {"1"}, "start": {ts(t0)}, "end": {ts(end)}, "step": {"0"}}},
	)
	return out
}

// do sends a request and returns the status code and the decoded "data" (or
// "errorType" for errors).
func do(t *testing.T, base string, r request) (int, any) {
	t.Helper()
	var req *http.Request
	var err error
	if r.method == http.MethodPost {
		req, err = http.NewRequest(http.MethodPost, base+r.path, strings.NewReader(r.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, err = http.NewRequest(http.MethodGet, base+r.path+"?"+r.form.Encode(), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env struct {
		Status    string `json:"status"`
		Data      any    `json:"data"`
		ErrorType string `json:"errorType"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%s: %v: %s", r.name, err, body)
	}
	if env.Status != "success" {
		return resp.StatusCode, env.ErrorType
	}
	return resp.StatusCode, normalise(env.Data)
}

// normalise sorts lists so that order-insensitive answers compare equal.
func normalise(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalise(x)
		}
		return v
	case []any:
		for i := range v {
			v[i] = normalise(v[i])
		}
		if len(v) == 2 {
			if _, isPair := v[0].(float64); isPair {
				// A [ts, "value"] pair keeps its order. Prometheus 3 sums with
				// Kahan compensation, 2.42 did not: compare 12 significant digits.
				if str, ok := v[1].(string); ok {
					if f, err := strconv.ParseFloat(str, 64); err == nil {
						v[1] = strconv.FormatFloat(f, 'g', 12, 64)
					}
				}
				return v
			}
		}
		sort.Slice(v, func(i, j int) bool {
			a, _ := json.Marshal(v[i])
			b, _ := json.Marshal(v[j])
			return string(a) < string(b)
		})
		return v
	}
	return v
}

// TestSameAnswersAsPrometheus sends Grafana's request shapes to the collector's
// API and to Debian's prometheus 2.42 holding the same samples, and compares.
func TestSameAnswersAsPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts prometheus")
	}
	t.Parallel()
	bin := testutil.LookBinary(t, "prometheus")
	t0 := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	_, ours := startStore(t, t0)

	var scrapes atomic.Int64
	expo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := min(int(scrapes.Add(1))-1, 4)
		io.WriteString(w, exposition(t, n, t0))
	}))
	t.Cleanup(expo.Close)
	dir := t.TempDir()
	cfg := fmt.Sprintf("global: {scrape_interval: 200ms, scrape_timeout: 200ms}\nscrape_configs:\n- job_name: fixture\n  honor_labels: true\n  static_configs: [{targets: ['%s']}]\n",
		strings.TrimPrefix(expo.URL, "http://"))
	os.WriteFile(filepath.Join(dir, "p.yml"), []byte(cfg), 0o600)
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	testutil.StartProcess(t, bin, "--config.file="+filepath.Join(dir, "p.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr)
	prom := "http://" + addr
	testutil.WaitHTTP(t, prom+"/-/ready", 30*time.Second)
	// Wait until Prometheus holds all 5 samples (one scrape appends every series at once).
	probe := request{"ready", http.MethodGet, "/api/v1/query", url.Values{"query": {`count_over_time(roomwatch_snmp_octets_total[5m])`}, "time": {fmt.Sprint(t0.Add(5 * step).Unix())}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, d := do(t, prom, probe)
		if m, ok := d.(map[string]any); ok {
			if r, _ := m["result"].([]any); len(r) == 1 && r[0].(map[string]any)["value"].([]any)[1] == "5" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus never held the fixture: %v", d)
		}
		time.Sleep(100 * time.Millisecond)
	}
	nonEmpty := 0
	for _, r := range grafanaRequests(t0) {
		pc, pd := do(t, prom, r)
		oc, od := do(t, ours.URL, r)
		if j, _ := json.Marshal(od); pc == 200 && len(j) > 40 {
			nonEmpty++
		}
		if pc != oc || !reflect.DeepEqual(pd, od) {
			pj, _ := json.Marshal(pd)
			oj, _ := json.Marshal(od)
			t.Errorf("%s:\nprometheus %d %s\nroomwatch  %d %s", r.name, pc, pj, oc, oj)
		}
	}
	if nonEmpty < 20 {
		t.Errorf("only %d answers carried data: the comparison proves little", nonEmpty)
	}
}

func TestMetadataBuildinfoAndUnexposed(t *testing.T) {
	t.Parallel()
	_, srv := startStore(t, time.Now().Add(-time.Minute))
	tests := []struct {
		path, want string
		code       int
	}{
		{"/api/v1/metadata", `"roomwatch_snmp_octets_total":[{"type":"counter","help":"Octets.","unit":""}]`, 200},
		{"/api/v1/metadata?metric=nothing", `"data":{}`, 200},
		{"/api/v1/metadata?limit=x", `bad_data`, 400},
		{"/api/v1/status/buildinfo", `"goVersion":"go1.`, 200},
		{"/api/v1/query_exemplars?query=up&start=0&end=1", `"data":[]`, 200},
		{"/api/v1/format_query?query=sum(x)by(a)", `"data":"sum by (a) (x)"`, 200},
		{"/api/v1/rules", `"groups":[]`, 200},
		{"/api/v1/alerts", `"alerts":[]`, 200},
		{"/api/v1/admin/tsdb/snapshot", `not_found`, 404},
		{"/api/v1/write", `not_found`, 404},
		{"/api/v1/targets", `not_found`, 404},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s: %d %s, want %d containing %s", tt.path, resp.StatusCode, b, tt.code, tt.want)
		}
	}
}
