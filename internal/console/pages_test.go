package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/console/i18n"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
)

// newPagesEnv is newEnv with the pages' sources: a real inspection store
// holding one inspection with a pending manual row, an inventory of two
// sites, and the account store for users and tokens.
func newPagesEnv(t *testing.T) (*env, *inspect.Store) {
	t.Helper()
	e := newEnv(t)
	recs, err := inspect.OpenStore(filepath.Join(t.TempDir(), "inspections.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recs.Close() })
	run := &inspect.Run{Template: "daily", Title: "每日巡检检查表", Rhythm: inspect.Daily,
		PeriodStart: t0.Add(-24 * 3600e9), PeriodEnd: t0, StartedAt: t0, FinishedAt: t0, Trigger: "test",
		Rows: []inspect.Row{{Device: "central", Item: "room_walk", Name: "机房巡视", Kind: "manual", Verdict: inspect.Pending}}}
	if _, err := recs.AppendRun(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{
		Sites: []inventory.Site{{Name: "central"}, {Name: "east"}},
		Devices: []inventory.Device{
			{Name: "srv1", DisplayName: `<script>alert(1)</script>`, Class: inventory.ClassServer, Site: "central"},
			{Name: "cam9", Class: inventory.ClassCamera, Site: "east"},
		},
	}
	c, err := console.New(console.Options{Accounts: e.store, Clock: e.clock, Logger: slog.New(slog.DiscardHandler),
		Sources: console.Sources{Inspections: recs, Inventory: inv, Users: e.store, Tokens: e.store, PhotoDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(c)
	t.Cleanup(e.srv.Close)
	return e, recs
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// session logs name in and returns its client and CSRF token.
func session(t *testing.T, e *env, name string) (*http.Client, string) {
	t.Helper()
	cl := client(t)
	resp, err := cl.PostForm(e.srv.URL+"/login", url.Values{"username": {name}, "password": {"Changed-Pass-2024"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d", name, resp.StatusCode)
	}
	resp, err = cl.Get(e.srv.URL + "/inspections")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfMeta.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no CSRF token for %s (%d)", name, resp.StatusCode)
	}
	return cl, string(m[1])
}

// TestPagesAuthorisedByRole checks, request by request, that every page
// decides by the logged-in account's role on the server.
func TestPagesAuthorisedByRole(t *testing.T) {
	e, _ := newPagesEnv(t)
	e.addUser(t, "duty", "", auth.RoleViewer, true)
	e.addUser(t, "rep", "", auth.RoleCustomer, true)
	e.addUser(t, "eng", "", auth.RoleEngineer, true)
	e.addUser(t, "mgr", "", auth.RoleManager, true)
	e.addUser(t, "root", "", auth.RoleAdmin, true)
	if _, err := e.store.Add(context.Background(), accounts.NewUser{Name: "eastrep", Role: auth.RoleCustomer, Sites: []string{"east"}, Password: initialPW}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ChangePassword(context.Background(), "eastrep", initialPW, "Changed-Pass-2024", ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		user, method, path string
		form               url.Values
		want               int
	}{
		{"duty", "GET", "/inspections", nil, 200},
		{"duty", "GET", "/inspections/1", nil, 200},
		{"duty", "GET", "/devices", nil, 200},
		{"duty", "GET", "/reports", nil, 200},
		{"duty", "GET", "/admin", nil, 403},
		{"duty", "POST", "/inspections/1/items", url.Values{"device": {"central"}, "item": {"room_walk"}, "verdict": {"normal"}}, 403},
		{"rep", "POST", "/inspections/1/items", url.Values{"device": {"central"}, "item": {"room_walk"}, "verdict": {"normal"}}, 403},
		{"duty", "POST", "/inspections/1/signatures", url.Values{"role": {"customer"}}, 403},
		{"eng", "POST", "/inspections/1/signatures", url.Values{"role": {"customer"}}, 403},
		{"mgr", "POST", "/inspections/1/signatures", url.Values{"role": {"customer"}}, 403},
		{"rep", "POST", "/inspections/1/signatures", url.Values{"role": {"engineer"}}, 403},
		// Allowed, but the engineer has not signed: refused by the store.
		{"rep", "POST", "/inspections/1/signatures", url.Values{"role": {"customer"}}, 409},
		// Pending items block the engineer's signature.
		{"eng", "POST", "/inspections/1/signatures", url.Values{"role": {"engineer"}}, 409},
		{"eng", "POST", "/admin/tokens", url.Values{"name": {"x"}, "kind": {"api"}, "role": {"admin"}}, 403},
		{"mgr", "POST", "/admin/users", url.Values{"name": {"x"}, "role": {"admin"}, "password": {"Initial-Pass-2024"}}, 403},
		{"root", "GET", "/admin", nil, 200},
		{"root", "POST", "/admin/users/root/disable", url.Values{}, 422},
		{"eastrep", "GET", "/devices/srv1", nil, 404},
		{"eastrep", "GET", "/devices/cam9", nil, 200},
		{"duty", "GET", "/devices/srv1", nil, 200},
	} {
		cl, tok := session(t, e, c.user)
		var resp *http.Response
		var err error
		if c.method == "GET" {
			resp, err = cl.Get(e.srv.URL + c.path)
		} else {
			c.form.Set("csrf", tok)
			resp, err = cl.PostForm(e.srv.URL+c.path, c.form)
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s %s: %d, want %d", c.user, c.method, c.path, resp.StatusCode, c.want)
		}
		if strings.Contains(string(b), "<script>alert(1)</script>") {
			t.Errorf("%s %s: the hostile name reached the page unescaped", c.method, c.path)
		}
	}
}

// TestWallKioskToken: the wall display opens with a kiosk token, not with
// an API token, a revoked one or none; it alone may be framed (same origin).
func TestWallKioskToken(t *testing.T) {
	e, _ := newPagesEnv(t)
	ctx := context.Background()
	_, kiosk, err := e.store.IssueToken(ctx, "大屏", accounts.TokenKiosk, auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, api, err := e.store.IssueToken(ctx, "am", accounts.TokenAPI, auth.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, c := range []struct {
		path string
		want int
	}{
		{"/wall", 401},
		{"/wall?k=" + url.QueryEscape(api), 401},
		{"/wall?k=rwt_1_wrong", 401},
		{"/wall?k=" + url.QueryEscape(kiosk), 200},
		{"/wall/panel?k=" + url.QueryEscape(kiosk), 200},
		{"/wall/panel", 401},
	} {
		if resp := get(c.path); resp.StatusCode != c.want {
			t.Errorf("GET %s: %d, want %d", c.path, resp.StatusCode, c.want)
		}
	}
	if fr := get("/wall?k=" + url.QueryEscape(kiosk)).Header.Get("X-Frame-Options"); fr != "SAMEORIGIN" {
		t.Errorf("wall X-Frame-Options %q", fr)
	}
	if fr := get("/login").Header.Get("X-Frame-Options"); fr != "DENY" {
		t.Errorf("login X-Frame-Options %q", fr)
	}
	toks, _ := e.store.Tokens(ctx)
	for _, tk := range toks {
		if tk.Kind == accounts.TokenKiosk {
			if err := e.store.RevokeToken(ctx, tk.ID, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if resp := get("/wall?k=" + url.QueryEscape(kiosk)); resp.StatusCode != 401 {
		t.Errorf("revoked kiosk token: %d", resp.StatusCode)
	}
}

// TestPageKeysComputed: the message keys the pages compute from values
// (verdicts, rhythms, statuses, classes, levels, token kinds, outcomes)
// exist in every language.
func TestPageKeysComputed(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, v := range inspect.Verdicts() {
		keys = append(keys, "inspections.verdict."+string(v))
	}
	for _, r := range inspect.Rhythms() {
		keys = append(keys, "inspections.rhythm."+string(r))
	}
	for _, s := range []string{"pending", "completed", "signed", "countersigned"} {
		keys = append(keys, "inspections.status."+s)
	}
	for _, s := range []string{inspect.RoleEngineer, inspect.RoleCustomer} {
		keys = append(keys, "inspections.signed_as."+s)
	}
	for _, c := range inventory.Classes() {
		keys = append(keys, "devices.class."+string(c))
	}
	for _, l := range []string{"I", "II", "III", "IV"} {
		keys = append(keys, "devices.level."+l, "wall.level."+l)
	}
	for _, s := range []string{"up", "down", "unknown"} {
		keys = append(keys, "devices.state."+s)
	}
	for _, k := range []string{accounts.TokenAPI, accounts.TokenKiosk} {
		keys = append(keys, "admin.token_kind."+k)
	}
	for _, d := range []string{"user_added", "enabled", "disabled", "password_reset", "token_issued", "token_revoked"} {
		keys = append(keys, "admin.done."+d)
	}
	for _, k := range []string{"daily", "monthly", "quarterly", "assets"} {
		keys = append(keys, "reports.kind."+k)
	}
	for _, p := range []string{"date", "month", "quarter"} {
		keys = append(keys, "reports.param."+p)
	}
	for _, k := range keys {
		if !cat.Has(k) {
			t.Errorf("message %q missing in a language", k)
		}
	}
}
