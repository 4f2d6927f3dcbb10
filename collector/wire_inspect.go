package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	inspectapi "github.com/roomwatch/roomwatch/internal/inspect/api"
	"github.com/roomwatch/roomwatch/internal/report"
	"github.com/roomwatch/roomwatch/internal/store"
)

// InspectionsDB is the record database's path in a data directory.
func InspectionsDB(dataDir string) string { return filepath.Join(dataDir, "inspections.db") }

// PhotoDir is where inspection photos are kept in a data directory.
func PhotoDir(dataDir string) string { return filepath.Join(dataDir, "inspections", "photos") }

// wireInspections opens <data_dir>/inspections.db, loads the templates, mounts
// the inspections API behind the tickets' tokens and runs the templates on
// their schedules. Abnormal rows go to the ticket pipeline when tickets are on.
func wireInspections(s *Server, tp *ticketPipeline) error {
	cfg := &s.cfg
	templates, err := loadTemplates(cfg.Inspections, s.log)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Global.DataDir, 0o750); err != nil {
		return fmt.Errorf("inspections: %w", err)
	}
	recs, err := inspect.OpenStore(InspectionsDB(cfg.Global.DataDir))
	if err != nil {
		return fmt.Errorf("inspections: %w", err)
	}
	s.OnClose(recs.Close)
	q, err := inspectionQuerier(cfg.Inspections, s.store)
	if err != nil {
		return err
	}
	loc, _ := cfg.Location()
	ro := inspect.Options{Querier: q, Inventory: &cfg.Inventory, Store: recs, Clock: s.opts.Clock, Location: loc, Logger: s.log}
	if tp != nil {
		ro.Intake = tp.svc
	}
	runner, err := inspect.NewRunner(ro)
	if err != nil {
		return fmt.Errorf("inspections: %w", err)
	}
	a, err := auth.New(cfg.Tickets.Auth)
	if err != nil {
		return fmt.Errorf("inspections: auth: %w", err)
	}
	if len(cfg.Tickets.Auth.Tokens) == 0 {
		s.log.Warn("inspections: no API tokens configured (tickets.auth.tokens); the inspections API answers 401 to everyone")
	}
	h := inspectapi.New(inspectapi.Options{
		Store: recs, Runner: runner, Templates: templates, Auth: a, Clock: s.opts.Clock, Logger: s.log,
		Sheet:    report.SheetOptions{Bureau: cfg.Global.Bureau, Location: loc},
		PhotoDir: PhotoDir(cfg.Global.DataDir),
	})
	// More specific than the query API's "/api/v1/", so these win.
	s.Handle("/api/v1/inspections", h)
	s.Handle("/api/v1/inspections/", h)
	if len(templates) > 0 {
		s.Go(func(ctx context.Context) error { return runner.Schedule(ctx, templates) })
	}
	return nil
}

// loadTemplates reads the templates directory. The default directory
// (rules/inspections, relative to the working directory) may be absent: then
// nothing is scheduled. A directory named in the config must load.
func loadTemplates(c inspect.Config, log *slog.Logger) ([]*inspect.Template, error) {
	dir := c.TemplatesDir()
	if c.Templates == "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			log.Warn("inspections: no templates directory; nothing is scheduled", "dir", dir)
			return nil, nil
		}
	}
	ts, err := inspect.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("inspections: %w", err)
	}
	return ts, nil
}

// inspectionQuerier is the external Prometheus when configured, else the
// collector's own store.
func inspectionQuerier(c inspect.Config, st *store.Store) (inspect.Querier, error) {
	if c.PrometheusURL != "" {
		q, err := store.NewHTTPQuerier(c.PrometheusURL, nil)
		if err != nil {
			return nil, fmt.Errorf("inspections: prometheus_url: %w", err)
		}
		return q, nil
	}
	return st.PromQL(), nil
}

// TicketIntake is the ticket service over the configured ticket database,
// for tools that run outside `serve` (inspect run): abnormal rows open
// tickets exactly as in the collector. Close releases the database.
type TicketIntake struct {
	inspect.Intake
	tp *ticketPipeline
}

// Close closes the ticket database.
func (ti *TicketIntake) Close() error { return ti.tp.close() }

// OpenTicketIntake opens the ticket pipeline of cfg; it fails when tickets are off.
func OpenTicketIntake(ctx context.Context, cfg Config, clock clockwork.Clock, log *slog.Logger) (*TicketIntake, error) {
	if !cfg.Tickets.On() {
		return nil, errors.New("tickets are off in the config")
	}
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if log == nil {
		log = slog.Default()
	}
	tp, err := openTickets(ctx, Options{Config: cfg, Clock: clock, Logger: log})
	if err != nil {
		return nil, err
	}
	return &TicketIntake{Intake: tp.svc, tp: tp}, nil
}
