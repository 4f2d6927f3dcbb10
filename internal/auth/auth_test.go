package auth_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/config"
)

const (
	viewerTok   = "viewer-token-0001"
	engineerTok = "engineer-token-0001"
	managerTok  = "manager-token-0001"
	adminTok    = "admin-token-000001"
	intakeTok   = "intake-token-00001"
)

// sha256Of is the deprecated "sha256:<hex>" form of a token.
func sha256Of(tok string) string {
	s := sha256.Sum256([]byte(tok))
	return "sha256:" + hex.EncodeToString(s[:])
}

func mustHash(t *testing.T, tok string) string {
	t.Helper()
	h, err := auth.HashToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newAuth has a clear, a bcrypt, a "bcrypt:"-prefixed and a sha256 token.
func newAuth(t *testing.T, loopback bool) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(auth.Config{
		Tokens: []auth.Token{
			{Name: "viewer", Token: viewerTok, Role: auth.RoleViewer},
			{Name: "zhang", Hash: mustHash(t, engineerTok), Role: auth.RoleEngineer},
			{Name: "boss", Token: managerTok, Role: auth.RoleManager},
			{Name: "root", Hash: sha256Of(adminTok), Role: auth.RoleAdmin},
		},
		Intake: auth.Intake{Tokens: []auth.Token{{Name: "am", Hash: "bcrypt:" + mustHash(t, intakeTok)}}, OpenOnLoopback: loopback},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestHashToken(t *testing.T) {
	t.Parallel()
	h1, h2 := mustHash(t, engineerTok), mustHash(t, engineerTok)
	if !strings.HasPrefix(h1, "$2a$10$") || len(h1) != 60 {
		t.Errorf("HashToken = %q, want a 60-character bcrypt hash at cost 10", h1)
	}
	if h1 == h2 {
		t.Error("two hashes of one token are equal: no salt")
	}
	for _, h := range []string{h1, h2} {
		if err := bcrypt.CompareHashAndPassword([]byte(h), []byte(engineerTok)); err != nil {
			t.Errorf("%s does not verify: %v", h, err)
		}
	}
	cfg := auth.Config{Tokens: []auth.Token{{Name: "a", Hash: h1, Role: auth.RoleViewer}}}
	if err := cfg.Validate(); err != nil {
		t.Errorf("the config refuses HashToken's output: %v", err)
	}
	if _, err := auth.HashToken(strings.Repeat("x", 73)); !errors.Is(err, bcrypt.ErrPasswordTooLong) {
		t.Errorf("HashToken of 73 bytes: %v, want ErrPasswordTooLong", err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := sha256Of("x")
	bc := mustHash(t, "x-token-012345678")
	const tok, tok2 = "s-token-012345678", "t-token-012345678"
	tests := []struct {
		name    string
		cfg     auth.Config
		wantErr string
	}{
		{"empty", auth.Config{}, ""},
		{"clear", auth.Config{Tokens: []auth.Token{{Name: "a", Token: tok, Role: auth.RoleViewer}}}, ""},
		{"clear of 16", auth.Config{Tokens: []auth.Token{{Name: "a", Token: "0123456789abcdef", Role: auth.RoleViewer}}}, ""},
		{"clear of 15", auth.Config{Tokens: []auth.Token{{Name: "a", Token: "0123456789abcde", Role: auth.RoleViewer}}}, `auth.tokens: token "a" is 15 characters; use at least 16`},
		{"short intake", auth.Config{Intake: auth.Intake{Tokens: []auth.Token{{Name: "am", Token: "secret"}}}}, `auth.intake.tokens: token "am" is 6 characters`},
		{"16 bytes but 6 characters", auth.Config{Tokens: []auth.Token{{Name: "a", Token: "机房巡检密码", Role: auth.RoleViewer}}}, "is 6 characters"},
		{"same secret twice", auth.Config{Tokens: []auth.Token{{Name: "a", Token: tok, Role: auth.RoleViewer}, {Name: "b", Token: tok, Role: auth.RoleAdmin}}},
			`auth.tokens: token "b" has the same secret as auth.tokens token "a"`},
		{"same secret in API and intake", auth.Config{Tokens: []auth.Token{{Name: "a", Token: tok, Role: auth.RoleViewer}}, Intake: auth.Intake{Tokens: []auth.Token{{Name: "am", Token: tok}}}},
			`auth.intake.tokens: token "am" has the same secret as auth.tokens token "a"`},
		{"clear and its sha256", auth.Config{Tokens: []auth.Token{{Name: "a", Token: tok, Role: auth.RoleViewer}, {Name: "b", Hash: sha256Of(tok), Role: auth.RoleViewer}}},
			`token "b" has the same secret as auth.tokens token "a"`},
		{"one bcrypt hash twice", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: bc, Role: auth.RoleViewer}}, Intake: auth.Intake{Tokens: []auth.Token{{Name: "am", Hash: "bcrypt:" + bc}}}},
			`token "am" has the same secret as auth.tokens token "a"`},
		{"different secrets", auth.Config{Tokens: []auth.Token{{Name: "a", Token: tok, Role: auth.RoleViewer}}, Intake: auth.Intake{Tokens: []auth.Token{{Name: "am", Token: tok2}}}}, ""},
		{"bcrypt", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: bc, Role: auth.RoleAdmin}}}, ""},
		{"bcrypt prefixed", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "bcrypt:" + bc, Role: auth.RoleAdmin}}}, ""},
		{"bcrypt 2b", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "$2b$" + bc[4:], Role: auth.RoleAdmin}}}, ""},
		{"bcrypt 2y (htpasswd)", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "$2y$" + bc[4:], Role: auth.RoleAdmin}}}, ""},
		{"bcrypt 2x", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "$2x$" + bc[4:], Role: auth.RoleAdmin}}}, "not a bcrypt hash"},
		{"bcrypt truncated", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: bc[:59], Role: auth.RoleAdmin}}}, "bcrypt hash of 59 characters, want 60"},
		{"bcrypt bad cost", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: bc[:4] + "99" + bc[6:], Role: auth.RoleAdmin}}}, "cost"},
		{"bcrypt bad alphabet", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: bc[:59] + "!", Role: auth.RoleAdmin}}}, "outside its alphabet"},
		{"bcrypt prefix on sha256", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "bcrypt:" + good, Role: auth.RoleAdmin}}}, "not a bcrypt hash"},
		{"sha256 (deprecated) still read", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: good, Role: auth.RoleAdmin}}}, ""},
		{"hash upper-case hex", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "sha256:" + strings.ToUpper(good[7:]), Role: auth.RoleAdmin}}}, ""},
		{"upper-case prefix", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "SHA256:" + good[7:], Role: auth.RoleAdmin}}}, "sha256:<64 hex digits>"},
		{"no name", auth.Config{Tokens: []auth.Token{{Token: tok, Role: auth.RoleViewer}}}, "auth.tokens: a token has no name"},
		{"twice", auth.Config{Tokens: []auth.Token{{Name: "a", Token: tok, Role: auth.RoleViewer}, {Name: "a", Token: tok2, Role: auth.RoleViewer}}}, `token name "a" used twice`},
		{"neither", auth.Config{Tokens: []auth.Token{{Name: "a", Role: auth.RoleViewer}}}, "exactly one of token and hash"},
		{"both", auth.Config{Tokens: []auth.Token{{Name: "a", Token: tok, Hash: good, Role: auth.RoleViewer}}}, "exactly one of token and hash"},
		{"no prefix", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: good[7:], Role: auth.RoleViewer}}}, "sha256:<64 hex digits>"},
		{"short", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: good[:20], Role: auth.RoleViewer}}}, "sha256:<64 hex digits>"},
		{"not hex", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "sha256:" + strings.Repeat("zz", 32), Role: auth.RoleViewer}}}, "sha256:<64 hex digits>"},
		{"md5", auth.Config{Tokens: []auth.Token{{Name: "a", Hash: "md5:0123", Role: auth.RoleViewer}}}, "sha256:<64 hex digits>"},
		{"no role", auth.Config{Tokens: []auth.Token{{Name: "a", Token: tok}}}, `token "a" needs a role`},
		{"intake needs no role", auth.Config{Intake: auth.Intake{Tokens: []auth.Token{{Name: "am", Token: tok}}}}, ""},
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
	good := mustHash(t, "x-token-012345678")
	tests := []struct{ name, yaml, want string }{
		{"unknown role", "tokens:\n  - name: a\n    token: s-token-012345678\n    role: boss\n",
			`collector.yml:4: unknown role "boss" (want viewer, customer, engineer, manager or admin)`},
		{"role not a string", "tokens:\n  - name: a\n    token: s-token-012345678\n    role: [viewer]\n", "collector.yml:4: role: expected viewer"},
		{"used twice", "tokens:\n  - name: a\n    token: s-token-012345678\n    role: viewer\n  - name: a\n    token: t-token-012345678\n    role: viewer\n",
			`collector.yml:5: auth.tokens: token name "a" used twice (first at line 2)`},
		{"short", "tokens:\n  - name: a\n    token: s-token-012345678\n    role: viewer\n  - name: b\n    token: short\n    role: viewer\n",
			`collector.yml:5: auth.tokens: token "b" is 5 characters; use at least 16`},
		{"same secret", "tokens:\n  - name: a\n    token: s-token-012345678\n    role: viewer\nintake:\n  tokens:\n    - name: am\n      token: s-token-012345678\n",
			`collector.yml:7: auth.intake.tokens: token "am" has the same secret as auth.tokens token "a" (line 2)`},
		{"bad bcrypt", "tokens:\n  - name: a\n    hash: '" + good[:58] + "'\n    role: viewer\n",
			`collector.yml:2: auth.tokens: token "a": hash must be bcrypt`},
		{"no role", "tokens:\n  - name: a\n    token: s-token-012345678\n  - name: b\n    hash: '" + good + "'\n",
			`collector.yml:2: auth.tokens: token "a" needs a role`},
		{"intake bad hash", "intake:\n  tokens:\n    - name: am\n      hash: sha256:12\n",
			`collector.yml:3: auth.intake.tokens: token "am": hash must be bcrypt`},
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
		{"lower-case scheme", "bearer " + viewerTok, "", auth.Principal{Name: "viewer", Role: auth.RoleViewer}, nil},
		{"upper-case scheme", "BEARER " + engineerTok, "", auth.Principal{Name: "zhang", Role: auth.RoleEngineer}, nil},
		{"scheme without token", "bearer", "", auth.Principal{}, auth.ErrNoToken},
		{"sha256 token (deprecated)", "Bearer " + adminTok, "", auth.Principal{Name: "root", Role: auth.RoleAdmin}, nil},
		{"other scheme", "Token " + viewerTok, "", auth.Principal{}, auth.ErrNoToken},
		{"wrong token", "Bearer nope", "", auth.Principal{}, auth.ErrBadToken},
		{"the hash itself is not a token", "Bearer " + sha256Of(adminTok), "", auth.Principal{}, auth.ErrBadToken},
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
		{"lower-case bearer", closed, "10.0.0.5:4000", "bearer " + intakeTok, "am", nil},
		{"lower-case basic, password only", closed, "10.0.0.5:4000", "basic " + base64.StdEncoding.EncodeToString([]byte(":"+intakeTok)), "am", nil},
		{"sha256 API token of an engineer+", closed, "10.0.0.5:4000", "Bearer " + adminTok, "root", nil},
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

// TestBcryptCache: a bcrypt token pays bcrypt once, then is found by its
// sha256; wrong tokens are never cached.
func TestBcryptCache(t *testing.T) {
	t.Parallel()
	a := newAuth(t, false)
	call := func(header string) (auth.Principal, error) {
		r := httptest.NewRequest("GET", "/api/v1/tickets", nil)
		r.Header.Set("Authorization", header)
		return a.Authenticate(r)
	}
	stats := func() [2]int {
		c, n, _, _ := a.BcryptStats()
		return [2]int{c, n}
	}
	if _, err := call("Bearer " + viewerTok); err != nil || stats() != [2]int{0, 0} {
		t.Fatalf("clear token: %v, cache/compares %v; want no bcrypt at all", err, stats())
	}
	if _, err := call("Bearer wrong-token-0123456"); !errors.Is(err, auth.ErrBadToken) || stats() != [2]int{0, 1} {
		t.Fatalf("wrong token: %v, cache/compares %v; want one comparison, nothing cached", err, stats())
	}
	if _, err := call("Bearer wrong-token-0123456"); !errors.Is(err, auth.ErrBadToken) || stats() != [2]int{0, 2} {
		t.Fatalf("wrong token again: %v, cache/compares %v; want it compared again, not cached", err, stats())
	}
	for i := range 3 {
		p, err := call("Bearer " + engineerTok)
		if err != nil || p != (auth.Principal{Name: "zhang", Role: auth.RoleEngineer}) {
			t.Fatalf("call %d: %+v %v", i, p, err)
		}
		if stats() != [2]int{1, 3} {
			t.Fatalf("call %d: cache/compares %v, want [1 3] (bcrypt only the first time)", i, stats())
		}
	}
	// The intake list has its own cache: its bcrypt token is compared once too.
	for range 2 {
		r := httptest.NewRequest("POST", "/api/v2/alerts", nil)
		r.RemoteAddr = "10.0.0.5:4000"
		r.Header.Set("Authorization", "Bearer "+intakeTok)
		if name, err := a.AuthenticateIntake(r); err != nil || name != "am" {
			t.Fatalf("intake: %q %v", name, err)
		}
	}
	if _, _, c, n := a.BcryptStats(); c != 1 || n != 1 {
		t.Errorf("intake cache/compares %d/%d, want 1/1", c, n)
	}
	// bcrypt reads 72 bytes: a longer token that starts with a 72-byte one
	// must not pass for it.
	long := strings.Repeat("k", 72)
	b, err := auth.New(auth.Config{Tokens: []auth.Token{{Name: "long", Hash: mustHash(t, long), Role: auth.RoleViewer}}})
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]error{long: nil, long + "extra": auth.ErrBadToken} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		if _, err := b.Authenticate(r); !errors.Is(err, want) {
			t.Errorf("token of %d bytes: %v, want %v", len(tok), err, want)
		}
	}
}

