package rollup

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/report"
)

// MinRetention is the least Retention: a year and a quarter, so that a
// yearly report and the quarter before it always have their days.
const MinRetention = 400 * 24 * time.Hour

// DefaultRetention keeps two years and a bit.
const DefaultRetention = 800 * 24 * time.Hour

// Totals computes one span's per-device sample totals from raw samples;
// *report.Reporter implements it (DayTotals).
type Totals interface {
	DayTotals(ctx context.Context, from, to time.Time) (map[string]*report.DeviceAvail, error)
}

// JobOptions configure a Job. Store, Totals and Earliest are required.
type JobOptions struct {
	Store  *Store
	Totals Totals
	// Earliest returns the time of the oldest sample the TSDB holds (false
	// when it holds none): no day before it is rolled up.
	Earliest func() (time.Time, bool)
	// Location gives the calendar days; Clock the time (real when nil).
	Location *time.Location
	Clock    clockwork.Clock
	// Retention keeps rows this long; DefaultRetention when 0.
	Retention time.Duration
	// After is how long after midnight the day before is rolled up, so
	// that late samples (an agent replaying its buffer) have arrived; 10m
	// when 0.
	After  time.Duration
	Logger *slog.Logger
}

// Job rolls up every complete day the TSDB holds, once.
type Job struct{ o JobOptions }

// NewJob returns a Job.
func NewJob(o JobOptions) (*Job, error) {
	if o.Store == nil || o.Totals == nil || o.Earliest == nil || o.Location == nil {
		return nil, fmt.Errorf("rollup: job needs a store, totals, earliest and location")
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.Retention < MinRetention {
		return nil, fmt.Errorf("rollup: retention %v is under %v", o.Retention, MinRetention)
	}
	if o.After <= 0 {
		o.After = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Job{o: o}, nil
}

// midnight returns the start of t's local day.
func (j *Job) midnight(t time.Time) time.Time {
	t = t.In(j.o.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, j.o.Location)
}

// RunOnce rolls up each complete day after the last one rolled up (or from
// the TSDB's oldest day) up to yesterday, then prunes rows past the
// retention. It returns the days rolled up.
func (j *Job) RunOnce(ctx context.Context) (int, error) {
	now := j.o.Clock.Now()
	today := j.midnight(now)
	oldest, ok := j.o.Earliest()
	if !ok {
		return 0, nil
	}
	from := j.midnight(oldest)
	last, err := j.o.Store.Last(ctx)
	if err != nil {
		return 0, err
	}
	if last != "" {
		l, err := time.ParseInLocation(report.DayLayout, last, j.o.Location)
		if err != nil {
			return 0, fmt.Errorf("rollup: last day %q: %w", last, err)
		}
		if next := l.AddDate(0, 0, 1); next.After(from) {
			from = next
		}
	}
	n := 0
	for d := from; d.Before(today); d = d.AddDate(0, 0, 1) {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		e := d.AddDate(0, 0, 1)
		if e.Add(j.o.After).After(now) {
			break // yesterday, before the grace period is over
		}
		devs, err := j.o.Totals.DayTotals(ctx, d, e)
		if err != nil {
			return n, fmt.Errorf("rollup %s: %w", d.Format(report.DayLayout), err)
		}
		if err := j.o.Store.Put(ctx, d.Format(report.DayLayout), devs, now); err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		j.o.Logger.Info("daily availability rolled up", "days", n, "through", today.AddDate(0, 0, -1).Format(report.DayLayout))
	}
	cut := j.midnight(now.Add(-j.o.Retention)).Format(report.DayLayout)
	if gone, err := j.o.Store.Prune(ctx, cut); err != nil {
		return n, err
	} else if gone > 0 {
		j.o.Logger.Info("daily roll-ups past retention pruned", "days", gone, "before", cut)
	}
	return n, nil
}

// Run rolls up at once, then shortly after every midnight, until ctx ends.
// Failures are logged and retried at the next run.
func (j *Job) Run(ctx context.Context) {
	for {
		if _, err := j.RunOnce(ctx); err != nil && ctx.Err() == nil {
			j.o.Logger.Error("daily roll-up failed; retried at the next run", "err", err)
		}
		now := j.o.Clock.Now()
		next := j.midnight(now).AddDate(0, 0, 1).Add(j.o.After)
		select {
		case <-ctx.Done():
			return
		case <-j.o.Clock.After(next.Sub(now)):
		}
	}
}
