package console

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/roomwatch/roomwatch/internal/report"
)

// reportForm is one report's form on /reports.
type reportForm struct {
	Kind, TitleKey, Param, InputType, Default, Pattern string
}

type reportsView struct {
	Absent bool
	PDFOK  bool // PDFs are printed on the server
	Forms  []reportForm
}

func (c *Console) reportsPage(w http.ResponseWriter, r *http.Request) {
	v := reportsView{Absent: c.o.Sources.Reports == nil, PDFOK: c.pdfOK()}
	now := c.o.Clock.Now()
	for _, k := range report.Kinds() {
		f := reportForm{Kind: string(k), TitleKey: "reports.kind." + string(k), Param: k.PeriodParam()}
		if p, err := report.PeriodOf(k, "", now, c.o.Location); err == nil && f.Param != "" {
			f.Default = p.Label
		}
		switch k {
		case report.KindDaily:
			f.InputType = "date"
		case report.KindParts:
			f.InputType = "week" // the browser sends YYYY-Www
		case report.KindMonthly:
			f.InputType = "month"
		case report.KindQuarterly:
			f.InputType, f.Pattern = "text", `[0-9]{4}-?[Qq][1-4]`
		}
		v.Forms = append(v.Forms, f)
	}
	p := page{TitleKey: "reports.title", Data: v}
	if r.URL.Query().Has("bad") {
		p.ErrKey = "reports.bad_period"
	}
	c.render(w, r, http.StatusOK, "reports", p)
}

// reportDownload builds a report over the collector's stores, exactly as
// `roomwatch-collector report` and the reports API do, and sends it as HTML
// (viewed in the browser), Excel or a PDF printed on the server.
func (c *Console) reportDownload(w http.ResponseWriter, r *http.Request) {
	kind, err := report.ParseKind(r.PathValue("kind"))
	if err != nil || c.o.Sources.Reports == nil {
		c.notFound(w, r)
		return
	}
	q := r.URL.Query()
	ro := c.o.Sources.Report
	if ro.Location == nil {
		ro.Location = c.o.Location
	}
	if ro.Clock == nil {
		ro.Clock = c.o.Clock
	}
	p, err := report.PeriodOf(kind, q.Get(kind.PeriodParam()), ro.Clock.Now(), ro.Location)
	if err != nil {
		http.Redirect(w, r, "/reports?bad=1", http.StatusSeeOther)
		return
	}
	rep, err := report.New(*c.o.Sources.Reports, ro)
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	doc, err := rep.Build(r.Context(), kind, p)
	if errors.Is(err, report.ErrBadPeriod) {
		http.Redirect(w, r, "/reports?bad=1", http.StatusSeeOther)
		return
	}
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	c.sendDocument(w, r, string(kind)+"-"+p.Label, q.Get("format"), func(b *bytes.Buffer) error { return doc.WriteHTML(b) }, doc.WriteExcel)
}
