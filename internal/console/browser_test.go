package console_test

import (
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/console/browsertest"
)

var update = flag.Bool("update", false, "rewrite the golden DOM snapshots in testdata/golden")

// chrome is the package's one Chromium (set by TestMain), each test in a
// browser context of its own.
var chrome *browsertest.Chromium

func TestMain(m *testing.M) {
	chrome = browsertest.Start()
	code := m.Run()
	chrome.Close()
	os.Exit(code)
}

func login(b *browsertest.Browser, base, user, pw string) {
	b.Navigate(base + "/login")
	b.Type("#username", user)
	b.Type("#password", pw)
	b.ClickAndWait("button[type=submit]")
}

func TestBrowserLoginLogout(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "zhangsan", "张三", auth.RoleEngineer, true)
	b := chrome.New(t, browsertest.Options{})
	b.Navigate(e.srv.URL + "/")
	if got := browsertest.Eval[string](b, "location.pathname"); got != "/login" {
		t.Fatalf("without a session / leads to %s", got)
	}
	if lang := browsertest.Eval[string](b, "document.documentElement.lang"); lang != "zh-CN" {
		t.Errorf("default language %q", lang)
	}
	b.Screenshot("login")
	login(b, e.srv.URL, "zhangsan", "Changed-Pass-2024")
	if got := b.Text(".user"); got != "张三" {
		t.Errorf("header shows %q", got)
	}
	if got := b.Text(".coming"); !strings.Contains(got, "值班台正在建设中") {
		t.Errorf("home says %q", got)
	}
	if n := browsertest.Eval[int](b, `document.querySelectorAll("nav.main a").length`); n != 7 {
		t.Errorf("engineer sees %d navigation links, want 7 (维护窗口 too, no 管理)", n)
	}
	// htmx (vendored) and console.js loaded under the CSP without errors.
	if v := browsertest.Eval[string](b, "typeof htmx === 'object' ? htmx.version : 'missing'"); !strings.HasPrefix(v, "2.") {
		t.Errorf("htmx: %s", v)
	}
	b.Screenshot("home")
	b.ClickAndWait(`a[href="/logout"]`)
	if got := b.Text(".msg"); got != "您已退出登录。" {
		t.Errorf("after logout: %q", got)
	}
	b.Navigate(e.srv.URL + "/")
	if got := browsertest.Eval[string](b, "location.pathname"); got != "/login" {
		t.Errorf("after logout / leads to %s", got)
	}
	// HttpOnly: the page's script cannot read the session cookie.
	login(b, e.srv.URL, "zhangsan", "Changed-Pass-2024")
	if ck := browsertest.Eval[string](b, "document.cookie"); strings.Contains(ck, "rw_session") {
		t.Errorf("session cookie visible to script: %q", ck)
	}
}

func TestBrowserLockout(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "zhangsan", "", auth.RoleViewer, true)
	b := chrome.New(t, browsertest.Options{})
	b.Allow(401, 429)
	for i := 1; i <= 5; i++ {
		login(b, e.srv.URL, "zhangsan", "wrong-password")
		msg := b.Text(".err")
		want := "用户名或密码错误。"
		if i == 5 {
			want = "登录失败次数过多，该账户已锁定，请于 2026-03-02 09:15:00 后再试。"
		}
		if msg != want {
			t.Fatalf("attempt %d: %q, want %q", i, msg, want)
		}
	}
	login(b, e.srv.URL, "zhangsan", "Changed-Pass-2024")
	if msg := b.Text(".err"); !strings.Contains(msg, "已锁定") || !strings.Contains(msg, "09:15:00") {
		t.Fatalf("right password while locked: %q", msg)
	}
	b.Screenshot("locked")
	if got := browsertest.Eval[string](b, "location.pathname"); got != "/login" {
		t.Fatalf("locked user got to %s", got)
	}
}

func TestBrowserForcedPasswordChange(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "lisi", "李四", auth.RoleManager, false)
	b := chrome.New(t, browsertest.Options{})
	b.Allow(422)
	login(b, e.srv.URL, "lisi", initialPW)
	if got := browsertest.Eval[string](b, "location.pathname"); got != "/password" {
		t.Fatalf("initial password: landed on %s", got)
	}
	b.Navigate(e.srv.URL + "/")
	if got := browsertest.Eval[string](b, "location.pathname"); got != "/password" {
		t.Fatalf("home before the change: landed on %s", got)
	}
	b.Screenshot("forced")
	// A policy failure first, then the change.
	b.Type("#old", initialPW)
	b.Type("#new", "tooshort")
	b.Type("#confirm", "tooshort")
	b.Do() // flush
	browsertest.Eval[bool](b, `document.getElementById("password-form").noValidate = true`)
	b.ClickAndWait("button[type=submit]")
	if msg := b.Text(".err"); !strings.Contains(msg, "密码太短") {
		t.Fatalf("policy failure: %q", msg)
	}
	b.Type("#old", initialPW)
	b.Type("#new", "Brand-New-Pass-1")
	b.Type("#confirm", "Brand-New-Pass-1")
	b.ClickAndWait("button[type=submit]")
	if got := b.Text(".msg"); got != "密码已修改。" {
		t.Fatalf("after the change: %q", got)
	}
	if got := b.Text(".user"); got != "李四" {
		t.Errorf("header %q", got)
	}
}

