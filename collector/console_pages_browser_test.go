package collector

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/console/browsertest"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

const pagesTemplate = `name: daily
title: 每日巡检检查表
title_en: Daily check sheet
rhythm: daily
schedule: "0 3 1 1 *"
items:
  - id: room_walk
    name: 机房巡视
    name_en: Machine room walk-through
    scope: site
    manual: {hint: 查看指示灯}
`

// hostile is a device's display name that must reach every page as text.
const hostile = `<script>alert(1)</script>`

// consolePagesEnv is a real roomwatch-collector with an admin, an engineer
// and the bureau's representative (passwords already changed), one
// inspection template with a manual item, and a device with a hostile name.
type consolePagesEnv struct {
	base, data string
}

const pagesPW = "Changed-Pass-2024"

func startConsolePages(t *testing.T) consolePagesEnv {
	t.Helper()
	bin := buildCollector(t)
	root, err := testutil.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	tdir := filepath.Join(dir, "inspections")
	if err := os.MkdirAll(tdir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tdir, "daily.yml"), []byte(pagesTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, fmt.Sprintf(`global: {data_dir: %q, bureau: 某县公安局}
inspections: {templates: %q}
inventory:
  sites: [{name: central, display_name: 情指中心机房}]
  devices:
    - {name: srv1, display_name: %q, class: server, address: 127.0.0.1, site: central, probes: [tcp], probe_options: {tcp_ports: [1]}}
tickets: {rules: %q, audit_file: %q}
sla: {dir: %q, holidays: %q}
`, data, tdir, hostile, filepath.Join(root, "rules", "fault-levels.yml"), filepath.Join(dir, "audit.jsonl"),
		filepath.Join(root, "rules", "sla"), filepath.Join(root, "rules", "calendars", "cn-holidays.yml")))
	for _, u := range []struct{ name, display, role string }{
		{"admin", "管理员", "admin"}, {"zhanggong", "张工", "engineer"}, {"liming", "李明", "customer"},
	} {
		cmd := exec.Command(bin, "user", "add", u.name, "--role", u.role, "--display-name", u.display, "--password-stdin", "--config", cfg)
		cmd.Stdin = strings.NewReader("Initial-Pass-2024\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("user add %s: %v\n%s", u.name, err, out)
		}
	}
	// The first login's forced change is covered by the console's tests.
	st, err := accounts.Open(context.Background(), accounts.Options{Path: filepath.Join(data, accounts.FileName)})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"admin", "zhanggong", "liming"} {
		if _, err := st.ChangePassword(context.Background(), n, "Initial-Pass-2024", pagesPW, "test"); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	startBinary(t, bin, dir, "--config", cfg, "--web.listen-address", addr)
	base := "http://" + addr
	testutil.WaitHTTP(t, base+"/-/ready", 30*time.Second)
	return consolePagesEnv{base: base, data: data}
}

func pagesLogin(b *browsertest.Browser, base, user string) {
	b.Navigate(base + "/login")
	b.Type("#username", user)
	b.Type("#password", pagesPW)
	b.ClickAndWait("button[type=submit]")
}

