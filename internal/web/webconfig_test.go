package web

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadWebConfigRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := testutil.NewCA(t, dir, "test")
	ca.Issue(t, dir, "server", "127.0.0.1")
	tests := []struct{ name, body, want string }{
		{"unknown key", "tls_server_config:\n  cert_fil: server.pem\n", "cert_fil"},
		{"not bcrypt", "basic_auth_users:\n  grafana: secret\n", "hash"},
		{"key missing", "tls_server_config:\n  cert_file: server.pem\n", "missing one of key or key_file"},
		{"no such cert", "tls_server_config:\n  cert_file: nope.pem\n  key_file: server-key.pem\n", "nope.pem"},
		{"client CA without policy", "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  client_ca_file: test-ca.pem\n", "Client Auth Policy"},
		{"header not allowed", "http_server_config:\n  headers:\n    X-Evil: 1\n", "can not be configured"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "-")+".yml", tc.body)
			_, err := LoadWebConfig(p)
			if err == nil || !errors.Is(err, ErrWebConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrWebConfig naming %q", err, tc.want)
			}
		})
	}
}

// TestServeMutualTLSAndBasicAuth serves through Serve with a web config
// requiring a client certificate, and checks users and headers.
func TestServeMutualTLSAndBasicAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := testutil.NewCA(t, dir, "test")
	ca.Issue(t, dir, "server", "127.0.0.1")
	clientCert, clientKey := ca.Issue(t, dir, "agent-1")
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, dir, "web.yml", `tls_server_config:
  cert_file: server.pem
  key_file: server-key.pem
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: test-ca.pem
  min_version: TLS13
http_server_config:
  headers:
    X-Frame-Options: deny
basic_auth_users:
  grafana: `+string(hash)+"\n")
	wc, err := LoadWebConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if !wc.TLSEnabled() || !wc.HasUsers() {
		t.Fatalf("TLSEnabled %v HasUsers %v, want both", wc.TLSEnabled(), wc.HasUsers())
	}
	ln, err := Listen("127.0.0.1:0", ServerOptions{MaxConnections: 4})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, ok := wc.CheckBasicAuth(r)
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-User", user+"/"+r.TLS.PeerCertificates[0].Subject.CommonName)
	}), ServerOptions{})
	go func() { _ = Serve(srv, ln, wc) }()
	t.Cleanup(func() { _ = srv.Close() })

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM)
	pair, err := tls.LoadX509KeyPair(clientCert, clientKey)
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + ln.Addr().String() + "/"
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
	}
	tests := []struct {
		name       string
		certs      []tls.Certificate
		user, pass string
		code       int
		fail       bool
	}{
		{name: "no client certificate", fail: true},
		{name: "certificate, no password", certs: []tls.Certificate{pair}, code: 401},
		{name: "wrong password", certs: []tls.Certificate{pair}, user: "grafana", pass: "nope", code: 401},
		{name: "unknown user", certs: []tls.Certificate{pair}, user: "nobody", pass: "s3cret-password", code: 401},
		{name: "right", certs: []tls.Certificate{pair}, user: "grafana", pass: "s3cret-password", code: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			resp, err := client(tc.certs...).Do(req)
			if tc.fail {
				if err == nil {
					resp.Body.Close()
					t.Fatal("TLS without a client certificate was accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("code %d, want %d", resp.StatusCode, tc.code)
			}
			if got := resp.Header.Get("X-Frame-Options"); got != "deny" {
				t.Errorf("X-Frame-Options %q, want deny", got)
			}
			if tc.code == 200 && resp.Header.Get("X-User") != "grafana/agent-1" {
				t.Errorf("X-User %q", resp.Header.Get("X-User"))
			}
			if resp.TLS.Version != tls.VersionTLS13 {
				t.Errorf("TLS version %x, want 1.3", resp.TLS.Version)
			}
		})
	}
	// Plain HTTP on the TLS port is refused.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	buf := make([]byte, 64)
	n, _ := conn.Read(buf)
	if strings.Contains(string(buf[:n]), "200 OK") {
		t.Fatalf("plain HTTP answered %q", buf[:n])
	}
}
