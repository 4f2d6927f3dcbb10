package console_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/prometheus/model/labels"
	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/console/browsertest"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/report"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// Hostile text of the golden fixture: each must reach the pages as text.
const (
	hostileDevice = `<script>alert(1)</script>`
	hostileTitle  = `标题 "引号" O'Brien {{.Secret}} <b>粗</b> & 完`
	hostileNote   = `备注 "引号" {{ <img src=x onerror=alert(2)> 无异常`
	hostileUser   = `王五 <i>"临时"</i>`
)

const (
	siteCentral = "情指中心机房"
	siteTown    = "城关派出所"
)

// goldenEnv is the console over real stores on one fake clock (ticket
// service with the shipped seed 001 SLA profile, accounts, inspections, a
// TSDB with a day of probe samples, the inventory), filled with one of each
// thing the pages show.
type goldenEnv struct {
	url   string
	kiosk string // the wall's kiosk token
	// The tickets, for their pages: open (every milestone button of an
	// open ticket), paused (resume), resolved (the customer's loop).
	open, paused, resolved int64
	inspection             int64
}

func newGoldenEnv(t *testing.T) *goldenEnv {
	t.Helper()
	ctx := context.Background()
	loaded, err := sla.Config{Profile: "seed001", Dir: "../../rules/sla", Holidays: "../../rules/calendars/cn-holidays.yml"}.Load()
	if err != nil {
		t.Fatal(err)
	}
	tk := ticketstest.New(t, func(o *tickets.Options) { o.Policy = loaded.Selection })
	clk := tk.Clock
	ge := &goldenEnv{}

	// The estate: two sites; a server with a hostile display name, a
	// switch, a camera that is down, a door controller.
	inv := &inventory.Inventory{
		Sites: []inventory.Site{{Name: siteCentral}, {Name: siteTown}},
		Devices: []inventory.Device{
			{Name: "srv1", DisplayName: hostileDevice, Class: inventory.ClassServer, Site: siteCentral, Address: "10.1.0.10",
				Vendor: "浪潮", Model: "NF5280M6", Room: "一号机房", Rack: "A03"},
			{Name: "core-sw1", DisplayName: "核心交换机", Class: inventory.ClassSwitch, Site: siteCentral, Address: "10.1.0.1"},
			{Name: "cam-017", DisplayName: "城关路口 17", Class: inventory.ClassCamera, Site: siteTown, Address: "10.2.0.17"},
			{Name: "printer-01", Class: inventory.ClassPrinter, Site: siteTown, Address: "10.2.0.50"},
		},
	}

	// Tickets, each step a few minutes after the last.
	step := func() { clk.Advance(7 * time.Minute) }
	create := func(m tickets.Manual) int64 {
		t.Helper()
		m.Actor = "zhang"
		tkt, err := tk.Service.Create(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		step()
		return tkt.ID
	}
	do := func(id int64, r tickets.ActionRequest) {
		t.Helper()
		r.Actor = "zhang"
		if _, err := tk.Service.Do(ctx, id, r); err != nil {
			t.Fatalf("ticket %d %s: %v", id, r.Action, err)
		}
		step()
	}
	closed := create(tickets.Manual{Title: "打印机卡纸", Level: 4, Device: "printer-01", Site: siteTown, Channel: "phone", Reporter: "王警官"})
	do(closed, tickets.ActionRequest{Action: tickets.ActionResolve, Cause: "纸张受潮", Fix: "更换纸张"})
	do(closed, tickets.ActionRequest{Action: tickets.ActionClose})
	ge.resolved = create(tickets.Manual{Title: "核心交换机端口故障", Level: 2, Device: "core-sw1", Site: siteCentral})
	do(ge.resolved, tickets.ActionRequest{Action: tickets.ActionAck})
	do(ge.resolved, tickets.ActionRequest{Action: tickets.ActionOnSite})
	do(ge.resolved, tickets.ActionRequest{Action: tickets.ActionNote, Note: hostileNote})
	do(ge.resolved, tickets.ActionRequest{Action: tickets.ActionResolve, Cause: "光模块老化", Fix: "更换光模块"})
	ge.paused = create(tickets.Manual{Title: "门禁离线", Level: 3, Device: "door-01", Site: siteTown})
	do(ge.paused, tickets.ActionRequest{Action: tickets.ActionOnSite})
	do(ge.paused, tickets.ActionRequest{Action: tickets.ActionPause, Reason: "等待机房开门", AgreedBy: "李科长"})
	ge.open = create(tickets.Manual{Title: hostileTitle, Level: 1, Device: hostileDevice, Site: siteCentral, Channel: "phone", Reporter: `<b>报修人</b>`})
	// Alerts: the camera down (a reachability ticket) and a high CPU.
	if _, err := tk.Service.Ingest(ctx, []alert.Alert{
		{Labels: map[string]string{"alertname": "HostDown", "device": "cam-017", "site": siteTown, "class": "camera"},
			StartsAt: clk.Now().Add(-2 * time.Minute), Annotations: map[string]string{"summary": "cam-017 不可达"}, Source: alert.SourceWebhook},
		{Labels: map[string]string{"alertname": "HighCPU", "device": "srv1", "site": siteCentral, "class": "server"},
			StartsAt: clk.Now().Add(-time.Minute), Annotations: map[string]string{"summary": "srv1 CPU 高"}, Source: alert.SourceWebhook},
	}); err != nil {
		t.Fatal(err)
	}
	step()

	// A day of probe samples up to the clock's now: srv1 and core-sw1 up,
	// cam-017 down for the last 40 minutes, srv1's ping loss and RTT and
	// core-sw1's two ports (one down).
	st, err := store.Open(store.Options{Dir: filepath.Join(t.TempDir(), "tsdb")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := clk.Now()
	app := st.Appender(ctx)
	for ts := now.Add(-24 * time.Hour); !ts.After(now); ts = ts.Add(time.Minute) {
		i := int(now.Sub(ts) / time.Minute)
		camUp := 1.0
		if i < 40 {
			camUp = 0
		}
		for _, s := range []struct {
			ls labels.Labels
			v  float64
		}{
			{labels.FromStrings("__name__", "roomwatch_probe_up", "device", "srv1", "probe", "icmp"), 1},
			{labels.FromStrings("__name__", "roomwatch_probe_up", "device", "core-sw1", "probe", "icmp"), 1},
			{labels.FromStrings("__name__", "roomwatch_probe_up", "device", "cam-017", "probe", "icmp"), camUp},
			{labels.FromStrings("__name__", "roomwatch_ping_loss_ratio", "device", "srv1"), float64(i%7) / 100},
			{labels.FromStrings("__name__", "roomwatch_ping_rtt_seconds", "device", "srv1", "stat", "avg"), 0.001 + float64(i%11)/10000},
			{labels.FromStrings("__name__", "roomwatch_if_oper_status", "device", "core-sw1", "ifName", "Gi0/1"), 1},
			{labels.FromStrings("__name__", "roomwatch_if_admin_status", "device", "core-sw1", "ifName", "Gi0/1"), 1},
			{labels.FromStrings("__name__", "roomwatch_if_oper_status", "device", "core-sw1", "ifName", "Gi0/2"), 2},
			{labels.FromStrings("__name__", "roomwatch_if_admin_status", "device", "core-sw1", "ifName", "Gi0/2"), 1},
		} {
			if _, err := app.Append(0, s.ls, ts.UnixMilli(), s.v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}

	// Today's inspection: an automatic row, an abnormal one with a
	// hostile note, a manual row still to do.
	recs, err := inspect.OpenStore(filepath.Join(t.TempDir(), "inspections.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recs.Close() })
	now = clk.Now()
	rtt := 1.4
	run := &inspect.Run{Template: "daily", Title: "每日巡检检查表", TitleEN: "Daily check sheet", Rhythm: inspect.Daily,
		PeriodStart: now.Add(-24 * time.Hour), PeriodEnd: now, StartedAt: now.Add(-time.Minute), FinishedAt: now, Trigger: "schedule",
		Rows: []inspect.Row{
			{Device: "srv1", Display: hostileDevice, Class: "server", Site: siteCentral, Item: "ping", Name: "网络连通", NameEN: "Reachability",
				Kind: "auto", Value: &rtt, Unit: "ms", Verdict: inspect.Normal},
			{Device: "cam-017", Class: "camera", Site: siteTown, Item: "ping", Name: "网络连通", NameEN: "Reachability",
				Kind: "auto", Verdict: inspect.Abnormal, Reason: hostileNote},
			{Device: siteCentral, Item: "room_walk", Name: "机房巡视", NameEN: "Machine room walk-through", Kind: "manual", Verdict: inspect.Pending},
		}}
	in, err := recs.AppendRun(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	ge.inspection = in

	// Accounts, one with a hostile display name; an API token and the
	// wall's kiosk token.
	acc, err := accounts.Open(ctx, accounts.Options{Path: filepath.Join(t.TempDir(), accounts.FileName), Clock: clk,
		BcryptCost: bcrypt.MinCost, Audit: &memAudit{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	for _, u := range []struct {
		name, display string
		role          auth.Role
		sites         []string
	}{
		{"admin", "管理员", auth.RoleAdmin, nil}, {"zhang", "张工", auth.RoleEngineer, nil},
		{"duty", "值班员", auth.RoleViewer, nil}, {"jia", "甲方代表", auth.RoleCustomer, []string{siteTown}},
		{"wangwu", hostileUser, auth.RoleViewer, nil},
	} {
		if _, err := acc.Add(ctx, accounts.NewUser{Name: u.name, DisplayName: u.display, Role: u.role, Sites: u.sites, Password: initialPW}, "admin"); err != nil {
			t.Fatal(err)
		}
		if u.name == "wangwu" {
			continue // must change the initial password
		}
		if _, err := acc.ChangePassword(ctx, u.name, initialPW, "Changed-Pass-2024", ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := acc.IssueToken(ctx, "alertmanager", accounts.TokenAPI, auth.RoleEngineer, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, ge.kiosk, err = acc.IssueToken(ctx, "指挥中心大屏", accounts.TokenKiosk, auth.RoleViewer, "admin"); err != nil {
		t.Fatal(err)
	}

	c, err := console.New(console.Options{Accounts: acc, Clock: clk, Logger: slog.New(slog.DiscardHandler),
		Tickets: tk.Service, People: acc, Inspections: recs, Devices: goldenDevices{inv},
		Sources: console.Sources{Inspections: recs, PhotoDir: t.TempDir(),
			Reports:   &report.Sources{Tickets: tk.Service, History: tk.Store, Inspections: recs, Metrics: st.PromQL(), Series: st, Inventory: inv},
			Report:    report.Options{Bureau: "某县公安局", Clock: clk},
			Inventory: inv, Metrics: st.PromQL(), Tickets: tk.Service,
			Users: acc, Tokens: acc, Audit: console.AuditSearch(acc.SearchAudit)}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	t.Cleanup(c.StopStreams)
	ge.url = srv.URL
	return ge
}

// goldenDevices gives the desk a device's site and class from the inventory.
type goldenDevices struct{ inv *inventory.Inventory }

func (g goldenDevices) Device(name string) (string, string, string, bool) {
	for _, d := range g.inv.Devices {
		if d.Name == name {
			return d.Site, string(d.Class), d.Parent, true
		}
	}
	return "", "", "", false
}

// snapshot takes the page's screenshot (a test artifact) and compares its
// normalised DOM with the golden file name.
func snapshot(t *testing.T, b *browsertest.Browser, name string) {
	t.Helper()
	b.Screenshot(name)
	compareGolden(t, "pages/"+name, normaliseDOM(browsertest.Eval[string](b, domScript)))
}

// waitFor polls a JavaScript condition.
func waitFor(t *testing.T, b *browsertest.Browser, cond, what string) {
	t.Helper()
	if _, err := chromedp.Run(b.Ctx(), chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("%s: %v (problems: %v)", what, err, b.Problems())
	}
}

// TestBrowserPagesGolden: every console page, as Chromium built it after
// its scripts ran, against testdata/golden/pages (fake clock: the server's
// times are stable; normaliseDOM replaces the rest). Hostile device names,
// ticket titles, notes and display names are pinned as text; the
// screenshots are kept as artifacts.
func TestBrowserPagesGolden(t *testing.T) {
	e := newGoldenEnv(t)
	itoa64 := func(id int64) string { return itoa(id) }

	t.Run("admin", func(t *testing.T) {
		b := chrome.New(t, browsertest.Options{})
		login(b, e.url, "admin", "Changed-Pass-2024")
		b.Navigate(e.url + "/?lang=zh-CN")
		waitFor(t, b, `document.getElementById("desk").dataset.refreshed === "1"`, "desk refreshed over its event stream")
		if got := b.Text(`#desk-panel .trow[data-level="1"] .dev`); got != hostileDevice {
			t.Errorf("desk shows the device as %q", got)
		}
		snapshot(t, b, "desk.zh-CN")
		b.Navigate(e.url + "/?lang=en")
		waitFor(t, b, `document.getElementById("desk").dataset.refreshed === "1"`, "desk refreshed over its event stream")
		snapshot(t, b, "desk.en")
		b.Navigate(e.url + "/tickets?lang=zh-CN")
		snapshot(t, b, "tickets.zh-CN")
		for _, tc := range []struct {
			name string
			id   int64
			lang string
		}{
			{"ticket-open.zh-CN", e.open, "zh-CN"}, {"ticket-open.en", e.open, "en"},
			{"ticket-paused.zh-CN", e.paused, "zh-CN"}, {"ticket-resolved.zh-CN", e.resolved, "zh-CN"}, {"ticket-resolved.en", e.resolved, "en"},
		} {
			b.Navigate(e.url + "/tickets/" + itoa64(tc.id) + "?lang=" + tc.lang)
			snapshot(t, b, tc.name)
		}
		if got := b.Text("#ticket-title"); got != "核心交换机端口故障" {
			t.Errorf("resolved ticket's title %q", got)
		}
		b.Navigate(e.url + "/tickets/" + itoa64(e.open) + "?lang=zh-CN")
		if got := b.Text("#ticket-title"); got != hostileTitle {
			t.Errorf("ticket title shown as %q", got)
		}
		b.Navigate(e.url + "/inspections?lang=zh-CN")
		snapshot(t, b, "inspections.zh-CN")
		b.Navigate(e.url + "/inspections/" + itoa64(e.inspection) + "?lang=zh-CN")
		snapshot(t, b, "inspection.zh-CN")
		b.Navigate(e.url + "/reports?lang=zh-CN")
		snapshot(t, b, "reports.zh-CN")
		b.Navigate(e.url + "/devices?lang=zh-CN")
		if got := b.Text(`#device-table a[href="/devices/srv1"]`); got != hostileDevice {
			t.Errorf("device list shows %q", got)
		}
		snapshot(t, b, "devices.zh-CN")
		b.Navigate(e.url + "/devices/srv1?lang=zh-CN")
		waitFor(t, b, `document.getElementById("charts").dataset.drawn === "1" && document.querySelectorAll("#charts svg").length === 4`, "charts drawn")
		snapshot(t, b, "device.zh-CN")
		b.Navigate(e.url + "/admin?lang=zh-CN&q=token_issue")
		if got := b.Text(`tr[data-user="wangwu"] strong`); got != hostileUser {
			t.Errorf("display name shown as %q", got)
		}
		snapshot(t, b, "admin.zh-CN")
	})

	t.Run("phone", func(t *testing.T) {
		b := chrome.New(t, browsertest.Options{Width: 360, Height: 740, Mobile: true})
		login(b, e.url, "zhang", "Changed-Pass-2024")
		b.Navigate(e.url + "/inspections/" + itoa64(e.inspection) + "?lang=zh-CN")
		if w := browsertest.Eval[int](b, "document.documentElement.scrollWidth"); w > 360 {
			t.Errorf("the sheet is %d px wide on a 360 px phone", w)
		}
		snapshot(t, b, "inspection-phone.zh-CN")
	})

	t.Run("customer", func(t *testing.T) {
		b := chrome.New(t, browsertest.Options{})
		login(b, e.url, "jia", "Changed-Pass-2024")
		b.Navigate(e.url + "/tickets?lang=zh-CN")
		snapshot(t, b, "tickets-customer.zh-CN")
	})

	t.Run("password", func(t *testing.T) {
		b := chrome.New(t, browsertest.Options{})
		b.Allow(404)
		login(b, e.url, "wangwu", initialPW)
		if got := browsertest.Eval[string](b, "location.pathname"); got != "/password" {
			t.Fatalf("initial password: landed on %s", got)
		}
		snapshot(t, b, "password.zh-CN")
		b.Navigate(e.url + "/no/such/page")
		snapshot(t, b, "notfound.zh-CN")
	})

	t.Run("wall", func(t *testing.T) {
		b := chrome.New(t, browsertest.Options{Width: 1920, Height: 1080})
		b.Navigate(e.url + "/wall?lang=zh-CN&k=" + e.kiosk)
		// wall.js replaces the panel once its stream opens: read it after
		// that (before, the node read could be the one being replaced).
		waitFor(t, b, `document.getElementById("wall").dataset.refreshed === "1"`, "wall refreshed over its event stream")
		if got := b.Text("#wall-classes"); got == "" {
			t.Error("wall shows no classes")
		}
		snapshot(t, b, "wall.zh-CN")
	})
}
