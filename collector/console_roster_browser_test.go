package collector

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/console/browsertest"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// rosterPagesYAML: 张工 is the engineer on duty every day, 王经理 the
// project manager; "ghost" has no account (a problem the page shows).
const rosterPagesYAML = `roster:
  handover: "08:30"
  weekly:
    daily: {engineer: [zhanggong], project_manager: [wangpm]}
    saturday: {engineer: [zhanggong], duty_operator: [ghost]}
`

// TestConsoleRosterBrowser drives Chromium against serve: the manager sees
// this week and next with today's shift highlighted and the unknown
// account flagged, adds an override with the form (李四 takes today's
// shift) and sees it in the table and on the duty desk's header, then
// removes it; an engineer gets no form. Any console error fails the test.
func TestConsoleRosterBrowser(t *testing.T) {
	testutil.LookBinary(t, "chromium")
	cfg := DefaultConfig()
	cfg.Global.DataDir = t.TempDir()
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Rules.Files = nil
	cfg.Scrape = nil
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tickets.Rules = filepath.Join(root, "rules", "fault-levels.yml")
	cfg.SLA.Dir = filepath.Join(root, "rules", "sla")
	cfg.SLA.Holidays = filepath.Join(root, "rules", "calendars", "cn-holidays.yml")
	if err := config.Decode("collector.yml", []byte(rosterPagesYAML), &cfg); err != nil {
		t.Fatal(err)
	}
	srv, base := startServeWith(t, Options{Config: cfg, Logger: discard()})
	ctx := context.Background()
	for _, u := range []accounts.NewUser{
		{Name: "wangpm", DisplayName: "王经理", Role: auth.RoleManager},
		{Name: "zhanggong", DisplayName: "张工", Phone: "13900000009", Role: auth.RoleEngineer},
		{Name: "lisi", DisplayName: "李四", Phone: "13900000010", Role: auth.RoleEngineer},
	} {
		u.Password = "Initial-Pass-2024"
		if _, err := srv.stores.Accounts.Add(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.stores.Accounts.ChangePassword(ctx, u.Name, "Initial-Pass-2024", pagesPW, "test"); err != nil {
			t.Fatal(err)
		}
	}
	chrome := browsertest.Start()
	defer chrome.Close()

	pm := chrome.New(t, browsertest.Options{Timeout: 2 * time.Minute})
	pagesLogin(pm, base, "wangpm")
	pm.Navigate(base + "/roster")
	if n := browsertest.Eval[int](pm, `document.querySelectorAll(".roster-week tbody tr").length`); n != 14 {
		t.Errorf("%d shifts shown, want 14 (this week and next)", n)
	}
	if n := browsertest.Eval[int](pm, `document.querySelectorAll(".roster-week tr.current").length`); n != 1 {
		t.Fatalf("%d current shifts highlighted, want 1", n)
	}
	if got := pm.Text(".roster-week tr.current td"); got != "张工" {
		t.Errorf("today's engineer: %q", got)
	}
	if got := pm.Text("#roster-problems"); !strings.Contains(got, "ghost") || !strings.Contains(got, "无此账号") {
		t.Errorf("problems: %q", got)
	}
	pm.Screenshot("roster")
	pm.Type("#ro-users", "lisi")
	pm.Type("#ro-reason", "换班")
	pm.ClickAndWait("#roster-add button[type=submit]")
	if got := pm.Text(".msg"); got != "临时调整已保存。" {
		t.Errorf("after adding: %q", got)
	}
	if got := pm.Text(".roster-week tr.current td"); got != "李四 调整" {
		t.Errorf("today's engineer after the override: %q", got)
	}
	if got := pm.Text(`#roster-overrides tr[data-override="1"]`); !strings.Contains(got, "lisi") || !strings.Contains(got, "换班") || !strings.Contains(got, "wangpm") {
		t.Errorf("override row: %q", got)
	}
	pm.Screenshot("roster-override")
	pm.Navigate(base + "/")
	if got := pm.Text("#desk-on-duty"); got != "当前值班：李四" {
		t.Errorf("desk header: %q", got)
	}
	pm.Screenshot("desk-on-duty")
	pm.Navigate(base + "/roster")
	pm.ClickAndWait(`#roster-overrides tr[data-override="1"] button[type=submit]`)
	if got := pm.Text(".roster-week tr.current td"); got != "张工" {
		t.Errorf("today's engineer after removing the override: %q", got)
	}
	pm.Check()

	eng := chrome.New(t, browsertest.Options{Width: 360, Height: 740, Mobile: true, Timeout: 2 * time.Minute})
	pagesLogin(eng, base, "zhanggong")
	eng.Navigate(base + "/roster")
	if n := browsertest.Eval[int](eng, `document.querySelectorAll("#roster-add, #roster-overrides button").length`); n != 0 {
		t.Error("an engineer is offered the override form")
	}
	eng.Screenshot("roster-phone")
	eng.Check()
}
