package console_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
)

const initialPW = "Initial-Pass-2024"

// t0 is 09:00 in Beijing.
var t0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

type memAudit struct {
	mu     sync.Mutex
	events []accounts.Event
}

func (m *memAudit) AppendJSON(v any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, v.(accounts.Event))
	return nil
}

func (m *memAudit) kinds() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, e := range m.events {
		out = append(out, e.Kind)
	}
	return out
}

type env struct {
	srv   *httptest.Server
	store *accounts.Store
	clock *clockwork.FakeClock
	audit *memAudit
}

// newEnv starts the console on loopback with a fresh account store.
func newEnv(t *testing.T) *env {
	t.Helper()
	clk := clockwork.NewFakeClockAt(t0)
	audit := &memAudit{}
	st, err := accounts.Open(context.Background(), accounts.Options{
		Path: filepath.Join(t.TempDir(), accounts.FileName), Clock: clk, BcryptCost: bcrypt.MinCost, Audit: audit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := console.New(console.Options{Accounts: st, Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return &env{srv: srv, store: st, clock: clk, audit: audit}
}

// addUser adds a user with the initial password; changed=true also changes
// it to "Changed-Pass-2024" so that the user can log straight in.
func (e *env) addUser(t *testing.T, name, display string, role auth.Role, changed bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.store.Add(ctx, accounts.NewUser{Name: name, DisplayName: display, Role: role, Password: initialPW}, "test"); err != nil {
		t.Fatal(err)
	}
	if changed {
		if _, err := e.store.ChangePassword(ctx, name, initialPW, "Changed-Pass-2024", ""); err != nil {
			t.Fatal(err)
		}
	}
}

// client is an HTTP client with a cookie jar that does not follow redirects.
func client(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func consoleOf(t *testing.T, e *env) *console.Console {
	t.Helper()
	c, err := console.New(console.Options{Accounts: e.store, Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
