package collector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/prompb"

	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestBinaryRefusesFutureSamples: one remote-write sample stamped a year
// ahead, and a scrape target exposing one, no longer blind the store. The
// write is answered 400 naming the reason; present samples from remote write
// and scrapes still land, across a restart. A data directory whose head was
// already moved a year ahead (before the guard) opens, says so in the log, and
// takes present samples again without losing the old ones.
func TestBinaryRefusesFutureSamples(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")

	yearAhead := time.Now().AddDate(1, 0, 0).UnixMilli()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "future_scrape_metric 1 %d\npresent_scrape_metric 1\n", yearAhead)
	}))
	defer target.Close()
	cfg := fmt.Sprintf("rules: {files: []}\ntickets: {enabled: false}\nscrape:\n  - {url: %q, job: futuretest, interval: 1s, timeout: 1s}\n", target.URL+"/metrics")
	cfgPath := writeConfig(t, dir, cfg)
	start := func() (*proc, string) {
		addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
		p := startBinary(t, bin, dir, "--config", cfgPath, "--data-dir", data, "--web.listen-address", addr)
		base := "http://" + addr
		testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)
		return p, base
	}
	stop := func(p *proc) {
		t.Helper()
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("exit after SIGINT: %v", err)
		}
	}

	p, base := start()
	code, hdr, msg := remoteWrite(t, base, "evil_metric", yearAhead, 1)
	if code != http.StatusBadRequest || hdr != "too_far_in_future=1" || !strings.Contains(msg, "ahead of the collector's clock") {
		t.Fatalf("year-ahead write: %d %q %q, want 400 too_far_in_future=1", code, hdr, msg)
	}
	for i := range 2 {
		now := time.Now().UnixMilli()
		if code, hdr, msg := remoteWrite(t, base, "present_metric", now, float64(i+1)); code != http.StatusNoContent {
			t.Fatalf("present write %d: %d %q %q", i, code, hdr, msg)
		}
		if v := instantValue(t, base, "present_metric"); v != float64(i+1) {
			t.Errorf("run %d: present_metric = %v, want %d", i, v, i+1)
		}
		waitFor(t, 20*time.Second, func() bool { return instantValue(t, base, `present_scrape_metric{job="futuretest"}`) == 1 })
		waitFor(t, 20*time.Second, func() bool {
			return metricValue(t, base, `roomwatch_ingest_samples_dropped_total{reason="too_far_in_future",source="scrape"}`) >= 1
		})
		if i == 0 {
			if v := metricValue(t, base, `roomwatch_ingest_samples_dropped_total{reason="too_far_in_future",source="remote_write"}`); v != 1 {
				t.Errorf("dropped{remote_write,too_far_in_future} = %v, want 1", v)
			}
		}
		if v := instantValue(t, base, "count(evil_metric) or count(future_scrape_metric) or vector(0)"); v != 0 {
			t.Errorf("run %d: future samples stored", i)
		}
		stop(p)
		if i == 0 {
			p, base = start()
		}
	}

	// An old data directory whose head is a year ahead.
	old := filepath.Join(dir, "old")
	then := time.Now().Add(-time.Hour)
	st, err := store.Open(store.Options{Dir: filepath.Join(old, "tsdb"), OutOfOrderWindow: DefaultOutOfOrderWindow})
	if err != nil {
		t.Fatal(err)
	}
	app := st.Appender(t.Context())
	for _, s := range []struct {
		name string
		t    int64
	}{{"acked_before", then.UnixMilli()}, {"stray_future", yearAhead}} {
		if _, err := app.Append(0, labels.FromStrings("__name__", s.name), s.t, 7); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	data = old
	p, base = start()
	if code, hdr, msg := remoteWrite(t, base, "present_metric", time.Now().UnixMilli(), 9); code != http.StatusNoContent {
		t.Fatalf("present write on a future head: %d %q %q", code, hdr, msg)
	}
	if v := instantValue(t, base, "present_metric"); v != 9 {
		t.Errorf("present_metric on a future head = %v, want 9", v)
	}
	waitFor(t, 20*time.Second, func() bool { return instantValue(t, base, `present_scrape_metric{job="futuretest"}`) == 1 })
	if v := instantValueAt(t, base, "acked_before", then); v != 7 {
		t.Errorf("acked_before = %v, want 7 (kept)", v)
	}
	stop(p)
	if b, _ := os.ReadFile(p.log); !bytes.Contains(b, []byte("the TSDB head is in the future")) {
		t.Errorf("no warning about the head in the log:\n%s", b)
	}
}

func remoteWrite(t *testing.T, base, name string, ts int64, v float64) (int, string, string) {
	t.Helper()
	raw, err := (&prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  []prompb.Label{{Name: "__name__", Value: name}},
		Samples: []prompb.Sample{{Timestamp: ts, Value: v}},
	}}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/write", bytes.NewReader(snappy.Encode(nil, raw)))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Roomwatch-Rejected"), string(b)
}

func instantValue(t *testing.T, base, expr string) float64 {
	return instantValueAt(t, base, expr, time.Time{})
}

// instantValueAt returns the first value of an instant query (at now when
// at is zero), or -1 when the result is empty.
func instantValueAt(t *testing.T, base, expr string, at time.Time) float64 {
	t.Helper()
	q := url.Values{"query": {expr}}
	if !at.IsZero() {
		q.Set("time", fmt.Sprintf("%.3f", float64(at.UnixMilli())/1000))
	}
	code, body := get(t, base+"/api/v1/query?"+q.Encode())
	if code != http.StatusOK {
		t.Fatalf("query %s: %d %s", expr, code, body)
	}
	var r struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Data.Result) == 0 {
		return -1
	}
	var v float64
	fmt.Sscan(r.Data.Result[0].Value[1].(string), &v)
	return v
}

// metricValue returns one sample's value from the collector's /metrics, -1 if absent.
func metricValue(t *testing.T, base, series string) float64 {
	t.Helper()
	_, body := get(t, base+"/metrics")
	for line := range strings.SplitSeq(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			fmt.Sscan(rest, &v)
			return v
		}
	}
	return -1
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
