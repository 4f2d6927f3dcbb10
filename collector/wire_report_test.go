package collector

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/xuri/excelize/v2"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/report/reporttest"
)

// TestServeMonthlyReport serves the monthly report over the reporttest data
// directory (real tickets, inspections and TSDB) and reads the workbook back.
func TestServeMonthlyReport(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 10, 3, 10, 0, 0, 0, reporttest.Shanghai())
	clk := clockwork.NewFakeClockAt(now)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Global.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Global.Bureau = "某县公安局"
	reporttest.Build(t, cfg.Global.DataDir, now)
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Rules.Files = nil
	cfg.Scrape = nil
	cfg.Tickets.Rules = filepath.Join(root, "rules", "fault-levels.yml")
	cfg.SLA.Dir = filepath.Join(root, "rules", "sla")
	cfg.SLA.Holidays = filepath.Join(root, "rules", "calendars", "cn-holidays.yml")
	cfg.Inspections.Templates = filepath.Join(root, "rules", "inspections")
	cfg.Tickets.Auth.Tokens = []auth.Token{{Name: "viewer", Token: "rep-viewer-token-0", Role: auth.RoleViewer}}
	cfg.Inventory = *reporttest.ParseInventory(t)
	// No probes: the fixture's addresses are not on loopback.
	cfg.Probes.ByClass = map[inventory.Class][]string{}
	for _, c := range inventory.Classes() {
		cfg.Probes.ByClass[c] = []string{}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, base := startServeWith(t, Options{Config: cfg, Clock: clk, Logger: discard()})
	// serve rolls up every complete day of the TSDB at start: September and
	// 1–2 October. The report reads those days from the roll-ups from then
	// on, with the same numbers (checked below).
	waitUntil(t, "the daily roll-ups through 2026-10-02", 30*time.Second, func() bool {
		last, err := srv.stores.Rollups.Last(context.Background())
		return err == nil && last == "2026-10-02"
	})
	// The scheduled reports (defaults: the daily log at 08:00, the monthly
	// report on the 1st at 08:30) catch up their latest due run, after the
	// data directory's first start (the fixture's first inspection, in
	// September): September's monthly report is kept under reports/.
	waitUntil(t, "September's monthly report delivered to reports/", 60*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(cfg.Global.DataDir, "reports", "monthly-2026-09.sent.json"))
		return err == nil
	})
	for _, f := range []string{"monthly-2026-09.html", "monthly-2026-09.xlsx", "daily-2026-10-02.html"} {
		if _, err := os.Stat(filepath.Join(cfg.Global.DataDir, "reports", f)); err != nil {
			t.Errorf("scheduled report: %v", err)
		}
	}
	base += "/api/v1/reports/monthly"
	if code, _ := call(t, "GET", base+"?month=2026-09", "", "", nil); code != http.StatusUnauthorized {
		t.Errorf("without a token: HTTP %d, want 401", code)
	}
	if code, body := call(t, "GET", base+"?month=2026-13", "rep-viewer-token-0", "", nil); code != http.StatusBadRequest || !strings.Contains(body, "YYYY-MM") {
		t.Errorf("bad month: HTTP %d %s, want 400", code, body)
	}
	code, body := call(t, "GET", base+"?month=2026-09", "rep-viewer-token-0", "", nil)
	if code != http.StatusOK || !strings.Contains(body, "某县公安局 每月故障总结报告") || !strings.Contains(body, "99.31%") {
		t.Fatalf("html: HTTP %d\n%.400s", code, body)
	}
	resp := do(t, "GET", base+"?month=2026-09&format=xlsx", "rep-viewer-token-0", "", nil)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("xlsx: HTTP %d", resp.StatusCode)
	}
	x, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, err := exec.LookPath("chromium"); err == nil {
		// documents.chromium is empty: found on PATH.
		pdfResp := do(t, "GET", base+"?month=2026-09&format=pdf", "rep-viewer-token-0", "", nil)
		b, _ := io.ReadAll(pdfResp.Body)
		pdfResp.Body.Close()
		if pdfResp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte("%PDF-")) ||
			pdfResp.Header.Get("Content-Disposition") != `attachment; filename="monthly-2026-09.pdf"` {
			t.Errorf("pdf: HTTP %d, %d bytes %.20q, %s", pdfResp.StatusCode, len(b), b, pdfResp.Header.Get("Content-Disposition"))
		}
	}
	for sheet, cells := range map[string]map[string]string{
		"概况":      {"B7": "4", "B9": "3", "B18": "12分钟"},
		"SLA计时":   {"A5": "修复 resolve", "C5": "1"},
		"可用率最低设备": {"B2": "北关路口 (cam-002)", "E2": "99.31%"},
		"巡检完成情况":  {"B2": "30", "C2": "28"},
	} {
		for c, v := range cells {
			if got, err := x.GetCellValue(sheet, c); err != nil || got != v {
				t.Errorf("%s!%s = %q (%v), want %q", sheet, c, got, err, v)
			}
		}
	}
}

