package auth_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/config"
)

const (
	viewerTok   = "v-token"
	engineerTok = "e-token"
	managerTok  = "m-token"
	adminTok    = "a-token"
	intakeTok   = "i-token"
)

func newAuth(t *testing.T, loopback bool) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(auth.Config{
		Tokens: []auth.Token{
			{Name: "viewer", Token: viewerTok, Role: auth.RoleViewer},
			{Name: "zhang", Hash: auth.HashToken(engineerTok), Role: auth.RoleEngineer},
			{Name: "boss", Token: managerTok, Role: auth.RoleManager},
			{Name: "root", Hash: auth.HashToken(adminTok), Role: auth.RoleAdmin},
		},
		Intake: auth.Intake{Tokens: []auth.Token{{Name: "am", Hash: auth.HashToken(intakeTok)}}, OpenOnLoopback: loopback},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestHashToken(t *testing.T) {
	t.Parallel()
	// sha256("abc"), a published test vector.
	if got, want := auth.HashToken("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("HashToken(abc) = %s, want %s", got, want)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := auth.HashToken("x")
	tests := []struct {
		name    string
		cfg     auth.Config
		wantErr string
	}{
		{"empty", auth.Config{}, ""},
		{"clear", auth.Config{Tokens: []auth.Token{{Name: "a", Token: "s", Role: auth.RoleViewer}}}, ""},
		{"hashed", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: good, Role: auth.RoleAdmin}}}, ""},
		{"hash upper-case hex", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "sha256:" + strings.ToUpper(good[7:]), Role: auth.RoleAdmin}}}, ""},
		{"upper-case prefix", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "SHA256:" + good[7:], Role: auth.RoleAdmin}}}, "sha256:<64 hex digits>"},
		{"no name", auth.Config{Tokens: []auth.Token{{Token: "s", Role: auth.RoleViewer}}}, "auth.tokens: a token has no name"},
		{"twice", auth.Config{Tokens: []auth.Token{{Name: "a", Token: "s", Role: auth.RoleViewer}, {Name: "a", Token: "t", Role: auth.RoleViewer}}}, `token name "a" used twice`},
		{"neither", auth.Config{Tokens: []auth.Token{{Name: "a", Role: auth.RoleViewer}}}, "exactly one of token and hash"},
		{"both", auth.Config{Tokens: []auth.Token{{Name: "a", Token: "s", Hash: good, Role: auth.RoleViewer}}}, "exactly one of token and hash"},
		{"no prefix", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: good[7:], Role: auth.RoleViewer}}}, "sha256:<64 hex digits>"},
		{"short", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: good[:20], Role: auth.RoleViewer}}}, "sha256:<64 hex digits>"},
		{"not hex", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "sha256:" + strings.Repeat("zz", 32), Role: auth.RoleViewer}}}, "sha256:<64 hex digits>"},
		{"md5", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "md5:0123", Role: auth.RoleViewer}}}, "sha256:<64 hex digits>"},
		{"no role", auth.Config{Tokens: []auth.Token{{Name: "a", Token: "s"}}}, `token "a" needs a role`},
		{"intake needs no role", auth.Config{Intake: auth.Intake{Tokens: []auth.Token{{Name: "am", Token: "s"}}}}, ""},
		{"intake bad hash", auth.Config{Intake: auth.Intake{Tokens: []auth.Token{{Name: "am", Hash: "sha256:12"}}}}, "auth.intake.tokens: token \"am\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			_, nerr := auth.New(tc.cfg)
			if tc.wantErr == "" {
				if err != nil || nerr != nil {
					t.Fatalf("Validate: %v, New: %v", err, nerr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate: %v, want %q", err, tc.wantErr)
			}
			if nerr == nil {
				t.Fatal("New accepted what Validate refuses")
			}
		})
	}
}

