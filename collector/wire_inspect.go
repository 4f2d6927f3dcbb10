package collector

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/roomwatch/roomwatch/internal/inspect"
	inspectapi "github.com/roomwatch/roomwatch/internal/inspect/api"
	"github.com/roomwatch/roomwatch/internal/report"
)

// wireInspections mounts the inspections API over the data directory's
// inspection records and runs the templates on their schedules. Abnormal
// rows go to the ticket pipeline when tickets are on.
func wireInspections(s *Server) error {
	cfg := &s.cfg
	templates, err := loadTemplates(cfg.Inspections, s.log)
	if err != nil {
		return err
	}
	s.templates = templates
	st := s.stores
	loc, _ := cfg.Location()
	ro := inspect.Options{Querier: st.Metrics, Inventory: &cfg.Inventory, Store: st.Inspections, Clock: s.opts.Clock, Location: loc, Logger: s.log}
	if st.Tickets != nil {
		ro.Intake = st.Tickets.svc
	}
	runner, err := inspect.NewRunner(ro)
	if err != nil {
		return fmt.Errorf("inspections: %w", err)
	}
	s.runner = runner
	h := inspectapi.New(inspectapi.Options{
		Store: st.Inspections, Runner: runner, Templates: templates, Auth: s.auth, Clock: s.opts.Clock, Logger: s.log,
		Sheet:    report.SheetOptions{Bureau: cfg.Global.Bureau, Location: loc},
		PhotoDir: st.Dir.PhotoDir(), PDF: s.printer(),
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
