package report

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Document is a report ready to render: a heading, key figures and sections
// (tables). HTML puts the sections one after another on A4 pages; Excel puts
// each section on a sheet of its own and the key figures on the first.
type Document struct {
	Title   string // 每月故障总结报告
	TitleEN string // Monthly fault summary
	Bureau  string
	Period  string // 2026-11-01 至 2026-11-30
	// PeriodLabel names what Period is; "报告期 Period" when empty (a fault
	// report names its ticket there instead).
	PeriodLabel string
	Generated   string
	// SummaryTitle heads the key figures; "概况 Summary" when empty.
	SummaryTitle, SummaryTitleEN string
	Summary                      []Figure
	Sections                     []Section
	// Sign adds the contractor's and the bureau's signature lines.
	Sign bool
}

// Figure is one key number of the report.
type Figure struct {
	Name, NameEN string
	Value        any
}

// Section is one table.
type Section struct {
	Sheet   string // Excel sheet name (≤ 31 characters, unique)
	Title   string
	TitleEN string
	Columns []Column
	Rows    [][]any
	Note    string // printed under the table; "无" rows when empty is said here too
	// Text, for a section without Columns, is its paragraphs (a narrative:
	// the diagnosis, the plan, the cause).
	Text []string
	// Blank adds that many ruled empty lines after Text, for completing the
	// section by hand on the printed page (the record does not hold it).
	Blank int
}

// Table reports whether the section is a table (else Text and Blank).
func (s Section) Table() bool { return len(s.Columns) > 0 }

// PeriodName is the label printed before Period.
func (d *Document) PeriodName() string {
	if d.PeriodLabel != "" {
		return d.PeriodLabel
	}
	return "报告期 Period"
}

// SummaryZH is the key figures' heading.
func (d *Document) SummaryZH() string {
	if d.SummaryTitle != "" {
		return d.SummaryTitle
	}
	return "概况"
}

// SummaryEN is the key figures' heading in English.
func (d *Document) SummaryEN() string {
	if d.SummaryTitle != "" {
		return d.SummaryTitleEN
	}
	return "Summary"
}

// Column is a table column.
type Column struct {
	Title, TitleEN string
	Width          float64 // Excel width in characters; 12 when 0
}

// Pct is a ratio (0–1) shown as a percentage with two decimals.
type Pct float64

// Dur is a duration shown as 12分钟 / 2小时05分 / 3天4小时.
type Dur time.Duration

// Unknown marks a value the sources did not have (shown as —).
type Unknown struct{}

