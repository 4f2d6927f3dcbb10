// Package ticketstest builds a real ticket service (SQLite store in a temp
// dir, the test SLA profile and fault-level rules embedded here, a fake clock)
// for the tests of the tickets packages and the CLI.
package ticketstest

import (
	"context"
	_ "embed"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/sqlite"
)

//go:embed sla.yml
var profileYAML []byte

//go:embed fault-levels.yml
var rulesYAML []byte

// Start is the fake clock's start: 2025-03-03 09:00 Asia/Shanghai (a Monday).
var Start = time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC)

// Env is a running service for one test.
type Env struct {
	Service *tickets.Service
	Store   *sqlite.Store
	Clock   *clockwork.FakeClock
	Profile *sla.Profile
	DBPath  string
}

// Shanghai returns the Asia/Shanghai location.
func Shanghai(t testing.TB) *time.Location {
	loc, err := time.LoadLocation(calendar.DefaultZone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Profile returns the embedded test SLA profile.
func Profile(t testing.TB) *sla.Profile {
	t.Helper()
	p, err := LoadProfile()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// LoadProfile is Profile outside a test (a re-executed test binary).
func LoadProfile() (*sla.Profile, error) {
	loc, err := time.LoadLocation(calendar.DefaultZone)
	if err != nil {
		return nil, err
	}
	return sla.ParseProfile("sla.yml", profileYAML, sla.LoadOptions{Location: loc})
}

// Rules returns the embedded test fault-level rules.
func Rules(t testing.TB) *classify.Rules {
	t.Helper()
	r, err := LoadRules()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// LoadRules is Rules outside a test.
func LoadRules() (*classify.Rules, error) { return classify.Parse("fault-levels.yml", rulesYAML) }

// New opens a store in a temp dir and a service on it; edit may change the
// options before the service is built (Store, Classifier, Policy and Clock are
// already set).
func New(t testing.TB, edit func(*tickets.Options)) *Env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tickets.db")
	return NewAt(t, path, clockwork.NewFakeClockAt(Start), edit)
}

// NewAt is New on a given database path and clock (to reopen a database).
func NewAt(t testing.TB, path string, clk *clockwork.FakeClock, edit func(*tickets.Options)) *Env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := Profile(t)
	o := tickets.Options{Store: st, Classifier: Rules(t), Policy: p, Clock: clk, Location: Shanghai(t),
		ReopenWindow: 24 * time.Hour}
	if edit != nil {
		edit(&o)
	}
	svc, err := tickets.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Service: svc, Store: st, Clock: clk, Profile: p, DBPath: path}
}
