package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/roomwatch/roomwatch/internal/auth"
)

// bareConfig is the serve config of tests that need neither rules, scrape
// targets nor tickets: a data dir of the test's own on a free loopback port.
func bareConfig(t *testing.T) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Global.DataDir = t.TempDir()
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Rules.Files = nil
	cfg.Scrape = nil
	off := false
	cfg.Tickets.Enabled = &off
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startServe runs NewServe (what `serve` runs) on loopback until the test ends.
func startServe(t *testing.T, cfg Config) string {
	t.Helper()
	_, base := startServeWith(t, Options{Config: cfg, Logger: discard()})
	return base
}

// startServeWith runs NewServe with opts on loopback until the test ends and
// returns the server and its base URL.
func startServeWith(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := NewServe(ctx, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return srv, runServer(t, ctx, cancel, srv)
}

// runServer runs srv until the test ends (cancel stops it then; Run must
// return nil) and returns its base URL once it listens.
func runServer(t *testing.T, ctx context.Context, cancel context.CancelFunc, srv *Server) string {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	addr, err := srv.Addr(wctx)
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

func post(t *testing.T, u, contentType string, body []byte, hdr map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

func getWithToken(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServeWiresTicketsAndRemoteWrite(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Global.DataDir = t.TempDir()
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Rules.Files = nil
	cfg.Scrape = nil
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tickets.Rules = filepath.Join(root, "rules", "fault-levels.yml")
	cfg.SLA.Dir = filepath.Join(root, "rules", "sla")
	cfg.SLA.Holidays = filepath.Join(root, "rules", "calendars", "cn-holidays.yml")
	cfg.Tickets.Auth.Intake.OpenOnLoopback = true
	cfg.Tickets.Auth.Tokens = []auth.Token{{Name: "viewer", Token: "wire-test-viewer", Role: auth.RoleViewer}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	base := startServe(t, cfg)

	// Alertmanager webhook v4, delivered twice: one ticket.
	starts := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	hook := fmt.Sprintf(`{"version":"4","groupKey":"{}:{alertname=\"HostDown\"}","status":"firing","receiver":"roomwatch",
"groupLabels":{"alertname":"HostDown"},"commonLabels":{"alertname":"HostDown","device":"core-sw-01"},"commonAnnotations":{},
"externalURL":"http://127.0.0.1:9093","truncatedAlerts":0,
"alerts":[{"status":"firing","labels":{"alertname":"HostDown","device":"core-sw-01","severity":"critical"},
"annotations":{"summary":"core switch down"},"startsAt":%q,"endsAt":"0001-01-01T00:00:00Z",
"generatorURL":"http://127.0.0.1:9120/graph","fingerprint":"0123456789abcdef"}]}`, starts)
	for i := range 2 {
		if code := post(t, base+"/api/v1/alertmanager/webhook", "application/json", []byte(hook), nil); code/100 != 2 {
			t.Fatalf("webhook delivery %d: HTTP %d", i+1, code)
		}
	}
	// The intake is open on loopback; the ticket list still takes a token.
	if code, _ := get(t, base+"/api/v1/tickets"); code != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/tickets without a token: HTTP %d, want 401", code)
	}
	code, body := getWithToken(t, base+"/api/v1/tickets", "wire-test-viewer")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/tickets: HTTP %d: %s", code, body)
	}
	var list struct {
		Tickets []struct {
			ID        int64  `json:"id"`
			Alertname string `json:"alertname"`
			Device    string `json:"device"`
		} `json:"tickets"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("ticket list: %v: %s", err, body)
	}
	if len(list.Tickets) != 1 {
		t.Fatalf("got %d tickets after the same webhook twice, want 1: %s", len(list.Tickets), body)
	}

	// Remote write: 204, then the sample is queryable.
	ts := time.Now().UnixMilli()
	wr := &prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  []prompb.Label{{Name: "__name__", Value: "wire_test_metric"}, {Name: "device", Value: "agent-01"}},
		Samples: []prompb.Sample{{Timestamp: ts, Value: 42}},
	}}}
	raw, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if code := post(t, base+"/api/v1/write", "application/x-protobuf", snappy.Encode(nil, raw),
		map[string]string{"Content-Encoding": "snappy", "X-Prometheus-Remote-Write-Version": "0.1.0"}); code != http.StatusNoContent {
		t.Fatalf("remote write: HTTP %d, want 204", code)
	}
	q := url.Values{"query": {`wire_test_metric{device="agent-01"}`}, "time": {fmt.Sprintf("%.3f", float64(ts)/1000)}}
	code, body = get(t, base+"/api/v1/query?"+q.Encode())
	if code != http.StatusOK {
		t.Fatalf("query: HTTP %d: %s", code, body)
	}
	var qr struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &qr); err != nil {
		t.Fatalf("query: %v: %s", err, body)
	}
	if qr.Status != "success" || len(qr.Data.Result) != 1 || qr.Data.Result[0].Value[1] != "42" {
		t.Fatalf("query result %s, want one sample of 42", body)
	}
}