// TestServeEveryReport: every report kind is served over HTTP, from the
// same stores serve holds; a period is optional (the last complete one) and
// an unknown kind is 404.
func TestServeEveryReport(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 10, 3, 10, 0, 0, 0, reporttest.Shanghai())
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Global.DataDir = filepath.Join(t.TempDir(), "data")
	reporttest.Build(t, cfg.Global.DataDir, now)
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Rules.Files = nil
	cfg.Scrape = nil
	cfg.Tickets.Rules = filepath.Join(root, "rules", "fault-levels.yml")
	cfg.SLA.Dir = filepath.Join(root, "rules", "sla")
	cfg.SLA.Holidays = filepath.Join(root, "rules", "calendars", "cn-holidays.yml")
	cfg.Inspections.Templates = filepath.Join(root, "rules", "inspections")
	cfg.Auth.Tokens = []auth.Token{{Name: "viewer", Token: "rep-viewer-token-1", Role: auth.RoleViewer}}
	// No Chromium here: the PDFs answer 503 and say why.
	cfg.Documents.Chromium = filepath.Join(t.TempDir(), "no-chromium")
	cfg.Inventory = *reporttest.ParseInventory(t)
	cfg.Probes.ByClass = map[inventory.Class][]string{}
	for _, c := range inventory.Classes() {
		cfg.Probes.ByClass[c] = []string{}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	_, base := startServeWith(t, Options{Config: cfg, Clock: clockwork.NewFakeClockAt(now), Logger: discard()})
	base += "/api/v1/reports/"
	for _, tc := range []struct{ path, want string }{
		{"daily?date=2026-09-15", "每日运维服务日志"},
		{"daily", "2026-10-02"}, // yesterday on the fake clock
		{"monthly", "2026-09"},  // last month
		{"quarterly?quarter=2026Q3", "季度设备与系统管理报告"},
		{"assets", "资产"},
	} {
		code, body := call(t, "GET", base+tc.path, "rep-viewer-token-1", "", nil)
		if code != http.StatusOK || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: HTTP %d, want 200 with %q\n%.300s", tc.path, code, tc.want, body)
		}
	}
	// One ticket's reports: ticket 1 is cam-002's level III fault.
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"fault/1", http.StatusOK, "故障处理报告"},
		{"fault/1", http.StatusOK, "ticket_events"}, // the chain head, from serve's own store
		{"fault/1?format=html", http.StatusOK, "光纤收发器掉电"},
		{"fault/1?format=xlsx", http.StatusOK, "PK"},
		{"fault/1?format=pdf", http.StatusServiceUnavailable, "Chromium is not installed"},
		{"monthly?format=pdf", http.StatusServiceUnavailable, "print it to PDF from the browser"},
		{"fault/1?format=doc", http.StatusBadRequest, "format"},
		{"major/1", http.StatusConflict, "level I"},
		{"fault/999", http.StatusNotFound, "not found"},
		{"fault/x", http.StatusNotFound, "ticket id"},
		{"minor/1", http.StatusNotFound, "fault or major"},
	} {
		code, body := call(t, "GET", base+tc.path, "rep-viewer-token-1", "", nil)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: HTTP %d, want %d with %q\n%.300s", tc.path, code, tc.code, tc.want, body)
		}
	}
	if code, _ := call(t, "GET", base+"fault/1", "", "", nil); code != http.StatusUnauthorized {
		t.Errorf("ticket report without a token: HTTP %d, want 401", code)
	}
	if code, _ := call(t, "GET", base+"weekly", "rep-viewer-token-1", "", nil); code != http.StatusNotFound {
		t.Errorf("unknown report: HTTP %d, want 404", code)
	}
	if code, _ := call(t, "POST", base+"daily", "rep-viewer-token-1", "", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("POST: HTTP %d, want 405", code)
	}
	if code, _ := call(t, "GET", base+"daily", "", "", nil); code != http.StatusUnauthorized {
		t.Errorf("no token: HTTP %d, want 401", code)
	}
}
