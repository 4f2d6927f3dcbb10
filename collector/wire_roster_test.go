package collector

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/roster"
)

const rosterYAML = `roster:
  handover: "08:30"
  weekly:
    daily: {engineer: [zhangsan], project_manager: [wangpm]}
    sunday: {engineer: [lisi]}
`

// TestServeRosterNotices runs serve with a duty roster: a level I ticket's
// notices go to the engineer and project manager on duty (the webhook
// names them); a manager's override through the API puts someone else on
// duty, and the next ticket's notice goes to them; the roster API shows it.
func TestServeRosterNotices(t *testing.T) {
	t.Parallel()
	got := make(chan notice, 16)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p notify.WebhookPayload
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- notice{path: r.URL.Path, p: p}
	}))
	defer rcv.Close()

	cfg := DefaultConfig()
	cfg.Global.DataDir = t.TempDir()
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Rules.Files = nil
	cfg.Scrape = nil
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tickets.Rules = filepath.Join(root, "rules", "fault-levels.yml")
	cfg.SLA.Dir = filepath.Join(root, "rules", "sla")
	cfg.SLA.Holidays = filepath.Join(root, "rules", "calendars", "cn-holidays.yml")
	cfg.Auth.Tokens = []auth.Token{{Name: "zhang", Token: "roster-engineer-token", Role: auth.RoleEngineer},
		{Name: "pm.wang", Token: "roster-manager-token", Role: auth.RoleManager}}
	cfg.Notify.Channels = []notify.ChannelConfig{
		{Name: "duty", Type: "webhook", URL: rcv.URL + "/duty"},
		{Name: "pm", Type: "webhook", URL: rcv.URL + "/pm"},
	}
	cfg.Tickets.Routes = map[string][]string{"engineer": {"duty"}, "project_manager": {"pm"}}
	if err := config.Decode("collector.yml", []byte(rosterYAML), &cfg); err != nil {
		t.Fatal(err)
	}
	clk := clockwork.NewFakeClockAt(time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC)) // Monday 09:00 in Shanghai
	srv, base := startServeWith(t, Options{Config: cfg, Logger: discard(), Clock: clk})
	ctx := context.Background()
	for _, u := range []accounts.NewUser{
		{Name: "zhangsan", DisplayName: "张三", Phone: "13900000009", Role: auth.RoleEngineer},
		{Name: "lisi", DisplayName: "李四", Phone: "13900000010", Role: auth.RoleEngineer},
		{Name: "wangpm", DisplayName: "王经理", Role: auth.RoleManager},
	} {
		u.Password = "Initial-Passw0rd!"
		if _, err := srv.stores.Accounts.Add(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	do := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	wait := func(what string) notice {
		t.Helper()
		select {
		case n := <-got:
			return n
		case <-time.After(30 * time.Second):
			t.Fatalf("no notice: %s", what)
			return notice{}
		}
	}
	opened := func(device string) []string {
		t.Helper()
		if code, body := do("POST", "/api/v1/tickets", "roster-engineer-token",
			`{"title":"核心交换机宕机","level":"I","device":"`+device+`","site":"城关机房","channel":"phone"}`); code != http.StatusCreated {
			t.Fatalf("create ticket: HTTP %d %s", code, body)
		}
		var out []string
		for range 2 {
			n := wait("new-ticket notice")
			var to []string
			for _, r := range n.p.Data.To {
				to = append(to, r.User)
			}
			out = append(out, n.path+" "+strings.Join(to, ","))
		}
		slices.Sort(out)
		return out
	}
	if got := opened("core-sw-01"); !slices.Equal(got, []string{"/duty zhangsan", "/pm wangpm"}) {
		t.Errorf("notices of the first ticket went to %q", got)
	}
	if code, body := do("POST", "/api/v1/roster/overrides", "roster-engineer-token", `{"from":"2025-03-03","role":"engineer","users":["lisi"]}`); code != http.StatusForbidden {
		t.Errorf("an engineer's override: HTTP %d %s", code, body)
	}
	if code, body := do("POST", "/api/v1/roster/overrides", "roster-manager-token", `{"from":"2025-03-03","role":"engineer","users":["lisi"],"reason":"换班"}`); code != http.StatusCreated {
		t.Fatalf("a manager's override: HTTP %d %s", code, body)
	}
	if got := opened("core-sw-02"); !slices.Equal(got, []string{"/duty lisi", "/pm wangpm"}) {
		t.Errorf("notices of the second ticket went to %q", got)
	}
	code, body := do("GET", "/api/v1/roster?from=2025-03-03&to=2025-03-03", "roster-engineer-token", "")
	if code != http.StatusOK || !strings.Contains(body, `"people":[{"user":"lisi","name":"李四","known":true}],"source":"override","override_id":1,"reason":"换班"`) {
		t.Errorf("roster: HTTP %d %s", code, body)
	}
	// A backup holds the overrides added through the API.
	out := filepath.Join(t.TempDir(), "backup")
	m, err := Backup(ctx, srv.stores.Dir, nil, out, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(m.Files, "roster.db") {
		t.Fatalf("backup files %v lack roster.db", m.Files)
	}
	bst, err := roster.OpenStore(ctx, filepath.Join(out, "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	if ovs, err := bst.List(ctx); err != nil || len(ovs) != 1 || ovs[0].Users[0] != "lisi" {
		t.Errorf("the backup's overrides: %+v, %v", ovs, err)
	}
}
