package collector

import (
	"github.com/roomwatch/roomwatch/internal/report"
	reportapi "github.com/roomwatch/roomwatch/internal/report/api"
)

// wireReports mounts GET /api/v1/reports/{daily|monthly|quarterly|assets}
// (role viewer) over serve's own open stores.
func wireReports(s *Server) error {
	loc, _ := s.cfg.Location()
	s.Handle(reportapi.Prefix, reportapi.New(reportapi.Options{
		Sources: s.stores.ReportSources(&s.cfg, s.templates),
		Report:  report.Options{Bureau: s.cfg.Global.Bureau, Location: loc, Clock: s.opts.Clock},
		Auth:    s.auth, Logger: s.log,
	}))
	return nil
}
