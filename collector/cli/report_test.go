package cli

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/internal/promapi"
	"github.com/roomwatch/roomwatch/internal/report/reporttest"
	"github.com/roomwatch/roomwatch/internal/store"
)

// reportDataDir builds the reporttest data directory and a config pointing at it.
func reportDataDir(t *testing.T) (cfg, out string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	reporttest.Build(t, data, time.Now())
	tmpl := filepath.Join(dir, "inspections")
	if err := os.MkdirAll(tmpl, 0o750); err != nil {
		t.Fatal(err)
	}
	daily, err := os.ReadFile(filepath.Join(root, "rules/inspections/daily.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmpl, "daily.yml"), daily, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(dir, "collector.yml")
	body := fmt.Sprintf("global:\n  bureau: 某县公安局\n  data_dir: '%[2]s'\n"+
		"rules:\n  files: ['%[1]s/rules/alerts/*.yml']\nscrape: []\n"+
		"inspections:\n  templates: '%[3]s'\n"+
		"tickets:\n  rules: '%[1]s/rules/fault-levels.yml'\n"+
		"sla:\n  dir: '%[1]s/rules/sla'\n  holidays: '%[1]s/rules/calendars/cn-holidays.yml'\n", root, data, tmpl) + reporttest.Inventory
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, filepath.Join(dir, "out")
}

// TestReportMonthlyCLI runs `report monthly` over a data directory built with
// the real stores and checks the numbers in the workbook and the page.
func TestReportMonthlyCLI(t *testing.T) {
	t.Parallel()
	cfg, out := reportDataDir(t)
	code, stdout, stderr := run(t, "report", "monthly", "--month", reporttest.Month, "--config", cfg, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	htmlPath, xlsxPath := filepath.Join(out, "monthly-2026-09.html"), filepath.Join(out, "monthly-2026-09.xlsx")
	if stdout != htmlPath+"\n"+xlsxPath+"\n" {
		t.Errorf("stdout %q", stdout)
	}
	for _, p := range []string{"可用率 availability 2026-09", "巡检 inspections 2026-09", "完成 done"} {
		if !strings.Contains(stderr, p) {
			t.Errorf("progress lacks %q:\n%s", p, stderr)
		}
	}
	x, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	want := map[string]map[string]string{
		"概况":      {"B3": "2026-09-01 至 2026-09-30", "B7": "4", "B9": "3", "B18": "12分钟", "B21": "93.33%"},
		"故障分级分类":  {"A3": "II级 严重", "G3": "3"},
		"SLA计时":   {"A5": "修复 resolve", "B5": "3", "C5": "1", "H5": "2小时00分"},
		"可用率最低设备": {"B2": "北关路口 (cam-002)", "E2": "99.31%", "F2": "5小时00分"},
		"巡检完成情况":  {"B2": "30", "C2": "28"},
	}
	for sh, cells := range want {
		for c, v := range cells {
			if got, err := x.GetCellValue(sh, c); err != nil || got != v {
				t.Errorf("%s!%s = %q (%v), want %q", sh, c, got, err, v)
			}
		}
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"某县公安局 每月故障总结报告", "99.31%", "12分钟", "修复超时2小时00分"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func TestReportOtherKindsCLI(t *testing.T) {
	t.Parallel()
	cfg, out := reportDataDir(t)
	for _, tc := range []struct {
		args []string
		file string
		has  string
	}{
		{[]string{"daily", "--date", "2026-09-10", "--format", "html"}, "daily-2026-09-10.html", "北关路口 (cam-002)"},
		{[]string{"quarterly", "--quarter", "2026Q3", "--format", "html"}, "quarterly-2026Q3.html", "PSU-2026-0912"},
		{[]string{"assets", "--format", "html"}, "assets-" + time.Now().In(reporttest.Shanghai()).Format("2006-01-02") + ".html", "DS-2CD2T47G2-L20230101"},
	} {
		args := append(append([]string{"report"}, tc.args...), "--config", cfg, "--out", out)
		code, _, stderr := run(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", tc.args, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.has) {
			t.Errorf("%s lacks %q", tc.file, tc.has)
		}
		if _, err := os.Stat(filepath.Join(out, strings.TrimSuffix(tc.file, ".html")+".xlsx")); err == nil {
			t.Errorf("--format html wrote an xlsx too")
		}
	}
}

func TestReportCLIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report"}, 2, "usage"},
		{[]string{"report", "weekly"}, 2, "unknown report"},
		{[]string{"report", "monthly", "--month", "2026-13"}, 2, "want YYYY-MM"},
		{[]string{"report", "monthly", "--month", "November"}, 2, "want YYYY-MM"},
		{[]string{"report", "daily", "--date", "2026-02-30"}, 2, "want YYYY-MM-DD"},
		{[]string{"report", "quarterly", "--quarter", "2026Q5"}, 2, "want YYYYQn"},
		{[]string{"report", "monthly", "--format", "pdf"}, 2, "--format"},
		{[]string{"report", "monthly", "extra"}, 2, "unexpected argument"},
		{[]string{"report", "monthly", "--config", "/nonexistent/collector.yml"}, 2, "nonexistent"},
	}
	for _, tc := range tests {
		code, _, stderr := run(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
}

// TestReportWhileCollectorRuns holds the data directory's lock (and the
// TSDB) as a running collector does and serves its query API: the command
// says so and reads the metrics through the API at the address the lock
// records, whatever the config's web.listen_address says.
func TestReportWhileCollectorRuns(t *testing.T) {
	t.Parallel()
	cfg, out := reportDataDir(t)
	data := filepath.Join(filepath.Dir(cfg), "data")
	st, err := store.Open(store.Options{Dir: filepath.Join(data, "tsdb"), Retention: 400 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promapi.New(promapi.Options{Engine: st.Engine(), Queryable: st})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	lock, err := collector.DataDir{Root: data}.Acquire(collector.Holder{Command: "serve", Listen: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Release() })
	code, _, stderr := run(t, "report", "monthly", "--month", reporttest.Month, "--config", cfg, "--out", out, "--format", "html")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "is held by roomwatch-collector serve (pid ") {
		t.Errorf("stderr does not name the running collector:\n%s", stderr)
	}
	if !strings.Contains(stderr, "querying http://"+ln.Addr().String()) {
		t.Errorf("stderr does not say it used the query API:\n%s", stderr)
	}
	page, err := os.ReadFile(filepath.Join(out, "monthly-2026-09.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "99.31%") {
		t.Error("page lacks cam-002's 99.31% read through the API")
	}
}
