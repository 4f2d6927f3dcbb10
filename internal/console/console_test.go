package console_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
)

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func post(t testing.TB, c *http.Client, u string, form url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in\n%s", body)
	}
	return m[1]
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	resp, body := get(t, client(t), e.srv.URL+"/login")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /login: %s", resp.Status)
	}
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	// 'unsafe-inline' only for style attributes (ECharts needs them).
	if strings.Contains(strings.Replace(csp, "style-src-attr 'unsafe-inline'", "", 1), "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline script or style elements, or eval: %q", csp)
	}
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if strings.Contains(body, "<script>") || regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(body) || strings.Contains(body, " style=") || strings.Contains(body, "<style") {
		t.Errorf("inline script or style in the login page:\n%s", body)
	}
	var login *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "rw_login" {
			login = ck
		}
	}
	if login == nil || !login.HttpOnly || login.SameSite != http.SameSiteStrictMode {
		t.Errorf("login cookie = %+v", login)
	}
	// The wall display may be framed by its own origin, nothing else may.
	resp, _ = get(t, client(t), e.srv.URL+"/wall")
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'self'") || resp.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("wall: CSP %q XFO %q", resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Frame-Options"))
	}
}

func TestStaticCaching(t *testing.T) {
	e := newEnv(t)
	_, body := get(t, client(t), e.srv.URL+"/login")
	m := regexp.MustCompile(`href="(/static/[0-9a-f]{12}/console\.css)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no versioned stylesheet in\n%s", body)
	}
	resp, css := get(t, client(t), e.srv.URL+m[1])
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(css, "box-sizing") {
		t.Fatalf("stylesheet: %s %v", resp.Status, resp.Header)
	}
	stale := strings.Replace(m[1], m[1][8:20], "000000000000", 1)
	if resp, _ := get(t, client(t), e.srv.URL+stale); resp.StatusCode != 404 {
		t.Errorf("stale hash: %s, want 404", resp.Status)
	}
	if !regexp.MustCompile(`src="/static/[0-9a-f]{12}/vendor/htmx.org/htmx.min.js"`).MatchString(body) {
		t.Errorf("htmx not loaded from the vendored copy")
	}
	// A file no page has named yet (its hash computed on the request): whole,
	// its hash that of its bytes, then not sent again to a browser holding it.
	const name = "vendor/echarts/echarts.min.js"
	want, err := os.ReadFile("static/" + name)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want)
	u := "/static/" + hex.EncodeToString(sum[:])[:12] + "/" + name
	resp, js := get(t, client(t), e.srv.URL+u)
	if resp.StatusCode != 200 || js != string(want) || resp.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Fatalf("%s: %s, %d of %d bytes, Content-Length %q", name, resp.Status, len(js), len(want), resp.Header.Get("Content-Length"))
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+u, nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	again, err := client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("%s with its ETag: %s, want 304", name, again.Status)
	}
}

// TestLoginFlow: plain HTTP, the way a script would log in (username and
// password only), then a browser-like form with the double-submit token.
func TestLoginFlow(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "zhangsan", "张三", auth.RoleEngineer, true)
	c := client(t)
	resp, _ := get(t, c, e.srv.URL+"/")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("GET / without a session: %s → %s", resp.Status, resp.Header.Get("Location"))
	}
	resp, _ = post(t, c, e.srv.URL+"/login", url.Values{"username": {"zhangsan"}, "password": {"Changed-Pass-2024"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("POST /login: %s → %s", resp.Status, resp.Header.Get("Location"))
	}
	var sess *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "rw_session" {
			sess = ck
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Secure || sess.MaxAge != 0 {
		t.Fatalf("session cookie = %+v", sess)
	}
	resp, body := get(t, c, e.srv.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(body, "张三") || !strings.Contains(body, "值班台正在建设中") || !strings.Contains(body, "驻场工程师") {
		t.Fatalf("home: %s\n%s", resp.Status, body)
	}
	if strings.Contains(body, `href="/admin"`) {
		t.Errorf("engineer sees the admin link")
	}
	resp, _ = get(t, c, e.srv.URL+"/logout")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?bye=1" {
		t.Fatalf("logout: %s → %s", resp.Status, resp.Header.Get("Location"))
	}
	if resp, _ := get(t, c, e.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("home after logout: %s", resp.Status)
	}
	// The old session cookie replayed after logout is dead.
	c2 := client(t)
	u, _ := url.Parse(e.srv.URL)
	c2.Jar.SetCookies(u, []*http.Cookie{sess})
	if resp, _ := get(t, c2, e.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("replayed session after logout: %s", resp.Status)
	}
	want := []string{"user_add", "password_change", "login", "logout"}
	if got := e.audit.kinds(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit = %v, want %v", got, want)
	}
}

func TestLoginNoEnumeration(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "zhangsan", "", auth.RoleViewer, true)
	e.addUser(t, "off", "", auth.RoleViewer, true)
	if err := e.store.SetDisabled(t.Context(), "off", true, "test"); err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, f := range []url.Values{
		{"username": {"zhangsan"}, "password": {"wrong"}},
		{"username": {"nobody"}, "password": {"wrong"}},
		{"username": {"off"}, "password": {"Changed-Pass-2024"}},
	} {
		resp, body := post(t, client(t), e.srv.URL+"/login", f, nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "用户名或密码错误") {
			t.Fatalf("%v: %s\n%s", f, resp.Status, body)
		}
		bodies = append(bodies, strings.ReplaceAll(csrfRE.ReplaceAllString(body, ""), f.Get("username"), "NAME"))
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Errorf("answers differ between wrong password, unknown user and disabled account")
	}
}

func TestLockoutPage(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "zhangsan", "", auth.RoleViewer, true)
	// A script's way: no cookies kept, so no double-submit token either.
	var resp *http.Response
	var body string
	for range 5 {
		resp, body = post(t, client(t), e.srv.URL+"/login", url.Values{"username": {"zhangsan"}, "password": {"wrong"}}, nil)
	}
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "2026-03-02 09:15:00") || resp.Header.Get("Retry-After") != "901" {
		t.Fatalf("5th failure: %s Retry-After %q\n%s", resp.Status, resp.Header.Get("Retry-After"), body)
	}
	resp, body = post(t, client(t), e.srv.URL+"/login?lang=en", url.Values{"username": {"zhangsan"}, "password": {"Changed-Pass-2024"}}, nil)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "locked until 2026-03-02 09:15:00") {
		t.Fatalf("right password while locked: %s\n%s", resp.Status, body)
	}
	e.clock.Advance(15 * time.Minute)
	resp, _ = post(t, client(t), e.srv.URL+"/login", url.Values{"username": {"zhangsan"}, "password": {"Changed-Pass-2024"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the lockout: %s", resp.Status)
	}
}

// TestCSRF: every state-changing request needs its token; a request from
// another origin is refused whatever it carries.
func TestCSRF(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "zhangsan", "", auth.RoleViewer, false)
	c := client(t)
	_, body := get(t, c, e.srv.URL+"/login")
	_ = csrfOf(t, body) // the form carries a token; a fresh one is read below
	creds := url.Values{"username": {"zhangsan"}, "password": {initialPW}}

	// The login form's cookie is present: the field must match it.
	if resp, _ := post(t, c, e.srv.URL+"/login", creds, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login with cookie, no field: %s, want 403", resp.Status)
	}
	_, body = get(t, c, e.srv.URL+"/login")
	tok := csrfOf(t, body)
	bad := url.Values{"username": {"zhangsan"}, "password": {initialPW}, "csrf": {tok + "x"}}
	if resp, _ := post(t, c, e.srv.URL+"/login", bad, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login with wrong token: %s, want 403", resp.Status)
	}
	if resp, _ := post(t, client(t), e.srv.URL+"/login", creds, map[string]string{"Origin": "http://evil.example"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login from another origin: %s, want 403", resp.Status)
	}
	if resp, _ := post(t, client(t), e.srv.URL+"/login", creds, map[string]string{"Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login cross-site: %s, want 403", resp.Status)
	}
	_, body = get(t, c, e.srv.URL+"/login")
	ok := url.Values{"username": {"zhangsan"}, "password": {initialPW}, "csrf": {csrfOf(t, body)}}
	resp, _ := post(t, c, e.srv.URL+"/login", ok, map[string]string{"Origin": e.srv.URL})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/password" {
		t.Fatalf("login with token: %s → %s", resp.Status, resp.Header.Get("Location"))
	}
	// Forced change: every page leads to /password.
	if resp, _ := get(t, c, e.srv.URL+"/"); resp.Header.Get("Location") != "/password" {
		t.Fatalf("home before the change: %s → %s", resp.Status, resp.Header.Get("Location"))
	}
	_, body = get(t, c, e.srv.URL+"/password")
	tok = csrfOf(t, body)
	change := url.Values{"old": {initialPW}, "new": {"Brand-New-Pass-1"}, "confirm": {"Brand-New-Pass-1"}}
	resp, body = post(t, c, e.srv.URL+"/password", change, nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "防伪令牌") {
		t.Fatalf("password change without token: %s\n%s", resp.Status, body)
	}
	change.Set("csrf", "forged")
	if resp, _ := post(t, c, e.srv.URL+"/password", change, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("password change with a forged token: %s", resp.Status)
	}
	change.Set("csrf", tok)
	resp, _ = post(t, c, e.srv.URL+"/password", change, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?changed=1" {
		t.Fatalf("password change with token: %s → %s", resp.Status, resp.Header.Get("Location"))
	}
	// The old token was bound to the old session, which ended.
	if resp, _ := post(t, c, e.srv.URL+"/password", change, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("old token after the change: %s", resp.Status)
	}
	if resp, body := get(t, c, e.srv.URL+"/?changed=1"); resp.StatusCode != 200 || !strings.Contains(body, "密码已修改") {
		t.Fatalf("home after the change: %s\n%s", resp.Status, body)
	}
}

func TestPasswordErrors(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "zhangsan", "", auth.RoleViewer, false)
	c := client(t)
	post(t, c, e.srv.URL+"/login", url.Values{"username": {"zhangsan"}, "password": {initialPW}}, nil)
	for _, tc := range []struct {
		old, nw, confirm, want string
	}{
		{initialPW, "Abcdefgh-1", "Abcdefgh-2", "两次输入的新密码不一致"},
		{"wrong", "Abcdefgh-1", "Abcdefgh-1", "当前密码错误"},
		{initialPW, "short", "short", "密码太短：至少 10 个字符"},
		{initialPW, "abcdefghijk", "abcdefghijk", "至少 3 类"},
		{initialPW, "Zhangsan-2024", "Zhangsan-2024", "不能包含用户名"},
		{initialPW, initialPW, initialPW, "不能与当前密码相同"},
	} {
		_, body := get(t, c, e.srv.URL+"/password")
		resp, body := post(t, c, e.srv.URL+"/password", url.Values{"csrf": {csrfOf(t, body)}, "old": {tc.old}, "new": {tc.nw}, "confirm": {tc.confirm}}, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
			t.Errorf("%s/%s: %s, want %q in\n%s", tc.old, tc.nw, resp.Status, tc.want, body)
		}
	}
}

func TestRoleAndLanguage(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "root", "管理员", auth.RoleAdmin, true)
	c := client(t)
	post(t, c, e.srv.URL+"/login", url.Values{"username": {"root"}, "password": {"Changed-Pass-2024"}}, nil)
	_, body := get(t, c, e.srv.URL+"/")
	for _, w := range []string{`<html lang="zh-CN">`, "值班台", "工单", "巡检", "报表", "设备", "大屏", `href="/admin"`, "管理"} {
		if !strings.Contains(body, w) {
			t.Errorf("zh-CN home lacks %q", w)
		}
	}
	_, body = get(t, c, e.srv.URL+"/?lang=en")
	for _, w := range []string{`<html lang="en">`, "Duty desk", "Tickets", "Inspections", "Wall display", "Administration", "administrator"} {
		if !strings.Contains(body, w) {
			t.Errorf("en home lacks %q", w)
		}
	}
	// The choice is remembered.
	if _, body := get(t, c, e.srv.URL+"/"); !strings.Contains(body, `<html lang="en">`) {
		t.Errorf("language not remembered")
	}
	if _, body := get(t, c, e.srv.URL+"/?lang=xx"); !strings.Contains(body, `<html lang="en">`) {
		t.Errorf("unknown ?lang changed the language")
	}
	resp, body := get(t, c, e.srv.URL+"/tickets")
	if resp.StatusCode != 404 || !strings.Contains(body, "Page not found") {
		t.Errorf("page to come: %s", resp.Status)
	}
}

func TestHostileNames(t *testing.T) {
	e := newEnv(t)
	for i, name := range []string{`<script>alert(1)</script>`, `O'Brien "{{.X}}" {{template "x"}}`} {
		user := []string{"hostile1", "hostile2"}[i]
		e.addUser(t, user, name, auth.RoleViewer, true)
		c := client(t)
		post(t, c, e.srv.URL+"/login", url.Values{"username": {user}, "password": {"Changed-Pass-2024"}}, nil)
		_, body := get(t, c, e.srv.URL+"/")
		if strings.Contains(body, "<script>alert(1)</script>") || strings.Contains(body, `"{{.X}}"`) {
			t.Errorf("name %q not escaped:\n%s", name, body)
		}
		if i == 0 && !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("escaped name missing:\n%s", body)
		}
		if i == 1 && !strings.Contains(body, "O&#39;Brien &#34;{{.X}}&#34;") {
			t.Errorf("escaped quotes missing:\n%s", body)
		}
	}
	// A hostile user name typed at the login form comes back as text.
	resp, body := post(t, client(t), e.srv.URL+"/login", url.Values{"username": {`"><script>alert(1)</script>`}, "password": {"x"}}, nil)
	if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "<script>alert") {
		t.Errorf("login refill: %s\n%s", resp.Status, body)
	}
}