// TestConfigErrorLines: role and token errors in a config file name the
// file and the line.
func TestConfigErrorLines(t *testing.T) {
	t.Parallel()
	good := auth.HashToken("x")
	tests := []struct{ name, yaml, want string }{
		{"unknown role", "tokens:\n  - name: a\n    token: s\n    role: boss\n",
			`collector.yml:4: unknown role "boss" (want viewer, customer, engineer, manager or admin)`},
		{"role not a string", "tokens:\n  - name: a\n    token: s\n    role: [viewer]\n", "collector.yml:4: role: expected viewer"},
		{"used twice", "tokens:\n  - name: a\n    token: s\n    role: viewer\n  - name: a\n    token: t\n    role: viewer\n",
			`collector.yml:5: auth.tokens: token name "a" used twice (first at line 2)`},
		{"no role", "tokens:\n  - name: a\n    token: s\n  - name: b\n    hash: " + good + "\n",
			`collector.yml:2: auth.tokens: token "a" needs a role`},
		{"intake bad hash", "intake:\n  tokens:\n    - name: am\n      hash: sha256:12\n",
			`collector.yml:3: auth.intake.tokens: token "am": hash must look like`},
		{"neither", "tokens:\n  - role: viewer\n    name: a\n", `collector.yml:2: auth.tokens: token "a" needs exactly one of token and hash`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c auth.Config
			err := config.Decode("collector.yml", []byte(tc.yaml), &c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	order := []auth.Role{auth.RoleNone, auth.RoleViewer, auth.RoleEngineer, auth.RoleManager, auth.RoleAdmin}
	for i := 1; i < len(order); i++ {
		if !(order[i-1] < order[i]) {
			t.Errorf("%s is not below %s", order[i-1], order[i])
		}
	}
	for _, tc := range []struct {
		in      string
		want    auth.Role
		wantErr bool
	}{
		{"viewer", auth.RoleViewer, false}, {"engineer", auth.RoleEngineer, false},
		{"manager", auth.RoleManager, false}, {"admin", auth.RoleAdmin, false},
		{"none", 0, true}, {"", 0, true}, {"Admin", 0, true}, {"root", 0, true},
	} {
		got, err := auth.ParseRole(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseRole(%q) = %v, %v", tc.in, got, err)
		}
		if err == nil {
			b, _ := got.MarshalText()
			if string(b) != tc.in || got.String() != tc.in {
				t.Errorf("%v marshals to %q", got, b)
			}
		}
	}
	if s := auth.Role(9).String(); s != "Role(9)" {
		t.Errorf("Role(9).String() = %q", s)
	}
	// Roles decode from YAML through UnmarshalText, with the error.
	var tok auth.Token
	if err := yaml.Unmarshal([]byte("name: a\ntoken: s\nrole: manager\n"), &tok); err != nil || tok.Role != auth.RoleManager {
		t.Errorf("yaml role: %v %v", tok.Role, err)
	}
	if err := yaml.Unmarshal([]byte("name: a\nrole: superuser\n"), &tok); err == nil || !strings.Contains(err.Error(), `unknown role "superuser"`) {
		t.Errorf("yaml bad role: %v", err)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	a := newAuth(t, false)
	tests := []struct {
		name   string
		header string
		basic  string // basic-auth password
		want   auth.Principal
		err    error
	}{
		{"clear token", "Bearer " + viewerTok, "", auth.Principal{Name: "viewer", Role: auth.RoleViewer}, nil},
		{"hashed token", "Bearer " + engineerTok, "", auth.Principal{Name: "zhang", Role: auth.RoleEngineer}, nil},
		{"manager", "Bearer " + managerTok, "", auth.Principal{Name: "boss", Role: auth.RoleManager}, nil},
		{"admin hashed", "Bearer " + adminTok, "", auth.Principal{Name: "root", Role: auth.RoleAdmin}, nil},
		{"trailing space", "Bearer " + viewerTok + " ", "", auth.Principal{Name: "viewer", Role: auth.RoleViewer}, nil},
		{"basic password", "", managerTok, auth.Principal{Name: "boss", Role: auth.RoleManager}, nil},
		{"missing", "", "", auth.Principal{}, auth.ErrNoToken},
		{"empty bearer", "Bearer ", "", auth.Principal{}, auth.ErrNoToken},
		{"lower-case scheme", "bearer " + viewerTok, "", auth.Principal{}, auth.ErrNoToken},
		{"other scheme", "Token " + viewerTok, "", auth.Principal{}, auth.ErrNoToken},
		{"wrong token", "Bearer nope", "", auth.Principal{}, auth.ErrBadToken},
		{"the hash itself is not a token", "Bearer " + auth.HashToken(engineerTok), "", auth.Principal{}, auth.ErrBadToken},
		{"intake token is not an API token", "Bearer " + intakeTok, "", auth.Principal{}, auth.ErrBadToken},
		{"prefix of a token", "Bearer " + viewerTok[:2], "", auth.Principal{}, auth.ErrBadToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/api/v1/tickets", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			if tc.basic != "" {
				r.SetBasicAuth("x", tc.basic)
			}
			p, err := a.Authenticate(r)
			if !errors.Is(err, tc.err) || p != tc.want {
				t.Errorf("Authenticate = %+v, %v; want %+v, %v", p, err, tc.want, tc.err)
			}
		})
	}
}

func TestAuthenticateIntake(t *testing.T) {
	t.Parallel()
	closed, open := newAuth(t, false), newAuth(t, true)
	tests := []struct {
		name     string
		a        *auth.Authenticator
		remote   string
		header   string
		wantName string
		err      error
	}{
		{"intake token", closed, "10.0.0.5:4000", "Bearer " + intakeTok, "am", nil},
		{"engineer API token", closed, "10.0.0.5:4000", "Bearer " + engineerTok, "zhang", nil},
		{"viewer API token refused", closed, "10.0.0.5:4000", "Bearer " + viewerTok, "", auth.ErrBadToken},
		{"bad token", closed, "127.0.0.1:4000", "Bearer nope", "", auth.ErrBadToken},
		{"bad token refused on loopback too", open, "127.0.0.1:4000", "Bearer nope", "", auth.ErrBadToken},
		{"no token, closed", closed, "127.0.0.1:4000", "", "", auth.ErrNoToken},
		{"no token, loopback v4", open, "127.0.0.1:4000", "", "loopback", nil},
		{"no token, loopback 127/8", open, "127.3.2.1:4000", "", "loopback", nil},
		{"no token, loopback v6", open, "[::1]:4000", "", "loopback", nil},
		{"no token, remote", open, "192.0.2.7:4000", "", "", auth.ErrNoToken},
		{"no token, mapped remote", open, "[::ffff:192.0.2.7]:4000", "", "", auth.ErrNoToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/api/v2/alerts", nil)
			r.RemoteAddr = tc.remote
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			name, err := tc.a.AuthenticateIntake(r)
			if !errors.Is(err, tc.err) || name != tc.wantName {
				t.Errorf("AuthenticateIntake = %q, %v; want %q, %v", name, err, tc.wantName, tc.err)
			}
		})
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	a := newAuth(t, true)
	h := a.Require(auth.RoleEngineer, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			t.Error("no principal in the context")
		}
		w.Write([]byte(p.Name + "/" + p.Role.String()))
	}))
	tests := []struct {
		name, header string
		code         int
		body         string
	}{
		{"missing bearer", "", 401, `{"error":"authentication required: send Authorization: Bearer \u003ctoken\u003e"}`},
		{"invalid bearer", "Bearer nope", 401, `{"error":"invalid token"}`},
		{"too weak", "Bearer " + viewerTok, 403, `{"error":"token \"viewer\" has role viewer; this needs engineer"}`},
		{"exact role", "Bearer " + engineerTok, 200, "zhang/engineer"},
		{"stronger role", "Bearer " + adminTok, 200, "root/admin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/x", nil) // from 192.0.2.1: loopback is no excuse for the API
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.code || strings.TrimSpace(w.Body.String()) != tc.body {
				t.Errorf("%d %s; want %d %s", w.Code, w.Body, tc.code, tc.body)
			}
			if tc.code == 401 && w.Header().Get("WWW-Authenticate") != `Bearer realm="roomwatch"` {
				t.Errorf("401 without WWW-Authenticate: %v", w.Header())
			}
			if tc.code != 200 && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Errorf("error content type %q", w.Header().Get("Content-Type"))
			}
		})
	}
	// Loopback does not open the API (only intake).
	r := httptest.NewRequest("GET", "/x", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Errorf("loopback without token: %d", w.Code)
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:1": true, "127.255.0.1:1": true, "[::1]:1": true, "::1": true, "127.0.0.1": true,
		"10.0.0.1:1": false, "[::ffff:10.0.0.1]:1": false, "": false, "garbage": false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		if got := auth.IsLoopback(r); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}

