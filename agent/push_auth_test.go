package agent

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

func TestRemoteWriteCredentialsConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := testutil.NewCA(t, dir, "test")
	cert, key := ca.Issue(t, dir, "agent-1")
	tokFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokFile, []byte("file-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const head = "remote_write:\n  url: https://c:9120/api/v1/write\n"
	tests := []struct {
		name, yaml, want, authz string
	}{
		{"bearer", head + "  bearer_token: tok-0123456789abcdef\n", "", "Bearer tok-0123456789abcdef"},
		{"bearer file", head + "  bearer_token_file: " + tokFile + "\n", "", "Bearer file-token-0123456789"},
		{"basic", head + "  basic_auth: {username: pc-1, password: pw-0123456789}\n", "", "Basic cGMtMTpwdy0wMTIzNDU2Nzg5"},
		{"basic password file", head + "  basic_auth: {username: pc-1, password_file: " + tokFile + "}\n", "", "Basic cGMtMTpmaWxlLXRva2VuLTAxMjM0NTY3ODk="},
		{"mtls", head + "  tls_config: {ca_file: " + ca.File + ", cert_file: " + cert + ", key_file: " + key + ", server_name: collector}\n", "", ""},
		{"two kinds", head + "  bearer_token: a\n  basic_auth: {username: u, password: p}\n", "a.yml:2: remote_write: at most one of bearer_token, bearer_token_file and basic_auth", ""},
		{"basic without password", head + "  basic_auth: {username: u}\n", "exactly one of password and password_file", ""},
		{"basic without username", head + "  basic_auth: {password: p}\n", "needs a username", ""},
		{"missing token file", head + "  bearer_token_file: /nonexistent/tok\n", "a.yml:2: remote_write: open /nonexistent/tok", ""},
		{"cert without key", head + "  tls_config: {cert_file: " + cert + "}\n", "both cert_file and key_file", ""},
		{"ca not PEM", head + "  tls_config: {ca_file: " + tokFile + "}\n", "holds no PEM certificate", ""},
		{"unknown key", head + "  tls_config: {ca: x}\n", "a.yml:3", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig("a.yml", []byte(tc.yaml))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.RemoteWrite.Credentials.authorization()
			if err != nil || got != tc.authz {
				t.Fatalf("authorization %q %v, want %q", got, err, tc.authz)
			}
		})
	}
}

// TestAuthDoerSendsCredentials: every request of the pusher's client
// carries the Authorization header, re-read from the file each time.
func TestAuthDoerSendsCredentials(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	tokFile := filepath.Join(t.TempDir(), "token")
	creds := &Credentials{BearerTokenFile: tokFile}
	d, err := creds.client()
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"first-token-0123456789", "rotated-token-0123456789"} {
		if err := os.WriteFile(tokFile, []byte(tok), 0o600); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/write", strings.NewReader("x"))
		resp, err := d.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != "Bearer first-token-0123456789" || seen[1] != "Bearer rotated-token-0123456789" {
		t.Fatalf("Authorization headers %q", seen)
	}
	if err := os.WriteFile(tokFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	if _, err := d.Do(req); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Fatalf("empty token file: err = %v", err)
	}
}
