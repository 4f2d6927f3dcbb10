package collector

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console/browsertest"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// wallEnv is a real collector with tickets, the intake open on loopback, an
// inventory switch sw1 (its TCP check answered by a listener of the test,
// so it stays up), an engineer, a viewer and a kiosk token.
type wallEnv struct {
	base, kiosk string
}

func startWallCollector(t *testing.T) wallEnv {
	t.Helper()
	bin := buildCollector(t)
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := writeConfig(t, dir, fmt.Sprintf(`global: {data_dir: %q, bureau: 某县公安局}
rules: {files: []}
inventory:
  sites: [{name: central, display_name: 情指中心机房}]
  devices:
    - {name: sw1, display_name: 核心交换机, class: switch, address: 127.0.0.1, site: central, checks: [tcp], probe: {tcp_ports: [%d]}}
tickets: {rules: %q}
auth:
  intake: {open_on_loopback: true}
sla: {dir: %q, holidays: %q}
`, data, port, filepath.Join(root, "rules", "fault-levels.yml"),
		filepath.Join(root, "rules", "sla"), filepath.Join(root, "rules", "calendars", "cn-holidays.yml")))
	for _, u := range [][3]string{{"admin", "管理员", "admin"}, {"zhanggong", "张工", "engineer"}, {"duty", "值班员", "viewer"}} {
		cmd := exec.Command(bin, "user", "add", u[0], "--role", u[2], "--display-name", u[1], "--password-stdin", "--config", cfg)
		cmd.Stdin = strings.NewReader("Initial-Pass-2024\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("user add %s: %v\n%s", u[0], err, out)
		}
	}
	ctx := context.Background()
	st, err := accounts.Open(ctx, accounts.Options{Path: filepath.Join(data, accounts.FileName)})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"admin", "zhanggong", "duty"} {
		if _, err := st.ChangePassword(ctx, n, "Initial-Pass-2024", pagesPW, "test"); err != nil {
			t.Fatal(err)
		}
	}
	_, secret, err := st.IssueToken(ctx, "大屏", accounts.TokenKiosk, auth.RoleViewer, "admin")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	startBinary(t, bin, dir, "--config", cfg, "--web.listen-address", addr)
	base := "http://" + addr
	testutil.WaitHTTP(t, base+"/-/ready", 60*time.Second)
	return wallEnv{base: base, kiosk: "/wall?" + url.Values{"k": {secret}}.Encode()}
}

// switchHook is an Alertmanager webhook for sw1's port alert: firing, or
// resolved because its data vanished (data_absent: 状态未知).
func switchHook(status string, dataAbsent bool) string {
	starts := time.Now().Add(-30 * time.Second).UTC().Format(time.RFC3339)
	ends := "0001-01-01T00:00:00Z"
	ann := `"summary":"uplink port down"`
	if status == "resolved" {
		ends = time.Now().UTC().Format(time.RFC3339)
	}
	if dataAbsent {
		ann += `,"data_absent":"true"`
	}
	return fmt.Sprintf(`{"version":"4","groupKey":"{}:{alertname=\"SwitchPortDown\"}","status":%q,"receiver":"roomwatch",
"groupLabels":{"alertname":"SwitchPortDown"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://127.0.0.1:9093","truncatedAlerts":0,
"alerts":[{"status":%q,"labels":{"alertname":"SwitchPortDown","device":"sw1","tier":"core","site":"central","class":"switch","severity":"critical"},
"annotations":{%s},"startsAt":%q,"endsAt":%q,
"generatorURL":"http://127.0.0.1:9120/graph","fingerprint":"00000000000000aa"}]}`, status, status, ann, starts, ends)
}

// waitWall polls a condition in the wall's page and returns how long it took.
func waitWall(t *testing.T, b *browsertest.Browser, what, cond string, within time.Duration) time.Duration {
	t.Helper()
	t0 := time.Now()
	if err := waitJS(t, b, cond, within); err != nil {
		b.Screenshot("wall-timeout")
		t.Fatalf("%s: not on the wall within %v: %v (problems %v)", what, within, err, b.Problems())
	}
	return time.Since(t0)
}

