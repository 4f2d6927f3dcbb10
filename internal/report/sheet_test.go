package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample(t *testing.T) (*inspect.Inspection, *time.Location) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 8, 30, 0, 0, sh)
	f := func(v float64) *float64 { return &v }
	in := &inspect.Inspection{ID: 7, Run: inspect.Run{
		Template: "daily", Title: "每日巡检检查表", Rhythm: inspect.Daily,
		PeriodStart: at.Add(-24 * time.Hour), PeriodEnd: at, StartedAt: at, FinishedAt: at.Add(2 * time.Second), Trigger: "schedule",
		Rows: []inspect.Row{
			{Device: "ups-ok", Display: "1号UPS", Class: "ups", Item: "ups_charge", Name: "UPS电池电量", NameEN: "UPS battery charge", Kind: "metric", Value: f(100), Unit: "%", Verdict: inspect.Normal},
			{Device: "ups-bad", Display: "2号UPS", Class: "ups", Item: "ups_charge", Name: "UPS电池电量", NameEN: "UPS battery charge", Kind: "metric", Value: f(9), Unit: "%", Verdict: inspect.Abnormal, Level: classify.LevelII, TicketID: 42},
			{Device: "env1", Display: "动环主机", Class: "env", Item: "online", Name: "设备在线", NameEN: "Device online", Kind: "metric", Verdict: inspect.Unchecked, Reason: "无数据 no data", LegacyTicket: "InspectionOnline"},
			{Device: "central", Display: "情指中心机房", Item: "room_walk", Name: "机房巡视", NameEN: "Room walk", Kind: "manual", Verdict: inspect.Normal, Evidence: inspect.Evidence{Note: "指示灯正常 <ok>", Photo: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg"}, CheckedBy: "张工"},
		},
		Tickets: inspect.TicketSummary{Alerts: 1, Opened: 1},
	},
		Signatures: []inspect.Signature{{Role: "engineer", User: "张工", At: at.Add(time.Hour)}, {Role: "customer", User: "李明", Title: "科长", At: at.Add(2 * time.Hour)}},
		Status:     "countersigned",
		Totals:     inspect.Totals{Devices: 4, Rows: 4, Normal: 2, Abnormal: 1, Unchecked: 1},
	}
	return in, sh
}

func TestSheetHTMLGolden(t *testing.T) {
	t.Parallel()
	in, sh := sample(t)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, in, SheetOptions{Bureau: "某县公安局", Location: sh}); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "sheet.golden.html")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("check sheet differs from %s (run with -update to accept):\n%s", golden, buf.String())
	}
}

func TestSheetExcel(t *testing.T) {
	t.Parallel()
	in, sh := sample(t)
	var buf bytes.Buffer
	if err := WriteExcel(&buf, in, SheetOptions{Bureau: "某县公安局", Location: sh}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{
		"A1": "某县公安局 每日巡检检查表",
		"A2": "巡检周期：2026-11-21 08:30 至 2026-11-22 08:30　编号：7　状态：countersigned",
		"A3": "设备 4 台，检查项 4：正常 2，预警 0，异常 1，未检 1，待检 0",
		"A5": "序号", "E5": "巡检项目", "H5": "结论",
		"A6": "1", "B6": "1号UPS", "C6": "ups-ok", "D6": "UPS不间断电源", "G6": "100%", "H6": "正常",
		"B7": "2号UPS", "G7": "9%", "H7": "异常", "I7": "II级 严重", "L5": "工单", "L7": "#42", "L8": "已转工单",
		"G8": "—", "H8": "未检", "J8": "无数据 no data",
		"B9": "情指中心机房", "H9": "正常", "J9": "指示灯正常 <ok>", "K9": "张工",
		"A11": "巡检工程师（签字）：张工　2026-11-22 09:30",
		"F11": "甲方代表（签字）：李明 科长　2026-11-22 10:30",
	}
	for cell, v := range want {
		got, err := f.GetCellValue("巡检检查表", cell)
		if err != nil {
			t.Fatal(err)
		}
		if got != v {
			t.Errorf("%s = %q, want %q", cell, got, v)
		}
	}
}

// TestSheetPrintsToPDF prints the check sheet with headless Chromium and
// reads the Chinese back from the PDF.
func TestSheetPrintsToPDF(t *testing.T) {
	t.Parallel()
	in, sh := sample(t)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, in, SheetOptions{Bureau: "某县公安局", Location: sh}); err != nil {
		t.Fatal(err)
	}
	checkPDF(t, printPDF(t, buf.Bytes()), "某县公安局 每日巡检检查表", "巡检工程师（签字）")
}

// TestSheetDefaults: a sheet printed without options names the same bureau
// and uses the same class names as the rest of roomwatch.
func TestSheetDefaults(t *testing.T) {
	d := newData(&inspect.Inspection{}, SheetOptions{})
	if d.Bureau != DefaultBureau || d.Loc == nil || d.Loc.String() != calendar.DefaultZone {
		t.Errorf("defaults: bureau %q, location %v", d.Bureau, d.Loc)
	}
	for _, c := range inventory.Classes() {
		if got := className(string(c)); got != c.ChineseName() {
			t.Errorf("className(%s) = %q, inventory says %q", c, got, c.ChineseName())
		}
	}
	if got := className("nonsense"); got != "" {
		t.Errorf("unknown class printed as %q", got)
	}
}
