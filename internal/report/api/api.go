// Package api serves the contract's reports over HTTP:
//
//	GET /api/v1/reports/{daily|monthly|quarterly|assets}?date=|month=|quarter=&format=html|xlsx
//
// over the stores of the running collector, exactly as `roomwatch-collector
// report` writes them. The collector mounts it behind its API tokens.
package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/report"
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
	Auth   *auth.Authenticator
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
	return mux
}

func (h *handler) report(w http.ResponseWriter, r *http.Request) {
	kind, err := report.ParseKind(r.PathValue("kind"))
	if err != nil {
		auth.WriteError(w, http.StatusNotFound, err.Error())
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "html"
	}
	if format != "html" && format != "xlsx" {
		auth.WriteError(w, http.StatusBadRequest, "format: want html or xlsx")
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
	name := string(kind) + "-" + p.Label
	if format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		err = doc.WriteExcel(w)
	} else {
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
