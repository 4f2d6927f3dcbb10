// Package api serves the contract's reports over HTTP:
//
//	GET /api/v1/reports/{daily|parts|monthly|quarterly|assets}?date=|week=|month=|quarter=&format=html|xlsx|pdf
//	GET /api/v1/reports/{fault|major}/{ticket id}?format=html|xlsx|pdf
//
// the second being one ticket's fault report (故障处理报告) or, for a level I
// ticket, its major fault report (重大故障报告). A PDF is printed on the
// server by Options.PDF (headless Chromium); without one it is 503.
//
// over the stores of the running collector, exactly as `roomwatch-collector
// report` writes them. The collector mounts it behind its API tokens.
package api

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/pdf"
	"github.com/roomwatch/roomwatch/internal/report"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// Prefix is where the handler is mounted.
const Prefix = "/api/v1/reports/"

// Options configure the handler.
type Options struct {
	// Sources are the stores a report reads (the collector's open stores).
	Sources report.Sources
	// Report carries the bureau's name and the time zone; its Clock is the
	// one "now" comes from when a period is left out.
	Report report.Options
	// Auth guards every report (role viewer or above).
	Auth *auth.Authenticator
	// PDF prints format=pdf; nil (or without Chromium): 503.
	PDF    *pdf.Printer
	Logger *slog.Logger
}

type handler struct{ o Options }

// New returns the reports handler, to be mounted at Prefix.
func New(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Report.Clock == nil {
		o.Report.Clock = clockwork.NewRealClock()
	}
	h := &handler{o: o}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/reports/{kind}", o.Auth.Require(auth.RoleViewer, http.HandlerFunc(h.report)))
	mux.Handle("GET /api/v1/reports/{kind}/{id}", o.Auth.Require(auth.RoleViewer, http.HandlerFunc(h.ticket)))
	return mux
}

func (h *handler) report(w http.ResponseWriter, r *http.Request) {
	kind, err := report.ParseKind(r.PathValue("kind"))
	if err != nil {
		auth.WriteError(w, http.StatusNotFound, err.Error())
		return
	}
	q := r.URL.Query()
	format, ok := parseFormat(w, q.Get("format"))
	if !ok {
		return
	}
	loc := h.o.Report.Location
	p, err := report.PeriodOf(kind, q.Get(kind.PeriodParam()), h.o.Report.Clock.Now(), loc)
	if err != nil {
		auth.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	rep, err := report.New(h.o.Sources, h.o.Report)
	if err != nil {
		h.fail(w, kind, err)
		return
	}
	doc, err := rep.Build(r.Context(), kind, p)
	if err != nil {
		if errors.Is(err, report.ErrBadPeriod) {
			auth.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		h.fail(w, kind, err)
		return
	}
	h.write(w, r, doc, string(kind)+"-"+p.Label, format)
}

// parseFormat reads format= (html when empty), answering 400 when unknown.
func parseFormat(w http.ResponseWriter, format string) (string, bool) {
	switch format {
	case "":
		return "html", true
	case "html", "xlsx", "pdf":
		return format, true
	}
	auth.WriteError(w, http.StatusBadRequest, "format: want html, xlsx or pdf")
	return "", false
}

// ticket serves one ticket's fault report or major fault report.
func (h *handler) ticket(w http.ResponseWriter, r *http.Request) {
	kind, err := report.ParseFaultKind(r.PathValue("kind"))
	if err != nil {
		auth.WriteError(w, http.StatusNotFound, err.Error())
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		auth.WriteError(w, http.StatusNotFound, "ticket id: want a positive number")
		return
	}
	format, ok := parseFormat(w, r.URL.Query().Get("format"))
	if !ok {
		return
	}
	rep, err := report.New(h.o.Sources, h.o.Report)
	if err != nil {
		h.fail(w, report.Kind(kind), err)
		return
	}
	doc, err := rep.Ticket(r.Context(), kind, id)
	switch {
	case errors.Is(err, tickets.ErrNotFound):
		auth.WriteError(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, report.ErrNotMajor):
		auth.WriteError(w, http.StatusConflict, err.Error())
		return
	case errors.Is(err, report.ErrNoTickets):
		auth.WriteError(w, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		h.fail(w, report.Kind(kind), err)
		return
	}
	h.write(w, r, doc, string(kind)+"-"+strconv.FormatInt(id, 10), format)
}

// write sends doc as HTML, an Excel workbook or a PDF named name.
func (h *handler) write(w http.ResponseWriter, r *http.Request, doc *report.Document, name, format string) {
	var err error
	switch format {
	case "xlsx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		err = doc.WriteExcel(w)
	case "pdf":
		err = h.o.PDF.Write(w, r, name, func(b *bytes.Buffer) error { return doc.WriteHTML(b) })
		if err != nil {
			code, _ := pdf.HTTPStatus(err)
			if code == http.StatusInternalServerError {
				h.o.Logger.Error("reports: pdf", "report", name, "err", err)
			}
			pdf.SetRetryAfter(w, err)
			auth.WriteError(w, code, err.Error())
			return
		}
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		err = doc.WriteHTML(w)
	}
	if err != nil {
		h.o.Logger.Error("reports: write", "report", name, "err", err)
	}
}

func (h *handler) fail(w http.ResponseWriter, kind report.Kind, err error) {
	h.o.Logger.Error("reports", "report", kind, "err", err)
	auth.WriteError(w, http.StatusInternalServerError, err.Error())
}
