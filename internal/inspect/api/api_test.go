package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/xuri/excelize/v2"

	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
)

func TestAPI(t *testing.T) {
	t.Parallel()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 22, 8, 30, 0, 0, sh))
	st, err := inspect.OpenStore(filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tm, err := inspect.ParseTemplate("y.yml", []byte("name: yearly\ntitle: 年度防雷接地检测记录表\nrhythm: yearly\nitems: [{id: lightning_test, name: 防雷接地检测, name_en: Lightning test, scope: site, manual: {hint: 接地电阻}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{Sites: []inventory.Site{{Name: "central", DisplayName: "情指中心机房"}}}
	r, err := inspect.NewRunner(inspect.Options{Inventory: inv, Store: st, Clock: clk, Location: sh})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Store: st, Runner: r, Templates: []*inspect.Template{tm}, Clock: clk}))
	defer srv.Close()
	call := func(method, path, body string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
		}
		return b
	}
	var in inspect.Inspection
	if err := json.Unmarshal(call("POST", "/api/v1/inspections", `{"template":"yearly","actor":"张工"}`, 201), &in); err != nil {
		t.Fatal(err)
	}
	if in.ID != 1 || len(in.Rows) != 1 || in.Rows[0].Verdict != inspect.Pending || in.Trigger != "api" {
		t.Fatalf("run %+v", in)
	}
	call("POST", "/api/v1/inspections", `{"template":"nope"}`, 404)
	call("POST", "/api/v1/inspections", `{"templat":"yearly"}`, 400)
	call("GET", "/api/v1/inspections/99", "", 404)
	call("POST", "/api/v1/inspections/1/signatures", `{"role":"engineer","user":"张工"}`, 409)
	call("POST", "/api/v1/inspections/1/items", `{"device":"central","item":"lightning_test","verdict":"normal","value":2.1,"note":"接地电阻2.1Ω","user":"张工"}`, 200)
	call("POST", "/api/v1/inspections/1/signatures", `{"role":"engineer","user":"张工"}`, 200)
	call("POST", "/api/v1/inspections/1/signatures", `{"role":"customer","user":"李明","title":"科长"}`, 200)
	var got inspect.Inspection
	if err := json.Unmarshal(call("GET", "/api/v1/inspections/1", "", 200), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != "countersigned" || got.Rows[0].Value == nil || *got.Rows[0].Value != 2.1 || got.Rows[0].CheckedBy != "张工" {
		t.Errorf("after completion %+v", got)
	}
	var list struct{ Inspections []inspect.Summary }
	if err := json.Unmarshal(call("GET", "/api/v1/inspections?template=yearly", "", 200), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Inspections) != 1 || list.Inspections[0].Status != "countersigned" {
		t.Errorf("list %+v", list)
	}
	html := call("GET", "/api/v1/inspections/1.html", "", 200)
	if !bytes.Contains(html, []byte("接地电阻2.1Ω")) || !bytes.Contains(html, []byte("李明 科长")) {
		t.Errorf("html sheet lacks the completion or the countersignature")
	}
	x, err := excelize.OpenReader(bytes.NewReader(call("GET", "/api/v1/inspections/1.xlsx", "", 200)))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := x.GetCellValue("巡检检查表", "G6"); v != "2.1" {
		t.Errorf("xlsx G6 = %q", v)
	}
	x.Close()
	// No PDF printer here: 503 saying to print the HTML from the browser.
	if b := call("GET", "/api/v1/inspections/1.pdf", "", 503); !bytes.Contains(b, []byte("Chromium is not installed")) {
		t.Errorf("pdf without a printer: %s", b)
	}
}
