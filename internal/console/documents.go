package console

// Documents: the per-ticket fault reports (故障处理报告, 重大故障报告) and
// the server-side PDF of every document the console hands out (reports,
// check sheets, ticket reports).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/pdf"
	"github.com/roomwatch/roomwatch/internal/report"
)

// documentRoutes adds GET /tickets/{id}/report/{kind} (fault or major).
func (c *Console) documentRoutes(m *http.ServeMux) {
	m.Handle("GET /tickets/{id}/report/{kind}", c.RequireRole(auth.RoleViewer, http.HandlerFunc(c.ticketReport)))
}

// pdfOK reports whether PDFs are printed on the server.
func (c *Console) pdfOK() bool { return c.o.Sources.PDF.Available() == nil }

// ticketReport sends one ticket's fault report, or for a level I ticket its
// major fault report, as HTML, Excel or PDF. The ticket is read as the
// detail page reads it (a customer sees only its own sites' tickets).
func (c *Console) ticketReport(w http.ResponseWriter, r *http.Request) {
	kind, err := report.ParseFaultKind(r.PathValue("kind"))
	if err != nil {
		c.notFound(w, r)
		return
	}
	t, ok := c.loadTicket(w, r)
	if !ok {
		return
	}
	ro := c.o.Sources.Report
	loc := ro.Location
	if loc == nil {
		loc = c.o.Location
	}
	o := report.FaultOptions{Bureau: ro.Bureau, Location: loc, Generated: c.o.Clock.Now()}
	if src := c.o.Sources.Reports; src != nil && src.Anchors != nil {
		if o.Anchors, err = src.Anchors(r.Context()); err != nil {
			c.internalError(w, r, err)
			return
		}
	}
	doc, err := report.TicketDocument(t, kind, o)
	if errors.Is(err, report.ErrNotMajor) {
		c.notFound(w, r)
		return
	}
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	c.sendDocument(w, r, string(kind)+"-"+strconv.FormatInt(t.ID, 10), r.URL.Query().Get("format"),
		func(b *bytes.Buffer) error { return doc.WriteHTML(b) }, doc.WriteExcel)
}

// sendDocument sends a document as HTML (the default), an Excel workbook
// or a PDF printed on the server, named name.
func (c *Console) sendDocument(w http.ResponseWriter, r *http.Request, name, format string,
	html func(*bytes.Buffer) error, excel func(io.Writer) error) {
	w.Header().Set("Cache-Control", "no-store")
	switch format {
	case "xlsx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		if err := excel(w); err != nil {
			c.o.Logger.Error("console: document", "document", name, "err", err)
		}
	case "pdf":
		c.sendPDF(w, r, name, html)
	default:
		var b bytes.Buffer
		if err := html(&b); err != nil {
			c.internalError(w, r, err)
			return
		}
		w.Header().Set("Content-Security-Policy", documentCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(b.Bytes())
	}
}

// sendPDF prints a document on the server; when it cannot (no Chromium,
// too many waiting, too slow) the answer is 503 with a page saying why and
// that the HTML prints to PDF from the browser.
func (c *Console) sendPDF(w http.ResponseWriter, r *http.Request, name string, html func(*bytes.Buffer) error) {
	err := c.o.Sources.PDF.Write(w, r, name, html)
	if err == nil {
		return
	}
	code, _ := pdf.HTTPStatus(err)
	if code == http.StatusInternalServerError {
		c.internalError(w, r, fmt.Errorf("pdf %s: %w", name, err))
		return
	}
	key := "documents.pdf_unavailable"
	switch {
	case errors.Is(err, pdf.ErrBusy):
		key = "documents.pdf_busy"
	case !errors.Is(err, pdf.ErrUnavailable):
		key = "documents.pdf_timeout"
	}
	pdf.SetRetryAfter(w, err)
	c.render(w, r, code, "error", page{TitleKey: "documents.pdf_title", ErrKey: key})
}

// isMajor reports whether a ticket of level l has a major fault report.
func isMajor(l classify.Level) bool { return l == classify.LevelI }
