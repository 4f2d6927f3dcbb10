package console_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console/browsertest"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

var (
	metaCSRFRE = regexp.MustCompile(`(name="csrf-token" content=")[^"]+`)
	// The countdowns' text follows the browser's clock.
	leftRE = regexp.MustCompile(`(<span class="left">)[^<]*`)
)

func checkGolden(t *testing.T, name, dom string) {
	t.Helper()
	compareGolden(t, name, normaliseDOM(dom))
}

// TestBrowserDeskGolden: the duty desk, a ticket page and the 报修登记 form,
// as Chromium built them after desk.js ran (fake clock: stable), against
// testdata/golden; hostile text stays text and no script runs.
func TestBrowserDeskGolden(t *testing.T) {
	e := newDeskEnv(t)
	e.create(t, tickets.Manual{Title: `标题 "引号" O'Brien {{.Secret}}`, Level: 1, Device: `<script>alert(1)</script>`, Site: "情指中心机房"})
	tk := e.create(t, tickets.Manual{Title: "打印机缺墨", Level: 4, Device: "printer-01", Site: "城关派出所", Category: "front_end"})
	e.user(t, "duty", auth.RoleViewer)
	b := chrome.New(t, browsertest.Options{})
	login(b, e.srv.URL, "duty", "Changed-Pass-2024")
	if _, err := chromedp.Run(b.Ctx(), chromedp.Poll[bool](`document.getElementById("desk").dataset.refreshed === "1"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("desk not refreshed over its event stream: %v (%v)", err, b.Problems())
	}
	if got := b.Text(`#desk-panel .trow[data-level="1"] .dev`); got != `<script>alert(1)</script>` {
		t.Errorf("device shown as %q", got)
	}
	// Same deadline: the level I ticket comes first.
	if got := browsertest.Eval[string](b, `document.querySelector("#desk-panel .trow").dataset.level`); got != "1" {
		t.Errorf("first row is level %s", got)
	}
	b.Screenshot("desk")
	checkGolden(t, "desk.zh-CN", b.OuterHTML())
	b.Navigate(e.srv.URL + "/tickets/" + itoa(tk.ID))
	b.Screenshot("ticket")
	checkGolden(t, "ticket.zh-CN", b.OuterHTML())
	b.Navigate(e.srv.URL + "/tickets/new?lang=en")
	b.Screenshot("register-en")
	checkGolden(t, "register.en", b.OuterHTML())
}

// TestBrowserCountdownColours: a timer's colour changes at its warning point
// and at its deadline in the browser, without the server.
func TestBrowserCountdownColours(t *testing.T) {
	e := newDeskEnv(t)
	e.create(t, tickets.Manual{Title: "计时", Level: 2, Site: "甲所"})
	e.user(t, "duty", auth.RoleViewer)
	b := chrome.New(t, browsertest.Options{})
	login(b, e.srv.URL, "duty", "Changed-Pass-2024")
	// The refresh on the stream's opening resets the clock skew: wait for it.
	if _, err := chromedp.Run(b.Ctx(), chromedp.Poll[bool](`document.getElementById("desk").dataset.refreshed === "1"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("desk not refreshed: %v", err)
	}
	status := func() string {
		return browsertest.Eval[string](b, `(function () {
  var el = document.querySelector("#desk-panel .timer");
  return ["t-running", "t-warning", "t-breached"].filter(function (c) { return el.classList.contains(c); }).join(",");
})()`)
	}
	if got := status(); got != "t-running" {
		t.Fatalf("at opening: %q", got)
	}
	// Move the page's idea of the server clock past the warning point, then
	// past the deadline (desk.js ticks every second).
	for _, tc := range []struct{ at, want string }{{"warn", "t-warning"}, {"deadline", "t-breached"}} {
		browsertest.Eval[bool](b, `(function () {
  var el = document.querySelector("#desk-panel .timer"), desk = document.getElementById("desk");
  desk.rwSkew = Number(el.dataset.`+tc.at+`) + 1000 - Date.now();
  return true;
})()`)
		if _, err := chromedp.Run(b.Ctx(), chromedp.Poll[bool](`document.querySelector("#desk-panel .timer").classList.contains("`+tc.want+`")`,
			chromedp.WithPollingTimeout(3*time.Second))); err != nil {
			t.Errorf("after the %s: %q, want %s", tc.at, status(), tc.want)
		}
	}
	if got := b.Text("#desk-panel .timer .left"); !strings.HasPrefix(got, "已超时") {
		t.Errorf("breached countdown says %q", got)
	}
}