func TestBrowserCSRFRefused(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "lisi", "", auth.RoleViewer, true)
	b := chrome.New(t, browsertest.Options{})
	login(b, e.srv.URL, "lisi", "Changed-Pass-2024")
	b.Navigate(e.srv.URL + "/password")
	browsertest.Eval[bool](b, `document.querySelector("input[name=csrf]").remove(), true`)
	b.Type("#old", "Changed-Pass-2024")
	b.Type("#new", "Brand-New-Pass-1")
	b.Type("#confirm", "Brand-New-Pass-1")
	b.Allow(403)
	b.ClickAndWait("button[type=submit]")
	if msg := b.Text(".err"); !strings.Contains(msg, "防伪令牌") {
		t.Fatalf("without the token: %q", msg)
	}
	b.Screenshot("refused")
	// The password did not change.
	if _, err := e.store.Login(t.Context(), "lisi", "Changed-Pass-2024", ""); err != nil {
		t.Fatalf("password changed without a CSRF token: %v", err)
	}
}

// TestBrowserPhone: a 360 px wide phone has no horizontal scroll on the
// login and home pages.
func TestBrowserPhone(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "root", "系统管理员王五", auth.RoleAdmin, true)
	b := chrome.New(t, browsertest.Options{Width: 360, Height: 740, Mobile: true})
	noScroll := func(page string) {
		t.Helper()
		if w := browsertest.Eval[int](b, "window.innerWidth"); w != 360 {
			t.Errorf("%s: viewport %d px, want 360", page, w)
		}
		sw := browsertest.Eval[int](b, "document.documentElement.scrollWidth")
		if sw > 360 {
			t.Errorf("%s: scroll width %d px on a 360 px screen", page, sw)
		}
	}
	b.Navigate(e.srv.URL + "/login")
	noScroll("login")
	b.Screenshot("login")
	login(b, e.srv.URL, "root", "Changed-Pass-2024")
	noScroll("home")
	b.Screenshot("home")
	b.Navigate(e.srv.URL + "/password")
	noScroll("password")
	b.Screenshot("password")
}

// TestBrowserHostileText: names with markup, quotes and template braces are
// shown as text, and no script runs (an alert would fail the test).
func TestBrowserHostileText(t *testing.T) {
	e := newEnv(t)
	names := map[string]string{
		"hostile1": `<script>alert(1)</script>`,
		"hostile2": `O'Brien "quoted" {{.Secret}} {{template "x"}}`,
		"hostile3": `<img src=x onerror=alert(2)>`,
	}
	for u, d := range names {
		e.addUser(t, u, d, auth.RoleViewer, true)
	}
	b := chrome.New(t, browsertest.Options{})
	for _, u := range []string{"hostile1", "hostile2", "hostile3"} {
		login(b, e.srv.URL, u, "Changed-Pass-2024")
		if got := b.Text(".user"); got != names[u] {
			t.Errorf("%s: header shows %q, want %q", u, got, names[u])
		}
		if got := b.Text(".welcome"); !strings.Contains(got, names[u]) {
			t.Errorf("%s: welcome shows %q", u, got)
		}
		if n := browsertest.Eval[int](b, "document.scripts.length"); n != 2 {
			t.Errorf("%s: %d script elements, want the 2 of the layout", u, n)
		}
		b.Screenshot(u)
		b.ClickAndWait(`a[href="/logout"]`)
	}
	// Typed at the login form, a hostile name comes back as the field's value.
	b.Allow(401)
	login(b, e.srv.URL, `"><script>alert(3)</script>`, "x")
	if v := browsertest.Eval[string](b, `document.getElementById("username").value`); v != `"><script>alert(3)</script>` {
		t.Errorf("refilled name %q", v)
	}
}

