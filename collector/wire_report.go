package collector

import (
	"context"
	"math"
	"time"

	"github.com/roomwatch/roomwatch/internal/report"
	reportapi "github.com/roomwatch/roomwatch/internal/report/api"
	"github.com/roomwatch/roomwatch/internal/report/deliver"
	"github.com/roomwatch/roomwatch/internal/report/rollup"
	"github.com/roomwatch/roomwatch/internal/store"
)

// wireReports mounts GET /api/v1/reports/{daily|monthly|quarterly|assets}
// (role viewer) over serve's own open stores, and runs the daily
// availability roll-up (rollups.db) when the TSDB is serve's own.
func wireReports(s *Server) error {
	loc, _ := s.cfg.Location()
	src := s.stores.ReportSources(&s.cfg, s.templates)
	ro := report.Options{Bureau: s.cfg.Global.Bureau, Location: loc, Clock: s.opts.Clock}
	s.Handle(reportapi.Prefix, reportapi.New(reportapi.Options{Sources: src, Report: ro, Auth: s.auth, PDF: s.printer(), Logger: s.log}))
	if err := wireDelivery(s, src, ro); err != nil {
		return err
	}
	if s.stores.Rollups == nil || s.stores.TSDB == nil || !s.stores.metricsTSDB {
		return nil
	}
	// The roll-up reads the TSDB only, never earlier roll-ups.
	raw, err := report.New(report.Sources{Series: s.stores.TSDB}, ro)
	if err != nil {
		return err
	}
	db := s.stores.TSDB
	job, err := rollup.NewJob(rollup.JobOptions{
		Store: s.stores.Rollups, Totals: raw, Location: loc, Clock: s.opts.Clock,
		Retention: s.cfg.Storage.RollupRetention.Std(), Logger: s.log,
		Earliest: func() (time.Time, bool) { return oldestSample(db) },
	})
	if err != nil {
		return err
	}
	s.Go(func(ctx context.Context) error { job.Run(ctx); return nil })
	return nil
}

// oldestSample is the start of the TSDB's oldest block or of its head.
func oldestSample(db *store.Store) (time.Time, bool) {
	mint := int64(math.MaxInt64)
	for _, b := range db.DB().Blocks() {
		mint = min(mint, b.Meta().MinTime)
	}
	if h := db.DB().Head().MinTime(); h < mint {
		mint = h
	}
	if mint == math.MaxInt64 {
		return time.Time{}, false
	}
	return time.UnixMilli(mint), true
}

// wireDelivery runs the scheduled reports (reports.deliver): files under the
// data directory's reports/, sent through the named notify channels.
func wireDelivery(s *Server, src report.Sources, ro report.Options) error {
	jobs := s.cfg.Reports.Deliver
	if len(jobs) == 0 || s.stores.Inspections == nil {
		return nil
	}
	if _, err := report.New(src, ro); err != nil { // what every delivery will build from
		return err
	}
	o := deliver.Options{Jobs: jobs, Dir: s.stores.Dir.Reports(), Reports: freshReports{src, ro}, Location: ro.Location, Clock: s.opts.Clock,
		FirstStart: s.stores.Inspections.FirstStart, Logger: s.log}
	for _, j := range jobs {
		if len(j.Channels) > 0 {
			var err error
			if o.Sender, err = s.notifier(); err != nil {
				return err
			}
			break
		}
	}
	d, err := deliver.New(o)
	if err != nil {
		return err
	}
	s.Go(func(ctx context.Context) error { d.Run(ctx); return nil })
	return nil
}

// freshReports builds each delivered report with a Reporter of its own,
// dropped once the report is built, as the report API and the console do
// per request: a Reporter indexes the inventory (3.7 MB for 10,000 cameras),
// which a collector delivering a few reports a day should not hold between
// them.
type freshReports struct {
	src report.Sources
	o   report.Options
}

func (f freshReports) Build(ctx context.Context, k report.Kind, p report.Period) (*report.Document, error) {
	r, err := report.New(f.src, f.o)
	if err != nil {
		return nil, err
	}
	return r.Build(ctx, k, p)
}