func TestDeprecations(t *testing.T) {
	t.Parallel()
	var c auth.Config
	yml := "tokens:\n  - {name: a, token: s-token-012345678, role: viewer}\n  - {name: b, hash: '" + sha256Of("x") + "', role: admin}\n" +
		"  - {name: c, hash: '" + mustHash(t, "c-token-012345678") + "', role: admin}\nintake:\n  tokens:\n    - {name: am, hash: '" + sha256Of("y") + "'}\n"
	if err := config.Decode("collector.yml", []byte(yml), &c); err != nil {
		t.Fatal(err)
	}
	got := c.Deprecations()
	if len(got) != 2 || !strings.HasPrefix(got[0], `auth.tokens: token "b" (line 3) uses a sha256: hash, which is deprecated`) ||
		!strings.HasPrefix(got[1], `auth.intake.tokens: token "am" (line 7) uses a sha256: hash`) {
		t.Errorf("Deprecations = %q", got)
	}
	for _, d := range got {
		if strings.Contains(d, sha256Of("x")[7:]) || strings.Contains(d, sha256Of("y")[7:]) {
			t.Errorf("a deprecation shows the hash: %s", d)
		}
	}
	if d := (&auth.Config{}).Deprecations(); d != nil {
		t.Errorf("empty config: %q", d)
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

// BenchmarkAuthenticateBcrypt: a bcrypt token after its first use (cached)
// against a wrong token (bcrypt every time).
func BenchmarkAuthenticateBcrypt(b *testing.B) {
	h, err := auth.HashToken(engineerTok)
	if err != nil {
		b.Fatal(err)
	}
	a, err := auth.New(auth.Config{Tokens: []auth.Token{{Name: "zhang", Hash: h, Role: auth.RoleEngineer}}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, tok string }{{"cached", engineerTok}, {"wrong", "wrong-token-0123456"}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+bc.tok)
		a.Authenticate(r) // the first use pays bcrypt
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				a.Authenticate(r)
			}
		})
	}
}
