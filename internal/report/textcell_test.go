package report

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Text that a spreadsheet would take for a formula is written with a leading
// apostrophe, so that a CSV export of the workbook keeps it text.
func TestExcelFormulaTextStaysText(t *testing.T) {
	t.Parallel()
	cells := []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example","x")`, `'=HYPERLINK("http://evil.example","x")`},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"-", "-"},
		{"cam-1", "cam-1"},
		{"城关派出所", "城关派出所"},
	}
	d := &Document{Title: "t", TitleEN: "t", Sections: []Section{{Sheet: "s", Columns: []Column{{Title: "a"}}}}}
	for _, c := range cells {
		d.Sections[0].Rows = append(d.Sections[0].Rows, []any{c.in})
	}
	var buf bytes.Buffer
	if err := d.WriteExcel(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, c := range cells {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		got, err := f.GetCellValue("s", cell)
		if err != nil {
			t.Fatal(err)
		}
		formula, _ := f.GetCellFormula("s", cell)
		if got != c.want || formula != "" {
			t.Errorf("%q: cell %q formula %q, want %q and no formula", c.in, got, formula, c.want)
		}
	}
}