// TestBrowserWallLiveBadgesAndMaintenance, against the real binary: the wall
// display, opened with a kiosk token, shows a ticket opened by an alert on
// the webhook within 2 s over its event stream (no reload, no poll); the
// ticket's 状态未知 badge when the alert's data vanishes; an engineer
// creates a maintenance window for the device on /maintenance and the wall
// shows 维护窗口中, then expires it; the viewer reads the page only; the
// ticket's timer table fits a 360 px phone. Any console error or failed
// request fails the test.
func TestBrowserWallLiveBadgesAndMaintenance(t *testing.T) {
	testutil.LookBinary(t, "chromium")
	e := startWallCollector(t)
	chrome := browsertest.Start()
	defer chrome.Close()

	wall := chrome.New(t, browsertest.Options{Width: 1920, Height: 1080, Timeout: 4 * time.Minute})
	wall.Navigate(e.base + e.kiosk)
	waitWall(t, wall, "the event stream", `document.getElementById("wall").dataset.live === "on"`, 10*time.Second)
	if got := wall.Text("#wall-live"); got != "实时更新中" {
		t.Errorf("the wall's live mark says %q", got)
	}
	browsertest.Eval[bool](wall, `window.__rwNoReload = true`)
	if n := browsertest.Eval[int](wall, `document.querySelectorAll("#wall-tickets tr").length`); n != 0 {
		t.Fatalf("%d tickets before any alert", n)
	}

	// A ticket change reaches the wall within 2 s.
	posted := time.Now()
	postHook(t, e.base, switchHook("firing", false))
	waitWall(t, wall, "the alert's ticket", `Array.from(document.querySelectorAll("#wall-tickets tr .dev")).some(e => e.textContent === "sw1")`, 2*time.Second)
	took := time.Since(posted)
	t.Logf("ticket on the wall %v after the webhook", took.Round(time.Millisecond))
	if !browsertest.Eval[bool](wall, `window.__rwNoReload === true`) {
		t.Error("the wall was reloaded")
	}
	wall.Screenshot("wall-live")
	wall.Check()

	// Its data vanishes: 状态未知, within 2 s too.
	posted = time.Now()
	postHook(t, e.base, switchHook("resolved", true))
	waitWall(t, wall, "the 状态未知 badge", `document.querySelector("#wall-tickets tr .badge.unknown") !== null`, 2*time.Second)
	t.Logf("状态未知 on the wall %v after the webhook", time.Since(posted).Round(time.Millisecond))
	if got := wall.Text("#wall-tickets tr .badge.unknown"); got != "状态未知" {
		t.Errorf("unknown badge %q", got)
	}

	// The engineer puts sw1 under a maintenance window.
	eng := chrome.New(t, browsertest.Options{Timeout: 4 * time.Minute})
	pagesLogin(eng, e.base, "zhanggong")
	eng.Navigate(e.base + "/")
	if !browsertest.Eval[bool](eng, `Array.from(document.querySelectorAll("nav.main a")).some(a => a.getAttribute("href") === "/maintenance")`) {
		t.Error("no 维护窗口 in the navigation")
	}
	eng.Navigate(e.base + "/maintenance")
	if got := eng.Text("#no-windows"); got == "" {
		t.Error("no 'no window' hint on an empty page")
	}
	browsertest.Eval[bool](eng, `(document.getElementById("m-device").value = "sw1", true)`)
	eng.Type("#m-comment", "核心交换机升级 <b>不是标签</b>")
	eng.Screenshot("maintenance-form")
	created := time.Now()
	eng.ClickAndWait("#new-window button[type=submit]")
	if got := eng.Text(".msg"); got != "维护窗口已创建。" {
		t.Errorf("after create: %q", got)
	}
	if got := eng.Text("#windows tbody tr .w-device"); !strings.Contains(got, "sw1") {
		t.Errorf("window scope %q", got)
	}
	if got := eng.Text("#windows tbody tr .comment"); got != "核心交换机升级 <b>不是标签</b>" {
		t.Errorf("window comment %q", got)
	}
	if got := eng.Text("#windows tbody tr td:nth-child(4)"); got != "zhanggong" {
		t.Errorf("window creator %q, want the logged-in engineer", got)
	}
	if got := browsertest.Eval[string](eng, `document.querySelector("#windows tbody tr").dataset.state`); got != "active" {
		t.Errorf("window state %q", got)
	}
	eng.Screenshot("maintenance-list")
	waitWall(t, wall, "the 维护窗口中 badge", `document.querySelector("#wall-tickets tr .badge.silenced") !== null`, 5*time.Second)
	t.Logf("维护窗口中 on the wall %v after the window was created", time.Since(created).Round(time.Millisecond))
	wall.Screenshot("wall-badges")

	// The ticket links to the maintenance page.
	id := browsertest.Eval[string](wall, `document.querySelector("#wall-tickets tr").dataset.id`)
	eng.Navigate(e.base + "/tickets/" + id)
	if got := browsertest.Eval[string](eng, `document.getElementById("ticket-silenced").closest("a").getAttribute("href")`); got != "/maintenance" {
		t.Errorf("the ticket's 维护窗口中 links to %q", got)
	}

	// The viewer reads the page, with no form and no expire button.
	duty := chrome.New(t, browsertest.Options{Timeout: 4 * time.Minute})
	pagesLogin(duty, e.base, "duty")
	duty.Navigate(e.base + "/maintenance")
	if n := browsertest.Eval[int](duty, `document.querySelectorAll("#windows tbody tr").length`); n != 1 {
		t.Errorf("the viewer sees %d windows, want 1", n)
	}
	if browsertest.Eval[bool](duty, `document.querySelector("#new-window, button.expire") !== null`) {
		t.Error("the viewer may create or expire windows")
	}
	duty.Check()

	// The engineer ends it; the wall drops the badge.
	eng.Navigate(e.base + "/maintenance")
	eng.ClickAndWait("#windows tbody tr button.expire")
	if got := eng.Text(".msg"); got != "维护窗口已结束。" {
		t.Errorf("after expire: %q", got)
	}
	if n := browsertest.Eval[int](eng, `document.querySelectorAll("#windows tbody tr").length`); n != 0 {
		t.Errorf("%d windows listed after the only one ended", n)
	}
	waitWall(t, wall, "the badge gone", `document.querySelector("#wall-tickets tr .badge.silenced") === null`, 5*time.Second)
	eng.Check()

	// The ticket's timers on a 360 px phone: nothing scrolls sideways.
	phone := chrome.New(t, browsertest.Options{Width: 360, Height: 740, Mobile: true, Timeout: 2 * time.Minute})
	pagesLogin(phone, e.base, "zhanggong")
	phone.Navigate(e.base + "/tickets/" + id)
	if w := browsertest.Eval[int](phone, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("the ticket page is %d px wide on a 360 px phone", w)
	}
	if w := browsertest.Eval[int](phone, `(function(){var t=document.querySelector("table.timers");return Math.max(t.scrollWidth, t.parentElement.scrollWidth)})()`); w > 360 {
		t.Errorf("the timer table is %d px wide on a 360 px phone", w)
	}
	if got := browsertest.Eval[string](phone, `getComputedStyle(document.querySelector("table.timers tr.timer-row")).display`); got != "block" {
		t.Errorf("timer rows display %q on a phone, want stacked blocks", got)
	}
	if got := browsertest.Eval[string](phone, `getComputedStyle(document.querySelector("table.timers td[data-label]:not(.t-name)"), "::before").content`); !strings.Contains(got, "时长") {
		t.Errorf("a stacked timer cell is labelled %q", got)
	}
	phone.Do(chromedp.ScrollIntoView("table.timers"))
	phone.Screenshot("ticket-timers-phone")
	phone.Check()
	wall.Check()
}