func TestBrowserLanguage(t *testing.T) {
	e := newEnv(t)
	b := chrome.New(t, browsertest.Options{})
	b.Navigate(e.srv.URL + "/login")
	if got := b.Text("h1"); got != "登录" {
		t.Errorf("default h1 %q", got)
	}
	b.ClickAndWait("a.lang")
	if got := b.Text("h1"); got != "Log in" {
		t.Errorf("after switching: h1 %q", got)
	}
	if lang := browsertest.Eval[string](b, "document.documentElement.lang"); lang != "en" {
		t.Errorf("lang %q", lang)
	}
	b.Screenshot("login-en")
	b.Navigate(e.srv.URL + "/login")
	if got := b.Text("h1"); got != "Log in" {
		t.Errorf("choice not remembered: %q", got)
	}
	b.ClickAndWait("a.lang")
	if got := b.Text("h1"); got != "登录" {
		t.Errorf("back to Chinese: %q", got)
	}
}

var (
	hashRE      = regexp.MustCompile(`/static/[0-9a-f]{12}/`)
	csrfValueRE = regexp.MustCompile(`(name="csrf" value=")[^"]+`)
)

// TestBrowserLoginGolden compares the login page's DOM, as Chromium built
// it, with testdata/golden (go test -run Golden -update rewrites them).
func TestBrowserLoginGolden(t *testing.T) {
	e := newEnv(t)
	b := chrome.New(t, browsertest.Options{})
	for _, lang := range []string{"zh-CN", "en"} {
		b.Navigate(e.srv.URL + "/login?lang=" + lang)
		compareGolden(t, "login."+lang, normaliseDOM(b.OuterHTML()))
	}
}

// TestBrowserHtmxCSRF: an htmx POST from a console page carries the
// session's CSRF token (console.js), and the same POST without it is refused.
func TestBrowserHtmxCSRF(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "zhangsan", "", auth.RoleEngineer, true)
	cons := consoleOf(t, e)
	mux := http.NewServeMux()
	mux.Handle("POST /act", cons.Authenticated(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, _ := console.SessionFrom(r.Context())
		_, _ = io.WriteString(w, "done by "+sess.User.Name)
	})))
	mux.Handle("/", cons)
	base := newServer(t, mux)
	b := chrome.New(t, browsertest.Options{})
	login(b, base, "zhangsan", "Changed-Pass-2024")
	browsertest.Eval[bool](b, `htmx.ajax("POST", "/act", {target: ".coming", swap: "innerHTML"}), true`)
	if _, err := chromedp.Run(b.Ctx(), chromedp.Poll[bool](`document.querySelector(".coming").textContent === "done by zhangsan"`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("htmx POST with the token: %v (page says %q)", err, b.Text(".coming"))
	}
	// Without the token: a plain fetch is refused.
	b.Allow(403)
	if code := browsertest.Eval[int](b, `fetch("/act", {method: "POST"}).then(r => r.status)`, chromedp.EvalAwaitPromise); code != 403 {
		t.Errorf("POST without the token: %d, want 403", code)
	}
}

// TestBrowserEChartsUnderCSP: the vendored ECharts draws a chart under the
// console's Content-Security-Policy (no inline script or style) without a
// single console error or CSP violation.
func TestBrowserEChartsUnderCSP(t *testing.T) {
	e := newEnv(t)
	cons := consoleOf(t, e)
	echartsURL, err := cons.StaticURL("vendor/echarts/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	// The console's own policy, as it sends it.
	rec := httptest.NewRecorder()
	cons.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	policy := rec.Header().Get("Content-Security-Policy")
	if policy == "" {
		t.Fatal("no CSP")
	}
	mux := http.NewServeMux()
	mux.Handle("/static/", cons)
	mux.HandleFunc("/chart", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		_, _ = io.WriteString(w, `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>chart</title>
<script src="`+echartsURL+`" defer></script><script src="/chart.js" defer></script></head><body><div id="c"></div></body></html>`)
	})
	mux.HandleFunc("/chart.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = io.WriteString(w, `document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("c");
  el.style.width = "480px"; el.style.height = "300px";
  var chart = echarts.init(el, null, {renderer: "svg"});
  chart.setOption({
    animation: false,
    tooltip: {trigger: "axis"},
    legend: {data: ["告警"]},
    xAxis: {type: "category", data: ["周一", "周二", "周三"]},
    yAxis: {type: "value"},
    series: [{name: "告警", type: "line", data: [3, 7, 2]}]
  });
  chart.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: 1});
  document.body.dataset.version = echarts.version;
});`)
	})
	base := newServer(t, mux)
	b := chrome.New(t, browsertest.Options{})
	b.Navigate(base + "/chart")
	if _, err := chromedp.Run(b.Ctx(), chromedp.Poll[bool](`document.body.dataset.version !== undefined && document.querySelector("#c svg") !== null`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("chart not drawn: %v (problems %v)", err, b.Problems())
	}
	if v := browsertest.Eval[string](b, "document.body.dataset.version"); !strings.HasPrefix(v, "6.") {
		t.Errorf("echarts version %q", v)
	}
	time.Sleep(300 * time.Millisecond) // let a late CSP report arrive
	b.Screenshot("chart")
	b.Check()
}
