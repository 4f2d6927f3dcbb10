package report

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/xuri/excelize/v2"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/registry"
	"github.com/roomwatch/roomwatch/internal/report/reporttest"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// fixture is the reporttest data directory opened through the real stores,
// with a Reporter on a fake clock at 2026-10-03 10:00 Asia/Shanghai.
type fixture struct {
	r   *Reporter
	now time.Time
	st  *store.Store
	// tclk is the ticket service's clock (it evaluates timers at its now).
	tclk *clockwork.FakeClock
}

// newFixture builds the data directory in a temp dir and opens it.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return buildFixture(t, t.TempDir())
}

func buildFixture(t testing.TB, base string) *fixture {
	return buildFixtureWith(t, base, nil)
}

// buildFixtureWith is buildFixture with extra data written by more(dir)
// before the stores are opened.
func buildFixtureWith(t testing.TB, base string, more func(dir string)) *fixture {
	loc := reporttest.Shanghai()
	now := time.Date(2026, 10, 3, 10, 0, 0, 0, loc)
	dir := filepath.Join(base, "data")
	reporttest.Build(t, dir, now)
	if more != nil {
		more(dir)
	}
	tclk := clockwork.NewFakeClockAt(now)
	env := ticketstest.NewAt(t, filepath.Join(dir, "tickets.db"), tclk, nil)
	ins, err := inspect.OpenStore(filepath.Join(dir, "inspections.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ins.Close() })
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "tsdb"), Retention: 400 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := registry.Open(registry.Options{Path: filepath.Join(dir, "agents.json"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Sources{Tickets: env.Service, History: env.Store, Inspections: ins, Metrics: st.PromQL(), Series: st,
		Inventory: reporttest.ParseInventory(t), Agents: reg, Templates: []*inspect.Template{reporttest.DailyTemplate()}},
		Options{Bureau: "某县公安局", Location: loc, Clock: clockwork.NewFakeClockAt(now)})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{r: r, now: now, st: st, tclk: tclk}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\n%s", p, got)
	}
}

func monthly(t *testing.T) (*fixture, *Monthly) {
	f := newFixture(t)
	p, err := Month(reporttest.Month, f.r.o.Location)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.r.Monthly(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return f, m
}

func TestMonthlyNumbers(t *testing.T) {
	t.Parallel()
	_, m := monthly(t)
	if got := m.Faults.ByLevel[classify.LevelII]; got != 3 {
		t.Errorf("level II faults = %d, want 3", got)
	}
	if got := m.Faults.ByLevel[classify.LevelIII]; got != 1 {
		t.Errorf("level III faults = %d, want 1", got)
	}
	if m.Faults.Total != 4 || m.Faults.Cancelled != 1 {
		t.Errorf("total %d cancelled %d, want 4 and 1", m.Faults.Total, m.Faults.Cancelled)
	}
	if m.Mean.MTTA != 12*time.Minute || m.Mean.NAcked != 4 {
		t.Errorf("MTTA %v over %d, want 12m over 4", m.Mean.MTTA, m.Mean.NAcked)
	}
	// Per person, from the fixture's timeline: 张工 acknowledged the camera
	// fault at 12 minutes and resolved it; 李工 the three UPS faults, each at
	// 12 minutes, and replaced one part; 王科长 closed the three and rated
	// 张工's fix 4 at the follow-up. The
	// cancellation and the system's events count for nobody.
	wantEng := []EngineerStats{
		{Name: "张工", Acks: 1, AckMean: 12 * time.Minute, Resolved: 1, Satisfaction: 4, Rated: 1},
		{Name: "李工", Acks: 3, AckMean: 12 * time.Minute, Resolved: 3, Parts: 1},
		{Name: "王科长", Closed: 3},
	}
	if !slices.Equal(m.Engineers, wantEng) {
		t.Errorf("engineers = %+v, want %+v", m.Engineers, wantEng)
	}
	// MTTR is opening → resolution (docs/sla.md): cam 7h (recovered at 5h,
	// resolved at 09:00), ups 5h, 26h, 2h → 40h/4 = 10h.
	if m.Mean.MTTR != 10*time.Hour {
		t.Errorf("MTTR %v, want 10h", m.Mean.MTTR)
	}
	var resolve *TimerStats
	for i := range m.Timers {
		if m.Timers[i].Name == "resolve" {
			resolve = &m.Timers[i]
		}
	}
	if resolve == nil || resolve.Breached != 1 || resolve.Met != 3 || resolve.BreachMax != 2*time.Hour {
		t.Errorf("resolve timer stats %+v, want 3 met, 1 breached by 2h", resolve)
	}
	var cam *DeviceAvail
	for i := range m.Worst {
		if m.Worst[i].Device == "cam-002" {
			cam = &m.Worst[i]
		}
	}
	if cam == nil || m.Worst[0].Device != "cam-002" {
		t.Fatalf("worst devices %+v: want cam-002 first", m.Worst)
	}
	if got := cellText(Pct(cam.Availability)); got != "99.31%" || cam.Down != 5*time.Hour {
		t.Errorf("cam-002 availability %s down %v, want 99.31%% and 5h", got, cam.Down)
	}
	if m.Worst[1].Device != "ups1" || cellText(Pct(m.Worst[1].Availability)) != "99.93%" {
		t.Errorf("second worst %+v, want ups1 at 99.93%%", m.Worst[1])
	}
	in := m.Inspections
	if in.Due != 30 || in.Done != 28 || in.Abnormal != 1 || in.Pending != 2 || in.Signed != 20 || in.Counter != 10 {
		t.Errorf("inspections %+v", in)
	}
	if got := cellText(Pct(in.Completion())); got != "93.33%" {
		t.Errorf("completion %s, want 93.33%%", got)
	}
}

func TestReportsGolden(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	loc := f.r.o.Location
	day, _ := Day("2026-09-10", loc)
	quarter, _ := Quarter("2026Q3", loc)
	month, _ := Month(reporttest.Month, loc)
	build := map[string]func() (*Document, error){
		"daily": func() (*Document, error) {
			d, err := f.r.Daily(ctx, day)
			if err != nil {
				return nil, err
			}
			return d.Document(f.r), nil
		},
		"monthly": func() (*Document, error) {
			m, err := f.r.Monthly(ctx, month)
			if err != nil {
				return nil, err
			}
			return m.Document(f.r), nil
		},
		"quarterly": func() (*Document, error) {
			q, err := f.r.Quarterly(ctx, quarter)
			if err != nil {
				return nil, err
			}
			return q.Document(f.r), nil
		},
		"parts": func() (*Document, error) {
			w, err := Week("2026-W37", f.r.o.Location)
			if err != nil {
				return nil, err
			}
			pr, err := f.r.Parts(ctx, w)
			if err != nil {
				return nil, err
			}
			if len(pr.Rows) != 1 || pr.Rows[0].Ticket == nil || pr.Rows[0].Serial != "PSU-2026-0912" {
				return nil, fmt.Errorf("parts of 2026-W37 = %+v, want the fixture's one PSU with its ticket", pr.Rows)
			}
			return pr.Document(f.r), nil
		},
		"assets": func() (*Document, error) {
			a, err := f.r.Assets(ctx)
			if err != nil {
				return nil, err
			}
			return a.Document(f.r), nil
		},
	}
	for name, fn := range build {
		t.Run(name, func(t *testing.T) {
			doc, err := fn()
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := doc.WriteHTML(&buf); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".golden.html", buf.Bytes())
		})
	}
}

// cells reads a workbook back and returns sheet → cell → text.
func readBack(t *testing.T, doc *Document) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := doc.WriteExcel(&buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func checkCells(t *testing.T, x *excelize.File, want map[string]map[string]string) {
	t.Helper()
	for sh, cells := range want {
		for cell, v := range cells {
			got, err := x.GetCellValue(sh, cell)
			if err != nil {
				t.Errorf("%s!%s: %v", sh, cell, err)
				continue
			}
			if got != v {
				t.Errorf("%s!%s = %q, want %q", sh, cell, got, v)
			}
		}
	}
}

func TestMonthlyExcel(t *testing.T) {
	t.Parallel()
	f, m := monthly(t)
	x := readBack(t, m.Document(f.r))
	if got := x.GetSheetList(); strings.Join(got, ",") != "概况,故障分级分类,SLA计时,SLA分级,分类时长,工程师工作量,按设备类别,可用率最低设备,巡检完成情况,故障清单" {
		t.Errorf("sheets %v", got)
	}
	checkCells(t, x, map[string]map[string]string{
		"概况": {"A1": "某县公安局 每月故障总结报告", "B3": "2026-09-01 至 2026-09-30", "A7": "故障总数", "B7": "4",
			"A9": "II级 严重", "B9": "3", "B18": "12分钟", "B19": "10小时00分", "B21": "93.33%"},
		"故障分级分类":  {"A1": "故障等级 Level", "A3": "II级 严重", "C3": "3", "G3": "3", "H3": "12分钟", "A4": "III级 较严重", "D4": "1"},
		"SLA计时":   {"A1": "时限 Timer", "A2": "响应 respond", "B2": "4", "C2": "0", "D2": "0", "A5": "修复 resolve", "B5": "3", "C5": "1", "G5": "75.00%", "H5": "2小时00分"},
		"SLA分级":   {"A1": "故障等级 Level", "A5": "II级 严重", "B5": "修复 resolve", "C5": "2", "D5": "1", "H5": "66.67%", "A7": "III级 较严重", "B7": "修复 resolve"},
		"分类时长":    {"A1": "设备类别 Category", "A2": "机房基础设施 room_infra", "F2": "11小时00分", "A4": "合计 Total", "F4": "10小时00分"},
		"可用率最低设备": {"B2": "北关路口 (cam-002)", "C2": "摄像机", "E2": "99.31%", "F2": "5小时00分", "G2": "1", "B3": "1号UPS (ups1)", "E3": "99.93%"},
		"巡检完成情况":  {"A2": "每日巡检检查表 daily", "B2": "30", "C2": "28", "D2": "93.33%"},
		"故障清单":    {"A1": "单号 No.", "D2": "北关路口 (cam-002)", "B2": "III级 较严重"},
	})
	// Panes are frozen under the header row.
	p, err := x.GetPanes("故障清单")
	if err != nil || !p.Freeze || p.YSplit != 1 {
		t.Errorf("panes %+v %v, want frozen at row 1", p, err)
	}
	// Percentages are numbers, not text.
	v, err := x.GetCellValue("可用率最低设备", "E2", excelize.Options{RawCellValue: true})
	if err != nil || !strings.HasPrefix(v, "0.9930") {
		t.Errorf("raw availability %q %v, want 0.9930…", v, err)
	}
}

func TestOtherReportsExcel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	loc := f.r.o.Location
	day, _ := Day("2026-09-10", loc)
	d, err := f.r.Daily(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	checkCells(t, readBack(t, d.Document(f.r)), map[string]map[string]string{
		"概况":     {"A1": "某县公安局 每日运维服务日志", "B7": "1", "B9": "1", "B11": "1", "B13": "1"},
		"巡检":     {"B2": "每日巡检检查表", "H2": "1"},
		"新开工单":   {"D2": "北关路口 (cam-002)"},
		"工单处理记录": {"A2": "2026-09-10 02:00", "E2": "开单", "E3": "响应确认", "G3": "张工", "E4": "恢复", "F4": "已响应→已恢复", "E5": "修复", "F2": "待响应"},
	})
	q, _ := Quarter("2026Q3", loc)
	qr, err := f.r.Quarterly(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	checkCells(t, readBack(t, qr.Document(f.r)), map[string]map[string]string{
		"按设备类别": {"A4": "UPS不间断电源", "B4": "1", "C4": "3", "D4": "1", "E4": "—", "F4": "—", "G4": "99.93%", "A5": "摄像机", "B5": "3", "C5": "1"},
		"月度趋势":  {"A4": "2026-09", "B4": "4", "D4": "3", "E4": "1", "G4": "6", "H4": "12分钟", "I4": "10小时00分"},
		"备件更换":  {"C2": "1号UPS (ups1)", "D2": "电源模块", "E2": "PSU-2026-0912"},
	})
	a, err := f.r.Assets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkCells(t, readBack(t, a.Document(f.r)), map[string]map[string]string{
		"资产清单": {
			"B2": "srv1", "H2": "Kunpeng 920", "I2": "kylin V10 (4.19.90)", "J2": "10.0.0.20, 192.168.9.20", "K2": "52:54:00:12:34:56", "O2": "inventory, agent",
			"B3": "ws-duty", "J3": "10.0.0.88", "O3": "agent",
			"B4": "core-sw1", "I4": "Huawei Versatile Routing Platform Software VRP (R) software, Version 5.170", "F4": "情指中心机房 / A01",
			"B5": "ups1", "G5": "APC", "H5": "Smart-UPS 1500", "I5": "UPS 09.3", "N5": "", "N2": "2026-10-03 10:00",
			"B7": "cam-002", "H7": "DS-2CD2T47G2", "L7": "DS-2CD2T47G2-L20230101", "M7": "core-sw1", "O7": "inventory, device-api",
		},
	})
}

// TestMonthlyPrintsToPDF prints the monthly report with headless Chromium
// and reads the Chinese title and figures back from the PDF.
func TestMonthlyPrintsToPDF(t *testing.T) {
	t.Parallel()
	f, m := monthly(t)
	var buf bytes.Buffer
	if err := m.Document(f.r).WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	checkPDF(t, printPDF(t, buf.Bytes()), "每月故障总结报告", "某县公安局", "故障分级与分类统计", "北关路口")
}

func TestPeriods(t *testing.T) {
	t.Parallel()
	loc := reporttest.Shanghai()
	tests := []struct {
		kind, in   string
		start, end string
		bad        bool
	}{
		{"day", "2026-11-21", "2026-11-21", "2026-11-22", false},
		{"day", "2026-02-30", "", "", true},
		{"day", "21/11/2026", "", "", true},
		{"month", "2026-11", "2026-11-01", "2026-12-01", false},
		{"month", "2026-12", "2026-12-01", "2027-01-01", false},
		{"month", "2026-13", "", "", true},
		{"quarter", "2026Q4", "2026-10-01", "2027-01-01", false},
		{"quarter", "2026-q1", "2026-01-01", "2026-04-01", false},
		{"quarter", "2026Q5", "", "", true},
		{"quarter", "Q4", "", "", true},
		{"quarter", "", "", "", true},
	}
	for _, tc := range tests {
		var p Period
		var err error
		switch tc.kind {
		case "day":
			p, err = Day(tc.in, loc)
		case "month":
			p, err = Month(tc.in, loc)
		case "quarter":
			p, err = Quarter(tc.in, loc)
		}
		if tc.bad {
			if err == nil {
				t.Errorf("%s %q: no error", tc.kind, tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", tc.kind, tc.in, err)
			continue
		}
		if got := p.Start.Format("2006-01-02") + " " + p.End.Format("2006-01-02"); got != tc.start+" "+tc.end {
			t.Errorf("%s %q = %s, want %s %s", tc.kind, tc.in, got, tc.start, tc.end)
		}
		if p.Start.Location() != loc {
			t.Errorf("%s %q in %v", tc.kind, tc.in, p.Start.Location())
		}
	}
}

func FuzzQuarter(f *testing.F) {
	for _, s := range []string{"2026Q4", "2026-Q1", "q", "0000Q1", "9999Q4", "2026Q٤"} {
		f.Add(s)
	}
	loc := reporttest.Shanghai()
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Quarter(s, loc)
		if err == nil && !p.End.After(p.Start) {
			t.Errorf("%q: empty period %v", s, p)
		}
	})
}