func cellText(v any) string {
	switch v := v.(type) {
	case nil, Unknown:
		return "—"
	case Pct:
		return strconv.FormatFloat(float64(v)*100, 'f', 2, 64) + "%"
	case Dur:
		return fmtDur(time.Duration(v))
	case float64:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

func isNum(v any) bool {
	switch v.(type) {
	case int, int64, float64, Pct, Dur:
		return true
	}
	return false
}

//go:embed document.html.tmpl
var documentHTML string

var documentTmpl = template.Must(template.New("doc").Funcs(template.FuncMap{
	"cell":   cellText,
	"num":    isNum,
	"blanks": func(n int) []struct{} { return make([]struct{}, max(n, 0)) },
}).Parse(documentHTML))

// WriteHTML writes the document as one self-contained A4 HTML page.
func (d *Document) WriteHTML(w io.Writer) error {
	var buf bytes.Buffer
	if err := documentTmpl.Execute(&buf, d); err != nil {
		return fmt.Errorf("render %s: %w", d.TitleEN, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// sheetName makes a valid, unique Excel sheet name.
func sheetName(s string, used map[string]bool) string {
	for _, bad := range []string{":", "\\", "/", "?", "*", "[", "]"} {
		s = string(bytes.ReplaceAll([]byte(s), []byte(bad), []byte("_")))
	}
	for utf8.RuneCountInString(s) > 31 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	base := s
	for i := 2; used[s]; i++ {
		s = fmt.Sprintf("%s%d", base, i)
	}
	used[s] = true
	return s
}

// textCell keeps a text cell text when the workbook is saved as CSV or its
// cells are copied elsewhere: a value that a spreadsheet would read as a
// formula (starting with =, +, -, @, tab or carriage return, e.g. a device
// name or an alert label sent in from outside) gets a leading apostrophe,
// OWASP's advice against CSV/formula injection. A lone "-" (no value) is kept.
func textCell(s string) string {
	if len(s) > 1 && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteExcel writes the document as an .xlsx workbook: 概况 (the heading and
// key figures) then one sheet per section with a header row, frozen panes,
// column widths and A4 page setup.
func (d *Document) WriteExcel(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Color: []string{"DDDDDD"}, Pattern: 1}})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	used := map[string]bool{}
	first := sheetName("概况", used)
	if err := f.SetSheetName("Sheet1", first); err != nil {
		return err
	}
	var errs []error
	set := func(sh, cell string, v any) {
		switch v := v.(type) {
		case Pct:
			errs = append(errs, f.SetCellFloat(sh, cell, float64(v), 6, 64), f.SetCellStyle(sh, cell, cell, pct))
		case Dur, Unknown, nil:
			errs = append(errs, f.SetCellStr(sh, cell, textCell(cellText(v))))
		case string:
			errs = append(errs, f.SetCellStr(sh, cell, textCell(v)))
		default:
			errs = append(errs, f.SetCellValue(sh, cell, v))
		}
	}
	set(first, "A1", d.Bureau+" "+d.Title)
	errs = append(errs, f.SetCellStyle(first, "A1", "A1", bold))
	set(first, "A2", d.TitleEN)
	set(first, "A3", d.PeriodName())
	set(first, "B3", d.Period)
	set(first, "A4", "生成时间 Generated")
	set(first, "B4", d.Generated)
	set(first, "A6", "指标")
	set(first, "B6", "数值")
	set(first, "C6", "Figure")
	errs = append(errs, f.SetCellStyle(first, "A6", "C6", head))
	for i, fg := range d.Summary {
		row := strconv.Itoa(7 + i)
		set(first, "A"+row, fg.Name)
		set(first, "B"+row, fg.Value)
		set(first, "C"+row, fg.NameEN)
	}
	errs = append(errs, f.SetColWidth(first, "A", "A", 28), f.SetColWidth(first, "B", "B", 22), f.SetColWidth(first, "C", "C", 36))
	errs = append(errs, f.SetPageLayout(first, &excelize.PageLayoutOptions{Size: intp(9)}))
	for _, s := range d.Sections {
		sh := sheetName(s.Sheet, used)
		if _, err := f.NewSheet(sh); err != nil {
			return err
		}
		if !s.Table() {
			errs = append(errs, writeText(f, sh, s))
			continue
		}
		for j, c := range s.Columns {
			cell, _ := excelize.CoordinatesToCellName(j+1, 1)
			title := c.Title
			if c.TitleEN != "" {
				title += " " + c.TitleEN
			}
			set(sh, cell, title)
			col, _ := excelize.ColumnNumberToName(j + 1)
			wd := c.Width
			if wd == 0 {
				wd = 12
			}
			errs = append(errs, f.SetColWidth(sh, col, col, wd))
		}
		if n := len(s.Columns); n > 0 {
			last, _ := excelize.CoordinatesToCellName(n, 1)
			errs = append(errs, f.SetCellStyle(sh, "A1", last, head))
		}
		for i, row := range s.Rows {
			for j, v := range row {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
				set(sh, cell, v)
			}
		}
		if s.Note != "" {
			set(sh, fmt.Sprintf("A%d", len(s.Rows)+3), s.Note)
		}
		errs = append(errs, f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))
		errs = append(errs, f.SetPageLayout(sh, &excelize.PageLayoutOptions{Size: intp(9)}))
	}
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("excel %s: %w", d.TitleEN, err)
		}
	}
	return f.Write(w)
}

// blankLine is a ruled line left for completing a section by hand.
const blankLine = "________________________________________________________________"

// writeText writes a narrative section: its title, its paragraphs one per
// row, then its blank lines, in a wide first column.
func writeText(f *excelize.File, sh string, s Section) error {
	var errs []error
	row := 1
	put := func(v string) {
		errs = append(errs, f.SetCellStr(sh, "A"+strconv.Itoa(row), textCell(v)))
		row++
	}
	put(strings.TrimSpace(s.Title + " " + s.TitleEN))
	for _, p := range s.Text {
		put(p)
	}
	for range s.Blank {
		put(blankLine)
	}
	if s.Note != "" {
		put(s.Note)
	}
	errs = append(errs, f.SetColWidth(sh, "A", "A", 100),
		f.SetColStyle(sh, "A", wrapStyle(f)),
		f.SetPageLayout(sh, &excelize.PageLayoutOptions{Size: intp(9)}))
	return errors.Join(errs...)
}

// wrapStyle is a wrapping, top-aligned cell style (0 if it cannot be made).
func wrapStyle(f *excelize.File) int {
	id, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return 0
	}
	return id
}