func TestRequireRole(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "viewer", "", auth.RoleViewer, true)
	e.addUser(t, "boss", "", auth.RoleManager, true)
	// A future page guarded by RequireRole, mounted beside the console.
	cons := consoleOf(t, e)
	mux := http.NewServeMux()
	mux.Handle("/reports/secret", cons.RequireRole(auth.RoleManager, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "secret")
	})))
	mux.Handle("/", cons)
	srv := newServer(t, mux)
	for _, tc := range []struct {
		user string
		want int
	}{{"viewer", 403}, {"boss", 200}, {"", 303}} {
		c := client(t)
		if tc.user != "" {
			post(t, c, srv+"/login", url.Values{"username": {tc.user}, "password": {"Changed-Pass-2024"}}, nil)
		}
		if resp, _ := get(t, c, srv+"/reports/secret"); resp.StatusCode != tc.want {
			t.Errorf("%q: %s, want %d", tc.user, resp.Status, tc.want)
		}
	}
}

// TestIdleTimeout: a session unused for 30 minutes ends; the next page is
// the login form saying so, and the audit log has the expiry.
func TestIdleTimeout(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "zhangsan", "", auth.RoleViewer, true)
	c := client(t)
	post(t, c, e.srv.URL+"/login", url.Values{"username": {"zhangsan"}, "password": {"Changed-Pass-2024"}}, nil)
	e.clock.Advance(29 * time.Minute)
	if resp, _ := get(t, c, e.srv.URL+"/"); resp.StatusCode != 200 {
		t.Fatalf("after 29 min: %s", resp.Status)
	}
	e.clock.Advance(30 * time.Minute)
	resp, _ := get(t, c, e.srv.URL+"/")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?expired=1" {
		t.Fatalf("after 30 idle min: %s → %s", resp.Status, resp.Header.Get("Location"))
	}
	// A form posted with the dead session: 401 and the page says why.
	resp, body := post(t, c, e.srv.URL+"/password", url.Values{"csrf": {"x"}}, nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "会话已过期") {
		t.Errorf("POST with an expired session: %s %q\n%s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	if _, body := get(t, c, e.srv.URL+"/login?expired=1"); !strings.Contains(body, "会话已过期") {
		t.Errorf("login page does not say the session ended")
	}
	if got := strings.Join(e.audit.kinds(), ","); !strings.HasSuffix(got, "login,session_expired") {
		t.Errorf("audit = %s", got)
	}
}

// TestSecureCookies: under TLS cookies are Secure and HSTS is sent.
func TestSecureCookies(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "zhangsan", "", auth.RoleViewer, true)
	cons, err := console.New(console.Options{Accounts: e.store, Clock: e.clock, Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(cons)
	defer srv.Close()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := post(t, c, srv.URL+"/login", url.Values{"username": {"zhangsan"}, "password": {"Changed-Pass-2024"}}, map[string]string{"Origin": srv.URL})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login over TLS: %s", resp.Status)
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("no HSTS under TLS")
	}
	for _, ck := range resp.Cookies() {
		if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %s: Secure %v HttpOnly %v SameSite %v", ck.Name, ck.Secure, ck.HttpOnly, ck.SameSite)
		}
	}
	// An http:// origin is another origin.
	if resp, _ := post(t, c, srv.URL+"/login", url.Values{"username": {"zhangsan"}, "password": {"x"}}, map[string]string{"Origin": strings.Replace(srv.URL, "https", "http", 1)}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("http origin on https: %s", resp.Status)
	}
}
