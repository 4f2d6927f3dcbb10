package collector

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roomwatch/roomwatch/internal/console/browsertest"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

// deskCollector starts the real binary with tickets on, the repository's
// fault levels and SLA profiles, the intake open on loopback, and the given
// console users (each with initial password "Initial-Pass-2024").
func deskCollector(t *testing.T, users ...[3]string) string {
	t.Helper()
	bin := buildCollector(t)
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := fmt.Sprintf(`rules: {files: []}
scrape: []
tickets:
  rules: %q
auth:
  intake: {open_on_loopback: true}
sla:
  dir: %q
  holidays: %q
`, filepath.Join(root, "rules", "fault-levels.yml"), filepath.Join(root, "rules", "sla"), filepath.Join(root, "rules", "calendars", "cn-holidays.yml"))
	cfgPath := writeConfig(t, dir, cfg)
	for _, u := range users {
		cmd := exec.Command(bin, "user", "add", u[0], "--role", u[1], "--display-name", u[2], "--password-stdin",
			"--config", cfgPath, "--data-dir", data)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader("Initial-Pass-2024\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("user add %s: %v\n%s", u[0], err, out)
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	startBinary(t, bin, dir, "--config", cfgPath, "--data-dir", data, "--web.listen-address", addr)
	base := "http://" + addr
	testutil.WaitHTTP(t, base+"/-/ready", 60*time.Second)
	return base
}

// firstLogin logs a new user in and changes the initial password.
func firstLogin(b *browsertest.Browser, base, user string) {
	b.Navigate(base + "/login")
	b.Type("#username", user)
	b.Type("#password", "Initial-Pass-2024")
	b.ClickAndWait("button[type=submit]")
	b.Type("#old", "Initial-Pass-2024")
	b.Type("#new", "Changed-Pass-2024")
	b.Type("#confirm", "Changed-Pass-2024")
	b.ClickAndWait("button[type=submit]")
}

func postHook(t *testing.T, base, hook string) {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/alertmanager/webhook", "application/json", strings.NewReader(hook))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("webhook: %s", resp.Status)
	}
}

// waitJS polls a JavaScript condition in the page.
func waitJS(t *testing.T, b *browsertest.Browser, cond string, timeout time.Duration) error {
	t.Helper()
	_, err := chromedp.Run(b.Ctx(), chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(20*time.Millisecond)))
	return err
}

const hostileDevice = `<script>alert(1)</script>`