func photoFile(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		for y := 0; y < 48; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cabinet.png")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConsolePagesBrowser drives Chromium against the real collector: an
// engineer on a 360 px phone runs an inspection, completes its manual item
// with a photo and signs; the bureau's representative countersigns from
// its own account; the admin adds an account and issues an API token that
// works against the API and a kiosk token that opens the wall display;
// the devices pages show a hostile name as text and draw their charts.
func TestConsolePagesBrowser(t *testing.T) {
	testutil.LookBinary(t, "chromium")
	e := startConsolePages(t)
	chrome := browsertest.Start()
	defer chrome.Close()
	phone := browsertest.Options{Width: 360, Height: 740, Mobile: true, Timeout: 3 * time.Minute}

	// The engineer, on a phone.
	eng := chrome.New(t, phone)
	pagesLogin(eng, e.base, "zhanggong")
	eng.Navigate(e.base + "/inspections")
	eng.Screenshot("inspections-phone")
	eng.ClickAndWait("#run-form button[type=submit]")
	if got := browsertest.Eval[string](eng, "location.pathname"); got != "/inspections/1" {
		t.Fatalf("run now led to %s", got)
	}
	if n := browsertest.Eval[int](eng, `document.querySelectorAll("#pending-rows .complete-form").length`); n != 1 {
		t.Fatalf("%d pending manual forms, want 1", n)
	}
	if w := browsertest.Eval[int](eng, "document.documentElement.scrollWidth"); w > 360 {
		t.Errorf("the sheet is %d px wide on a 360 px phone", w)
	}
	if acc := browsertest.Eval[string](eng, `document.querySelector("#pending-rows input[type=file]").accept + " " + document.querySelector("#pending-rows input[type=file]").getAttribute("capture")`); acc != "image/* environment" {
		t.Errorf("photo input: %q", acc)
	}
	eng.Screenshot("pending-phone")
	browsertest.Eval[bool](eng, `(document.querySelector("#pending-rows input[value=normal]").checked = true)`)
	eng.Type("#note-0", "指示灯正常，\"引号\" {{ 无异常")
	eng.Do(chromedp.SetUploadFiles(chromedp.CSS("#photo-0"), []string{photoFile(t)}))
	eng.ClickAndWait("#pending-rows button[type=submit]")
	if msg := eng.Text(".msg"); msg != "已记录检查结果。" {
		t.Errorf("after recording: %q", msg)
	}
	if note := eng.Text("#notable-rows .note"); note != "指示灯正常，\"引号\" {{ 无异常" {
		t.Errorf("note shown as %q", note)
	}
	if _, err := chromedp.Run(eng.Ctx(), chromedp.Poll[bool](`(function(){var i=document.querySelector("#notable-rows img.thumb");return i!==null&&i.complete&&i.naturalWidth===64})()`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("the uploaded photo is not shown: %v", err)
	}
	eng.ClickAndWait("#sign-form button[type=submit]")
	if st := eng.Text("#sheet-status"); st != "待甲方确认" {
		t.Errorf("after the engineer signed: %q", st)
	}
	if n := browsertest.Eval[int](eng, `document.querySelectorAll("#countersign-form").length`); n != 0 {
		t.Error("the engineer is offered the customer's countersignature")
	}
	eng.Screenshot("signed-phone")
	eng.Check()

	// The bureau's representative, from its own account.
	cust := chrome.New(t, phone)
	pagesLogin(cust, e.base, "liming")
	cust.Navigate(e.base + "/inspections/1")
	if n := browsertest.Eval[int](cust, `document.querySelectorAll("#sign-form, .complete-form").length`); n != 0 {
		t.Error("the customer is offered the engineer's forms")
	}
	cust.Type("#cs-title", "科长")
	cust.ClickAndWait("#countersign-form button[type=submit]")
	if st := cust.Text("#sheet-status"); st != "甲方已确认" {
		t.Errorf("after the countersignature: %q", st)
	}
	sigs := cust.Text("#signatures")
	for _, want := range []string{"巡检工程师", "张工 (zhanggong)", "甲方代表", "李明 (liming)", "科长"} {
		if !strings.Contains(sigs, want) {
			t.Errorf("signatures %q lack %q", sigs, want)
		}
	}
	cust.Screenshot("countersigned-phone")
	cust.Navigate(e.base + "/inspections/1.html")
	if body := cust.Text("body"); !strings.Contains(body, "李明 (liming)") || !strings.Contains(body, "指示灯正常") {
		t.Errorf("the downloaded HTML sheet lacks the countersignature or the note")
	}
	cust.Screenshot("sheet-html")
	// A customer may not run inspections or open the administration.
	cust.Allow(403)
	cust.Navigate(e.base + "/admin")
	if got := cust.Text("h1"); got != "禁止访问" && !strings.Contains(got, "禁止") {
		t.Errorf("customer on /admin: %q", got)
	}
	cust.Check()

	// The admin: an account, an API token, a kiosk token.
	adm := chrome.New(t, browsertest.Options{})
	pagesLogin(adm, e.base, "admin")
	adm.Navigate(e.base + "/admin")
	browsertest.Eval[bool](adm, `(document.getElementById("add-user-box").open = true)`)
	adm.Type("#u-name", "wangwu")
	adm.Type("#u-display", hostile)
	browsertest.Eval[bool](adm, `(document.getElementById("u-role").value = "viewer", true)`)
	adm.Type("#u-password", "Initial-Pass-2024")
	adm.ClickAndWait("#add-user button[type=submit]")
	if got := adm.Text(`tr[data-user="wangwu"] strong`); got != hostile {
		t.Errorf("new account's name shown as %q", got)
	}
	adm.Type("#t-name", "alertmanager")
	browsertest.Eval[bool](adm, `(document.getElementById("t-role").value = "viewer", true)`)
	adm.ClickAndWait("#issue-token button[type=submit]")
	apiTok := adm.Text("#new-secret")
	if code := apiGet(t, e.base+"/api/v1/inspections", apiTok); code != http.StatusOK {
		t.Errorf("the issued API token: %d on /api/v1/inspections, want 200", code)
	}
	if code := apiGet(t, e.base+"/api/v1/inspections", apiTok+"x"); code != http.StatusUnauthorized {
		t.Errorf("a wrong token: %d, want 401", code)
	}
	adm.Screenshot("admin-token")
	adm.Type("#t-name", "指挥中心大屏")
	browsertest.Eval[bool](adm, `(document.getElementById("t-kind").value = "kiosk", true)`)
	adm.ClickAndWait("#issue-token button[type=submit]")
	kiosk := browsertest.Eval[string](adm, `document.getElementById("new-kiosk").getAttribute("href")`)
	// Revoking the API token ends it.
	adm.ClickAndWait(`tr[data-token="alertmanager"] button[type=submit]`)
	if code := apiGet(t, e.base+"/api/v1/inspections", apiTok); code != http.StatusUnauthorized {
		t.Errorf("the revoked API token: %d, want 401", code)
	}
	adm.Type(`#audit-search input[name=q]`, "token_issue")
	adm.ClickAndWait("#audit-search button[type=submit]")
	if n := browsertest.Eval[int](adm, `document.querySelectorAll("#audit tbody tr").length`); n != 2 {
		t.Errorf("audit search token_issue: %d lines, want 2", n)
	}
	adm.Screenshot("admin-audit")

	// Devices: the hostile name as text, the charts drawn.
	adm.Navigate(e.base + "/devices")
	if got := adm.Text("#device-table a.dev"); got != hostile {
		t.Errorf("device list shows %q", got)
	}
	adm.Screenshot("devices")
	adm.Navigate(e.base + "/devices/srv1")
	if got := adm.Text("h1.dev"); got != hostile {
		t.Errorf("device page shows %q", got)
	}
	if _, err := chromedp.Run(adm.Ctx(), chromedp.Poll[bool](`document.getElementById("charts").dataset.drawn === "1" && document.querySelectorAll("#charts svg").length === 4`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Errorf("charts not drawn: %v (%v)", err, adm.Problems())
	}
	adm.Screenshot("device")
	adm.Navigate(e.base + "/reports")
	adm.Screenshot("reports")
	adm.Check()

	// The wall display: refused without a token, shown with the kiosk token.
	wall := chrome.New(t, browsertest.Options{Width: 1920, Height: 1080})
	wall.Allow(401)
	wall.Navigate(e.base + "/wall")
	if got := wall.Text(".err"); !strings.Contains(got, "大屏令牌") {
		t.Errorf("wall without a token: %q", got)
	}
	wall.Navigate(e.base + "/wall?k=bogus")
	if n := browsertest.Eval[int](wall, `document.querySelectorAll("#wall-panel").length`); n != 0 {
		t.Error("the wall shows with a bogus token")
	}
	wall.Drain()
	wall.Navigate(e.base + kiosk)
	if got := wall.Text("#wall-classes"); !strings.Contains(got, "服务器") {
		t.Errorf("wall classes: %q", got)
	}
	if got := wall.Text("#wall-insp"); got != "1 / 1" {
		t.Errorf("wall inspections today: %q", got)
	}
	first := browsertest.Eval[string](wall, `document.getElementById("wall-panel").dataset.now`)
	start := time.Now()
	if _, err := chromedp.Run(wall.Ctx(), chromedp.Poll[bool](`document.getElementById("wall-panel").dataset.now !== `+fmt.Sprintf("%q", first), chromedp.WithPollingTimeout(35*time.Second))); err != nil {
		t.Errorf("the wall did not refresh itself: %v", err)
	}
	t.Logf("wall display refreshed itself after %v", time.Since(start).Round(100*time.Millisecond))
	if fr := wallFrameHeader(t, e.base+kiosk); fr != "SAMEORIGIN" {
		t.Errorf("wall X-Frame-Options %q, want SAMEORIGIN", fr)
	}
	wall.Screenshot("wall")
	wall.Check()
}

func apiGet(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func wallFrameHeader(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("X-Frame-Options")
}
