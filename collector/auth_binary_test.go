package collector

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// authedRequest sends a request with the given Authorization header (none
// when empty) and returns the code and body.
func authedRequest(t *testing.T, method, url, authz, contentType string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// snappyWrite is a remote-write body of one sample (or none when name is "").
func snappyWrite(t *testing.T, name string, v float64) []byte {
	t.Helper()
	var wr prompb.WriteRequest
	if name != "" {
		wr.Timeseries = []prompb.TimeSeries{{
			Labels:  []prompb.Label{{Name: "__name__", Value: name}},
			Samples: []prompb.Sample{{Timestamp: time.Now().UnixMilli(), Value: v}},
		}}
	}
	raw, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, raw)
}

// TestBinaryWriteAndQueryAuth: with writes closed on loopback and
// auth.query.required, the running binary refuses writes, registrations
// and reads without credentials (an empty write naming an agent marks
// nothing alive), takes a write token for writes only and an API token
// for reads, and counts the refusals.
func TestBinaryWriteAndQueryAuth(t *testing.T) {
	t.Parallel()
	bin := buildCollector(t)
	dir := t.TempDir()
	const (
		viewer = "viewer-token-0123456789"
		site   = "site-chengguan-0123456789"
		admin  = "admin-token-0123456789ab"
	)
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`rules: {files: []}
tickets: {enabled: false}
auth:
  tokens:
    - {name: grafana, token: %s, role: viewer}
    - {name: ops, token: %s, role: admin}
  write:
    open_on_loopback: false
    tokens:
      - {name: chengguan, token: %s}
  query:
    required: true
`, viewer, admin, site))
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	startBinary(t, bin, dir, "--config", cfgPath, "--data-dir", filepath.Join(dir, "data"), "--web.listen-address", addr)
	base := "http://" + addr
	testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)

	reg := func(host string) []byte { return []byte(`{"hostname":"` + host + `","site":"城关"}`) }
	const pb = "application/x-protobuf"
	snappyHdr := map[string]string{"Content-Encoding": "snappy"}
	ghost := map[string]string{"Content-Encoding": "snappy", "X-Roomwatch-Agent": "ghost-pc"}
	tests := []struct {
		name, method, path, authz, ct string
		body                          []byte
		hdr                           map[string]string
		code                          int
	}{
		{"register, no credentials", "POST", "/api/v1/agents/register", "", "application/json", reg("evil-1"), nil, 401},
		{"register, viewer token", "POST", "/api/v1/agents/register", "Bearer " + viewer, "application/json", reg("evil-2"), nil, 401},
		{"register, write token", "POST", "/api/v1/agents/register", "Bearer " + site, "application/json", reg("pc-1"), nil, 204},
		{"register, write token as basic-auth password", "POST", "/api/v1/agents/register", "Basic " + basic("pc-2", site), "application/json", reg("pc-2"), nil, 204},
		{"empty write naming an agent, no credentials", "POST", "/api/v1/write", "", pb, snappyWrite(t, "", 0), ghost, 401},
		{"write, no credentials", "POST", "/api/v1/write", "", pb, snappyWrite(t, "evil_metric", 1), snappyHdr, 401},
		{"write, wrong token", "POST", "/api/v1/write", "Bearer wrong-token-0123456789", pb, snappyWrite(t, "evil_metric", 1), snappyHdr, 401},
		{"write, write token", "POST", "/api/v1/write", "bearer " + site, pb, snappyWrite(t, "good_metric", 7), snappyHdr, 204},
		{"write, admin token", "POST", "/api/v1/write", "Bearer " + admin, pb, snappyWrite(t, "admin_metric", 1), snappyHdr, 204},
		{"query, no credentials", "GET", "/api/v1/query?query=up", "", "", nil, nil, 401},
		{"query, write token", "GET", "/api/v1/query?query=up", "Bearer " + site, "", nil, nil, 401},
		{"query, viewer token", "GET", "/api/v1/query?query=up", "Bearer " + viewer, "", nil, nil, 200},
		{"agents list, no credentials", "GET", "/api/v1/agents", "", "", nil, nil, 401},
		{"metrics, no credentials", "GET", "/metrics", "", "", nil, nil, 401},
		{"metrics, viewer token", "GET", "/metrics", "Bearer " + viewer, "", nil, nil, 200},
		{"ready needs nothing", "GET", "/-/ready", "", "", nil, nil, 200},
	}
	for _, tc := range tests {
		code, body := authedRequest(t, tc.method, base+tc.path, tc.authz, tc.ct, tc.body, tc.hdr)
		if code != tc.code {
			t.Errorf("%s: %d %q, want %d", tc.name, code, body, tc.code)
		}
	}
	code, body := authedRequest(t, "GET", base+"/api/v1/agents", "Bearer "+viewer, "", nil, nil)
	if code != 200 || !strings.Contains(body, `"pc-1"`) || !strings.Contains(body, `"pc-2"`) {
		t.Errorf("agents list: %d %s, want pc-1 and pc-2", code, body)
	}
	for _, bad := range []string{"ghost-pc", "evil-1", "evil-2"} {
		if strings.Contains(body, bad) {
			t.Errorf("agents list has %s, which sent no valid credentials: %s", bad, body)
		}
	}
	_, metrics := authedRequest(t, "GET", base+"/metrics", "Bearer "+viewer, "", nil, nil)
	for _, want := range []string{`roomwatch_http_auth_refused_total{kind="write"} 5`, `roomwatch_http_auth_refused_total{kind="read"} 4`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	_, q := authedRequest(t, "GET", base+"/api/v1/query?query=good_metric", "Bearer "+viewer, "", nil, nil)
	if !strings.Contains(q, `"7"`) {
		t.Errorf("good_metric not stored: %s", q)
	}
	_, q = authedRequest(t, "GET", base+"/api/v1/query?query=evil_metric", "Bearer "+viewer, "", nil, nil)
	if strings.Contains(q, "evil_metric") {
		t.Errorf("evil_metric stored: %s", q)
	}
}

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

func TestAgentsConfigLine(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	err := config.Decode("c.yml", []byte("rules: {files: []}\nagents:\n  max_agents: -5\n"), &c)
	if err == nil || !strings.Contains(err.Error(), "c.yml:3: agents: max_agents") {
		t.Fatalf("err = %v, want the line of agents", err)
	}
	c = DefaultConfig()
	if err := config.Decode("c.yml", []byte("agents: {max_agents: 100, register_rate: 5, register_burst: 10}\n"), &c); err != nil {
		t.Fatal(err)
	}
	if c.Agents.MaxAgents != 100 || c.Agents.RegisterRate != 5 || c.Agents.RegisterBurst != 10 || !c.Auth.Write.OpenOnLoopback {
		t.Fatalf("agents %+v, write open on loopback %v", c.Agents, c.Auth.Write.OpenOnLoopback)
	}
}