// TestBrowserDeskLiveAlertAndTicketFlow, against the real binary: an alert
// posted to the webhook appears on the duty desk within 2 s without a
// reload, with a flash and a sound for its level I ticket; the device's
// hostile name is text; the duty operator registers a phone report; an
// engineer takes the alert's ticket through acknowledge → dispatch → on
// site → resolve → close and sees its timers met.
func TestBrowserDeskLiveAlertAndTicketFlow(t *testing.T) {
	base := deskCollector(t, [3]string{"duty", "viewer", "值班员小王"}, [3]string{"zhang", "engineer", "张工"}, [3]string{"li", "engineer", "李工"})
	b := browsertest.New(t, browsertest.Options{Timeout: 3 * time.Minute})
	firstLogin(b, base, "duty")
	if got := browsertest.Eval[string](b, "location.pathname"); got != "/" {
		t.Fatalf("after login: %s", got)
	}
	if err := waitJS(t, b, `document.getElementById("desk-live").classList.contains("on")`, 10*time.Second); err != nil {
		t.Fatalf("the desk's event stream did not open: %v (%v)", err, b.Problems())
	}
	b.Do(chromedp.Click(chromedp.CSS("#desk-sound"), chromedp.NodeVisible)) // a click lets the page play sound
	browsertest.Eval[bool](b, `window.__rwNoReload = true`)
	beeps0 := browsertest.Eval[string](b, `document.getElementById("desk").dataset.beeps || "0"`)

	starts := time.Now().Add(-30 * time.Second).UTC().Format(time.RFC3339)
	hook := fmt.Sprintf(`{"version":"4","groupKey":"{}:{alertname=\"HostDown\"}","status":"firing","receiver":"roomwatch",
"groupLabels":{"alertname":"HostDown"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://127.0.0.1:9093","truncatedAlerts":0,
"alerts":[{"status":"firing","labels":{"alertname":"HostDown","device":%q,"tier":"core","site":"情指中心机房","class":"switch","severity":"critical"},
"annotations":{"summary":"core switch down"},"startsAt":%q,"endsAt":"0001-01-01T00:00:00Z",
"generatorURL":"http://127.0.0.1:9120/graph","fingerprint":"0123456789abcdef"}]}`, hostileDevice, starts)
	posted := time.Now()
	postHook(t, base, hook)
	err := waitJS(t, b, `Array.from(document.querySelectorAll("#desk-panel .trow .dev")).some(e => e.textContent === "<script>alert(1)</script>")`, 2*time.Second)
	took := time.Since(posted)
	if err != nil {
		t.Fatalf("alert not on the desk within 2 s: %v (problems %v)", err, b.Problems())
	}
	t.Logf("alert on the desk %v after the webhook", took.Round(time.Millisecond))
	if !browsertest.Eval[bool](b, `window.__rwNoReload === true`) {
		t.Error("the page was reloaded")
	}
	if lvl := browsertest.Eval[string](b, `document.querySelector("#desk-panel .trow").dataset.level`); lvl != "1" {
		t.Errorf("first ticket level %s, want 1", lvl)
	}
	if !browsertest.Eval[bool](b, `document.getElementById("desk").classList.contains("flash") && document.querySelector("#desk-panel .trow.new") !== null`) {
		t.Error("no flash for the level I ticket")
	}
	if beeps := browsertest.Eval[string](b, `document.getElementById("desk").dataset.beeps || "0"`); beeps == beeps0 {
		t.Error("no sound for the level I ticket")
	}
	if got := b.Text("#desk-panel .panel-alerts .alertname"); got != "HostDown" {
		t.Errorf("firing alerts: %q", got)
	}
	if got := b.Text("#desk-panel .panel-down .down-dev"); got != hostileDevice {
		t.Errorf("devices down: %q", got)
	}
	if n := browsertest.Eval[int](b, "document.scripts.length"); n != 3 {
		t.Errorf("%d script elements, want the layout's 2 and desk.js", n)
	}
	b.Screenshot("desk-1280")

	// 报修登记: a phone report with quotes and template braces in its title.
	title := `电话报修 "门禁" O'Brien {{.Secret}} {{template "x"}}`
	b.Navigate(base + "/tickets/new")
	b.Type("#r-title", title)
	browsertest.Eval[bool](b, `document.getElementById("r-level").value = "2", true`)
	b.Type("#r-reporter", "王警官 13800000000")
	b.Type("#r-site", "城关派出所")
	b.Type("#r-description", "门禁刷卡无反应")
	b.ClickAndWait("#register-form button[type=submit]")
	if got := b.Text(".msg"); got != "报修已登记。" {
		t.Errorf("after registering: %q", got)
	}
	if got := b.Text("#ticket-title"); got != title {
		t.Errorf("registered title shown as %q", got)
	}
	b.Screenshot("registered")
	b.Navigate(base + "/tickets")
	if got := browsertest.Eval[int](b, `document.querySelectorAll("table.tickets tbody tr").length`); got != 2 {
		t.Errorf("ticket list has %d rows, want 2", got)
	}
	b.Screenshot("tickets-1280")
	b.ClickAndWait(`a[href="/logout"]`)

	// The engineer works the alert's ticket through to closed.
	firstLogin(b, base, "zhang")
	b.ClickAndWait(`#desk-panel .trow[data-level="1"] a.ttitle`)
	// The contract milestones come as buttons with their fields: a plan,
	// an agreed pause and its end, the report and the customer's
	// confirmation recorded by the engineer.
	val := func(form, field, v string) string {
		return `document.querySelector("form.action-` + form + ` [name=` + field + `]").value = "` + v + `"; `
	}
	steps := []struct {
		action, fill, state string
		shows               string // an element the page then has ("" none)
	}{
		{"ack", "", "已响应", ""},
		{"dispatch", `document.querySelector("form.action-dispatch select").value = "li"`, "已派单", ""},
		{"onsite", "", "已到场", ""},
		{"plan", val("plan", "text", "更换电源模块") + val("plan", "attachment", "方案.pdf"), "已到场", ".timeline .ev-plan .text"},
		{"pause", val("pause", "reason", "等待备件") + val("pause", "agreed_by", "李科长"), "已到场", "#pause-mark"},
		{"resume", "", "已到场", ".timeline .ev-resume"},
		{"resolve", val("resolve", "cause", "电源模块故障") + val("resolve", "fix", "更换电源模块"), "已修复", ""},
		{"report", val("report", "text", "电源模块老化"), "已修复", ".timeline .ev-report"},
		{"confirm", val("confirm", "by", "李科长"), "用户已确认", ".timeline .ev-confirm .by"},
		{"close", "", "已关闭", ""},
	}
	for _, s := range steps {
		if s.fill != "" {
			browsertest.Eval[bool](b, "(function () { "+s.fill+"; return true; })()")
		}
		b.ClickAndWait("form.action-" + s.action + " button")
		if got := b.Text("#ticket-state"); got != s.state {
			t.Fatalf("after %s: state %q, want %q (message %q)", s.action, got, s.state, b.Text("main"))
		}
		if s.shows != "" && !browsertest.Eval[bool](b, `document.querySelector("`+s.shows+`") !== null`) {
			t.Errorf("after %s: no %s on the page (message %q)", s.action, s.shows, b.Text("main"))
		}
	}
	if browsertest.Eval[bool](b, `document.querySelector("#pause-mark") !== null`) {
		t.Error("the pause is still shown after resume")
	}
	if got := b.Text("#ticket-assignee"); got != "李工" {
		t.Errorf("assignee %q", got)
	}
	if got := b.Text("#ticket-device"); got != hostileDevice {
		t.Errorf("device %q", got)
	}
	statuses := browsertest.Eval[map[string]string](b, `Object.fromEntries(Array.from(document.querySelectorAll("tr.timer-row")).map(r => [r.dataset.timer, r.dataset.status]))`)
	if len(statuses) == 0 {
		t.Fatal("no timers on the ticket")
	}
	t.Logf("timers after the work: %v", statuses)
	// A timer whose milestone never came (the emergency plan: the first
	// plan was in time) ends not applicable, never breached.
	for name, st := range statuses {
		if st == "breached" || (st != "met" && st != "not_applicable" && name != "report") {
			t.Errorf("timer %s is %s after the work, want met or not applicable", name, st)
		}
	}
	if statuses["respond"] != "met" || statuses["resolve"] != "met" || (statuses["plan"] != "" && statuses["plan"] != "met") {
		t.Errorf("timers %v", statuses)
	}
	// The timeline names the engineer for each step.
	actors := browsertest.Eval[[]string](b, `Array.from(document.querySelectorAll(".timeline .ev-ack .actor, .timeline .ev-close .actor")).map(e => e.textContent)`)
	if strings.Join(actors, ",") != "张工,张工" {
		t.Errorf("actors %v", actors)
	}
	b.Screenshot("closed-1280")

	// The same pages on a 360 px phone: no horizontal scroll.
	p := browsertest.New(t, browsertest.Options{Width: 360, Height: 740, Mobile: true, Timeout: 2 * time.Minute})
	p.Navigate(base + "/login")
	p.Type("#username", "duty")
	p.Type("#password", "Changed-Pass-2024")
	p.ClickAndWait("button[type=submit]")
	detail := browsertest.Eval[string](b, "location.pathname")
	for _, pg := range []struct{ name, path string }{{"desk-360", "/"}, {"tickets-360", "/tickets"}, {"detail-360", detail}, {"register-360", "/tickets/new"}} {
		p.Navigate(base + pg.path)
		if sw := browsertest.Eval[int](p, "document.documentElement.scrollWidth"); sw > 360 {
			t.Errorf("%s: scroll width %d px on a 360 px screen", pg.name, sw)
		}
		p.Screenshot(pg.name)
	}
}