func TestAuditFileAppends(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	type rec struct {
		N    int    `json:"n"`
		Note string `json:"note"`
	}
	// An existing line survives: the file is appended to, never truncated.
	if err := os.WriteFile(path, []byte(`{"n":-1,"note":"before"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := auth.OpenAuditFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.AppendJSON(rec{N: i, Note: "多行\n备注"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := a.AppendJSON(func() {}); err == nil {
		t.Error("AppendJSON of a func: no error")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening appends after what is there.
	a2, err := auth.OpenAuditFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := a2.AppendJSON(rec{N: 100, Note: "after"}); err != nil {
		t.Fatal(err)
	}
	a2.Close()
	if err := a2.AppendJSON(rec{N: 101}); err == nil {
		t.Error("append after Close: no error")
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[int]bool{}
	var lines []rec
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r rec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, r)
		seen[r.N] = true
	}
	if len(lines) != 52 || lines[0].Note != "before" || lines[51].N != 100 {
		t.Fatalf("%d lines, first %+v last %+v", len(lines), lines[0], lines[len(lines)-1])
	}
	for i := range 50 {
		if !seen[i] {
			t.Errorf("record %d missing", i)
		}
	}
	if lines[1].Note != "多行\n备注" {
		t.Errorf("note %q", lines[1].Note)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("existing file mode changed: %v %v", st.Mode(), err)
	}
}

func TestOpenAuditFileMode(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "new.jsonl")
	a, err := auth.OpenAuditFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm&^0o640 != 0 {
		t.Errorf("new audit file mode %v, want at most 0640", perm)
	}
	if _, err := auth.OpenAuditFile(filepath.Join(t.TempDir(), "no", "dir", "x")); err == nil || !strings.Contains(err.Error(), "audit file") {
		t.Errorf("missing dir: %v", err)
	}
}
