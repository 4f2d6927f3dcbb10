package report

// The inspection check sheet (巡检检查表): print-ready A4 HTML and an Excel
// workbook with the same content.

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
)

//go:embed sheet.html.tmpl
var sheetHTML string

// SheetOptions are what a check sheet needs besides the inspection.
type SheetOptions struct {
	Bureau   string         // printed in the heading; DefaultBureau when empty
	Location *time.Location // calendar.DefaultZone when nil
	// Anchors are the record chains' heads when the sheet is printed
	// (anchor.go); printed at its foot.
	Anchors []Anchor
}

type sheetData struct {
	Anchors []string
	Bureau  string
	In      *inspect.Inspection
	Loc     *time.Location
	Eng     *inspect.Signature
	Cust    *inspect.Signature
}

var funcs = template.FuncMap{
	"value":   valueText,
	"verdict": func(v inspect.Verdict) string { return v.Chinese() },
	"add1":    func(i int) int { return i + 1 },
	"ticket":  ticketText,
}

func (d sheetData) T(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(d.Loc).Format("2006-01-02 15:04")
}

func valueText(r inspect.Row) string {
	if r.Value == nil {
		return "—"
	}
	return strconv.FormatFloat(*r.Value, 'f', -1, 64) + r.Unit
}

// ticketText is the sheet's ticket cell: the ticket's number, or for a row
// of a record written before ticket ids were kept, only that it went to one.
func ticketText(r inspect.Row) string {
	switch {
	case r.TicketID != 0:
		return "#" + strconv.FormatInt(r.TicketID, 10)
	case r.LegacyTicket != "":
		return "已转工单"
	}
	return ""
}

func remark(r inspect.Row) string {
	switch {
	case r.Reason != "":
		return r.Reason
	case r.Kind == "manual" || r.Kind == "file":
		return r.Evidence.Note
	}
	return ""
}

func newData(in *inspect.Inspection, o SheetOptions) sheetData {
	if o.Location == nil {
		o.Location, _ = time.LoadLocation(calendar.DefaultZone)
	}
	if o.Bureau == "" {
		o.Bureau = DefaultBureau
	}
	d := sheetData{Bureau: o.Bureau, In: in, Loc: o.Location}
	for _, a := range o.Anchors {
		d.Anchors = append(d.Anchors, anchorText(a))
	}
	if s, ok := in.Signed(inspect.RoleEngineer); ok {
		d.Eng = &s
	}
	if s, ok := in.Signed(inspect.RoleCustomer); ok {
		d.Cust = &s
	}
	return d
}

// WriteHTML writes the check sheet as one self-contained HTML page (A4, print-ready).
func WriteHTML(w io.Writer, in *inspect.Inspection, o SheetOptions) error {
	f := template.FuncMap{"remark": remark}
	for k, v := range funcs {
		f[k] = v
	}
	tm, err := template.New("sheet").Funcs(f).Parse(sheetHTML)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := tm.Execute(&buf, newData(in, o)); err != nil {
		return fmt.Errorf("render check sheet: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// Columns of the sheet, in order.
var sheetColumns = []string{"序号", "设备名称", "设备", "类别", "巡检项目", "Item", "检查结果", "结论", "故障等级", "备注 / 依据", "检查人", "工单"}

// WriteExcel writes the check sheet as an .xlsx workbook with the same content.
func WriteExcel(w io.Writer, in *inspect.Inspection, o SheetOptions) error {
	d := newData(in, o)
	f := excelize.NewFile()
	defer f.Close()
	sh := "巡检检查表"
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		return err
	}
	set := func(cell string, v any) {
		if str, ok := v.(string); ok {
			v = textCell(str) // remarks and device names are typed in by people
		}
		_ = f.SetCellValue(sh, cell, v)
	}
	set("A1", fmt.Sprintf("%s %s", d.Bureau, in.Title))
	set("A2", fmt.Sprintf("巡检周期：%s 至 %s　编号：%d　状态：%s", d.T(in.PeriodStart), d.T(in.PeriodEnd), in.ID, in.Status))
	t := in.Totals
	set("A3", fmt.Sprintf("设备 %d 台，检查项 %d：正常 %d，预警 %d，异常 %d，未检 %d，待检 %d", t.Devices, t.Rows, t.Normal, t.Warning, t.Abnormal, t.Unchecked, t.Pending))
	for i, h := range sheetColumns {
		c, _ := excelize.CoordinatesToCellName(i+1, 5)
		set(c, h)
	}
	for i, r := range in.Rows {
		row := i + 6
		level := ""
		if r.Verdict == inspect.Abnormal {
			level = r.Level.Label()
		}
		vals := []any{i + 1, r.Display, r.Device, className(r.Class), r.Name, r.NameEN, valueText(r), r.Verdict.Chinese(), level, remark(r), r.CheckedBy, ticketText(r)}
		for j, v := range vals {
			c, _ := excelize.CoordinatesToCellName(j+1, row)
			set(c, v)
		}
	}
	last := len(in.Rows) + 7
	eng, cust := "巡检工程师（签字）：", "甲方代表（签字）："
	if d.Eng != nil {
		eng += d.Eng.User + "　" + d.T(d.Eng.At)
	}
	if d.Cust != nil {
		cust += d.Cust.User + " " + d.Cust.Title + "　" + d.T(d.Cust.At)
	}
	set(fmt.Sprintf("A%d", last), eng)
	set(fmt.Sprintf("F%d", last), cust)
	for i, a := range d.Anchors {
		set(fmt.Sprintf("A%d", last+2+i), "记录链头 chain head: "+a)
	}
	_ = f.SetColWidth(sh, "B", "B", 18)
	_ = f.SetColWidth(sh, "E", "F", 24)
	_ = f.SetColWidth(sh, "J", "J", 40)
	_ = f.SetPageLayout(sh, &excelize.PageLayoutOptions{Size: intp(9)}) // A4
	return f.Write(w)
}

func intp(i int) *int { return &i }

// className is the class's Chinese name from the inventory's table, or ""
// when the class is empty or unknown.
func className(c string) string {
	if cls := inventory.Class(c); cls.Valid() {
		return cls.ChineseName()
	}
	return ""
}
