package collector

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/registry"
	"github.com/roomwatch/roomwatch/internal/report"
)

// wireReports mounts GET /api/v1/reports/monthly?month=2026-11&format=html|xlsx
// (any API token): the monthly fault summary over the running collector's own
// stores, as `roomwatch-collector report monthly` writes it.
func wireReports(s *Server, tp *ticketPipeline) error {
	cfg := &s.cfg
	a, err := auth.New(cfg.Tickets.Auth)
	if err != nil {
		return fmt.Errorf("reports: auth: %w", err)
	}
	loc, _ := cfg.Location()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			auth.WriteError(w, http.StatusMethodNotAllowed, "GET only")
			return
		}
		q := r.URL.Query()
		p, err := report.Month(q.Get("month"), loc)
		if err != nil {
			auth.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		format := q.Get("format")
		if format == "" {
			format = "html"
		}
		if format != "html" && format != "xlsx" {
			auth.WriteError(w, http.StatusBadRequest, "format: want html or xlsx")
			return
		}
		src := report.Sources{Metrics: s.store.PromQL(), Series: s.store, Inventory: &cfg.Inventory}
		if tp != nil {
			src.Tickets, src.History = tp.svc, tp.db
		}
		recs, err := inspect.OpenStore(InspectionsDB(cfg.Global.DataDir))
		if err != nil {
			s.log.Error("reports: inspections", "err", err)
			auth.WriteError(w, http.StatusInternalServerError, "inspection records unavailable")
			return
		}
		defer recs.Close()
		src.Inspections = recs
		if ts, err := inspect.LoadDir(cfg.Inspections.TemplatesDir()); err == nil {
			src.Templates = ts
		}
		if reg, err := registry.Open(registry.Options{Path: filepath.Join(cfg.Global.DataDir, "agents.json"), Logger: slog.New(slog.DiscardHandler)}); err == nil {
			src.Agents = reg
		} else if !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("reports: agent registry", "err", err)
		}
		rep, err := report.New(src, report.Options{Bureau: cfg.Global.Bureau, Location: loc, Clock: s.opts.Clock})
		if err != nil {
			auth.WriteError(w, http.StatusInternalServerError, err.Error())
			return
		}
		m, err := rep.Monthly(r.Context(), p)
		if err != nil {
			s.log.Error("reports: monthly", "month", p.Label, "err", err)
			auth.WriteError(w, http.StatusInternalServerError, err.Error())
			return
		}
		doc := m.Document(rep)
		name := "monthly-" + p.Label
		if format == "xlsx" {
			w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
			err = doc.WriteExcel(w)
		} else {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			err = doc.WriteHTML(w)
		}
		if err != nil {
			s.log.Error("reports: write", "err", err)
		}
	})
	s.Handle("/api/v1/reports/monthly", a.Require(auth.RoleViewer, h))
	return nil
}
