package agent

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// TestMutualTLSEndToEnd runs the real binaries with the settings of
// docs/security.md: roomwatch-collector with --web.config.file (TLS,
// client CA, a bcrypt basic-auth user), writes closed on loopback and
// auth.query.required; roomwatch-agent pushing and registering over mutual
// TLS with its client certificate and a write token from a file; and
// Prometheus 2.42 scraping the collector's /metrics over TLS with
// basic_auth. Certificates are made in the test.
func TestMutualTLSEndToEnd(t *testing.T) {
	t.Parallel()
	prom := testutil.LookBinary(t, "prometheus")
	agentBin := buildAgent(t)
	dir := t.TempDir()
	collectorBin := filepath.Join(dir, "roomwatch-collector")
	build := exec.Command("go", "build", "-o", collectorBin, "github.com/roomwatch/roomwatch/collector/cmd/roomwatch-collector")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build collector: %v\n%s", err, out)
	}

	ca := testutil.NewCA(t, dir, "bureau")
	ca.Issue(t, dir, "collector", "127.0.0.1", "collector.bureau.local")
	agentCert, agentKey := ca.Issue(t, dir, "agent-e2e")
	const promPassword = "scrape-password-0123"
	hash, err := bcrypt.GenerateFromPassword([]byte(promPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	writeFile(t, webCfg, `tls_server_config:
  cert_file: collector.pem
  key_file: collector-key.pem
  client_auth_type: VerifyClientCertIfGiven
  client_ca_file: bureau-ca.pem
basic_auth_users:
  prometheus: `+string(hash)+"\n")
	const writeToken = "site-e2e-write-token-0123"
	collectorCfg := filepath.Join(dir, "collector.yml")
	writeFile(t, collectorCfg, `rules: {files: []}
scrape: []
tickets: {enabled: false}
auth:
  write:
    open_on_loopback: false
    tokens:
      - {name: site-e2e, token: `+writeToken+`}
  query: {required: true}
`)
	caddr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	base := "https://" + caddr
	testutil.StartProcess(t, collectorBin, "--config", collectorCfg, "--data-dir", filepath.Join(dir, "data"),
		"--web.listen-address", caddr, "--web.config.file", webCfg)

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM)
	pair, err := tls.LoadX509KeyPair(agentCert, agentKey)
	if err != nil {
		t.Fatal(err)
	}
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
	}
	do := func(c *http.Client, method, path, user, pass string, body []byte, ct string) (int, string) {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitUntil(t, "the collector ready over TLS", func() bool {
		code, _ := do(client(), "GET", "/-/ready", "", "", nil, "")
		return code == 200
	})
	// The listener's own answers: credentials are checked before anything.
	reg := []byte(`{"hostname":"cert-only-host"}`)
	for _, c := range []struct {
		name             string
		client           *http.Client
		method, path, ct string
		user             string
		body             []byte
		want             int
	}{
		{"register without certificate or token", client(), "POST", "/api/v1/agents/register", "application/json", "", reg, 401},
		{"register with the client certificate only", client(pair), "POST", "/api/v1/agents/register", "application/json", "", reg, 204},
		{"metrics without password", client(), "GET", "/metrics", "", "", nil, 401},
		{"metrics with the web config user", client(), "GET", "/metrics", "", "prometheus", nil, 200},
	} {
		pass := ""
		if c.user != "" {
			pass = promPassword
		}
		if code, body := do(c.client, c.method, c.path, c.user, pass, c.body, c.ct); code != c.want {
			t.Errorf("%s: %d %q, want %d", c.name, code, body, c.want)
		}
	}
	// Plain HTTP on the TLS port gets nothing but Go's 400.
	if resp, err := http.Get("http://" + caddr + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS port: %d, want 400", resp.StatusCode)
		}
	}

	// The agent: mutual TLS plus a write token from a file.
	tokFile := filepath.Join(dir, "write-token")
	writeFile(t, tokFile, writeToken+"\n")
	agentCfg := filepath.Join(dir, "agent.yml")
	aaddr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	writeFile(t, agentCfg, fmt.Sprintf(`labels: {site: e2e}
sources: {enabled: [loadavg, memory, host]}
remote_write:
  url: %s/api/v1/write
  buffer_dir: %s
  interval: 200ms
  bearer_token_file: %s
  tls_config:
    ca_file: %s
    cert_file: %s
    key_file: %s
    server_name: collector.bureau.local
`, base, filepath.Join(dir, "buffer"), tokFile, ca.File, agentCert, agentKey))
	testutil.StartProcess(t, agentBin, "--config", agentCfg, "--web.listen-address", aaddr)
	testutil.WaitHTTP(t, "http://"+aaddr+"/metrics", 30*time.Second)

	// Prometheus 2.42 scrapes the collector over TLS with basic auth; a
	// second job without the password must see the target down.
	pwFile := filepath.Join(dir, "prom-password")
	writeFile(t, pwFile, promPassword)
	promCfg := filepath.Join(dir, "prometheus.yml")
	writeFile(t, promCfg, fmt.Sprintf(`global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: roomwatch-collector
    scheme: https
    basic_auth: {username: prometheus, password_file: %s}
    tls_config: {ca_file: %s, server_name: collector.bureau.local}
    static_configs: [{targets: ['%s']}]
  - job_name: no-password
    scheme: https
    tls_config: {ca_file: %s}
    static_configs: [{targets: ['%s']}]
`, pwFile, ca.File, caddr, ca.File, caddr))
	paddr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	testutil.StartProcess(t, prom, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+paddr)
	testutil.WaitHTTP(t, "http://"+paddr+"/-/ready", 60*time.Second)

	hostname, _ := os.Hostname()
	query := func(q string) string {
		code, body := do(client(), "GET", "/api/v1/query?query="+url.QueryEscape(q), "prometheus", promPassword, nil, "")
		if code != 200 {
			t.Fatalf("collector query %s: %d %s", q, code, body)
		}
		return body
	}
	waitUntil(t, "the agent's pushes stored in the collector", func() bool {
		return strings.Contains(query(`roomwatch_agent_push_sequence{agent="`+hostname+`"} > 3`), `"result":[{`)
	})
	waitUntil(t, "the agent registered", func() bool {
		_, body := do(client(), "GET", "/api/v1/agents", "prometheus", promPassword, nil, "")
		return strings.Contains(body, `"hostname":"`+hostname+`"`) && strings.Contains(body, `"site":"e2e"`)
	})
	promValue := func(q string) string {
		resp, err := http.Get("http://" + paddr + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		if len(r.Data.Result) == 0 {
			return ""
		}
		return fmt.Sprint(r.Data.Result[0].Value[1])
	}
	waitUntil(t, "Prometheus scraping the collector with basic auth over TLS", func() bool {
		return promValue(`up{job="roomwatch-collector"}`) == "1" &&
			promValue(`roomwatch_agent_registrations_total{job="roomwatch-collector",result="accepted"} >= 2`) != ""
	})
	waitUntil(t, "the job without a password down", func() bool { return promValue(`up{job="no-password"}`) == "0" })
}
