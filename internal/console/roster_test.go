package console_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/roster"
)

var rosterCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

type rosterFile struct {
	Roster roster.Config `yaml:"roster"`
}

func (f *rosterFile) Validate() error { return f.Roster.Validate() }

// TestRosterPage: everyone sees the roster with the current shift marked;
// only a manager gets the form, adds (a bad override is refused with the
// reason, the form refilled) and removes overrides; the others are refused.
func TestRosterPage(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "viewer", "", auth.RoleViewer, true)
	e.addUser(t, "eng", "", auth.RoleEngineer, true)
	e.addUser(t, "boss", "", auth.RoleManager, true)
	ctx := context.Background()
	var f rosterFile
	if err := config.Decode("collector.yml", []byte("roster:\n  weekly:\n    daily: {engineer: [zhangsan]}\n"), &f); err != nil {
		t.Fatal(err)
	}
	st, err := roster.OpenStore(ctx, filepath.Join(t.TempDir(), roster.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r, err := roster.New(ctx, roster.Options{Config: f.Roster, Store: st, Accounts: e.store, Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	c, err := console.New(console.Options{Accounts: e.store, Clock: e.clock, Roster: r, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, c)
	clients := map[string]*http.Client{}
	csrf := map[string]string{}
	for _, u := range []string{"viewer", "eng", "boss"} {
		clients[u] = client(t)
		post(t, clients[u], srv+"/login", url.Values{"username": {u}, "password": {"Changed-Pass-2024"}}, nil)
		resp, body := get(t, clients[u], srv+"/roster")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: GET /roster %s", u, resp.Status)
		}
		m := rosterCSRF.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no csrf-token meta", u)
		}
		csrf[u] = m[1]
	}
	add := func(from, to, users string) url.Values {
		return url.Values{"from": {from}, "to": {to}, "role": {"engineer"}, "users": {users}, "reason": {"换班"}}
	}
	steps := []struct {
		name, user, method, path string
		form                     url.Values
		code                     int
		want, not                []string
	}{
		{"a viewer sees the week", "viewer", "GET", "/roster", nil, 200,
			[]string{`<tr data-date="2026-03-02" class="current" aria-current="date">`, `class="person unknown" title="zhangsan">zhangsan</span>`, `id="roster-problems"`, "无此账号"}, []string{`id="roster-add"`}},
		{"a viewer may not add", "viewer", "POST", "/roster/overrides", add("2026-03-02", "", "lisi"), 403, nil, nil},
		{"an engineer may not add", "eng", "POST", "/roster/overrides", add("2026-03-02", "", "lisi"), 403, nil, nil},
		{"a manager gets the form", "boss", "GET", "/roster", nil, 200, []string{`id="roster-add"`, `value="2026-03-02"`}, nil},
		{"to before from", "boss", "POST", "/roster/overrides", add("2026-03-05", "2026-03-01", "lisi"), 422,
			[]string{"调整无效", "to 2026-03-01 is before from 2026-03-05", `value="lisi"`}, nil},
		{"a bad date", "boss", "POST", "/roster/overrides", add("3/5", "", "lisi"), 422, []string{"调整无效"}, nil},
		{"added", "boss", "POST", "/roster/overrides", add("2026-03-02", "", "lisi, boss"), 303, nil, nil},
		{"shown", "boss", "GET", "/roster?done=added", nil, 200,
			[]string{"临时调整已保存。", `title="lisi">lisi</span>、<span class="person" title="boss">boss</span>`, `data-override="1"`}, nil},
		{"an engineer may not remove", "eng", "POST", "/roster/overrides/1/remove", url.Values{}, 403, nil, nil},
		{"removed", "boss", "POST", "/roster/overrides/1/remove", url.Values{}, 303, nil, nil},
		{"gone", "boss", "POST", "/roster/overrides/1/remove", url.Values{}, 404, nil, nil},
	}
	for _, s := range steps {
		var resp *http.Response
		var body string
		if s.method == "GET" {
			resp, body = get(t, clients[s.user], srv+s.path)
		} else {
			s.form.Set("csrf", csrf[s.user])
			resp, body = post(t, clients[s.user], srv+s.path, s.form, nil)
		}
		if resp.StatusCode != s.code {
			t.Errorf("%s: %s %s = %s, want %d", s.name, s.method, s.path, resp.Status, s.code)
			continue
		}
		for _, w := range s.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %s", s.name, w)
			}
		}
		for _, n := range s.not {
			if strings.Contains(body, n) {
				t.Errorf("%s: page has %s", s.name, n)
			}
		}
	}
}
