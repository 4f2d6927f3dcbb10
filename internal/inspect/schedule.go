package inspect

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Schedule runs templates on their cron schedules, on the Runner's clock,
// until ctx ends. A run that fails is logged; the next one still happens.
// First it catches up: a template that ran before but has no record for its
// latest due time (within one period before now) is run for that time, so a collector that was
// down at 08:30 still produces that day's sheet when it comes back.
func (r *Runner) Schedule(ctx context.Context, templates []*Template) error {
	if err := r.catchUp(ctx, templates); err != nil {
		return err
	}
	for {
		now := r.o.Clock.Now().In(r.o.Location)
		var next time.Time
		var due []*Template
		for _, t := range templates {
			if t.Cron() == nil {
				continue
			}
			n := t.Cron().Next(now)
			switch {
			case n.IsZero():
			case next.IsZero() || n.Before(next):
				next, due = n, []*Template{t}
			case n.Equal(next):
				due = append(due, t)
			}
		}
		if next.IsZero() {
			<-ctx.Done()
			return ctx.Err()
		}
		// Armed before it is logged: once "next inspection" is logged, moving
		// the clock past next runs the templates.
		timer := r.o.Clock.After(next.Sub(now))
		names := make([]string, len(due))
		for i, t := range due {
			names[i] = t.Name
		}
		r.o.Logger.Info("next inspection", "templates", strings.Join(names, ","), "at", next)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer:
		}
		for _, t := range due {
			if _, err := r.Run(ctx, t, RunOptions{At: next, Trigger: "schedule", Actor: "system"}); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r.o.Logger.Error("scheduled inspection failed", "template", t.Name, "err", err)
			}
		}
	}
}

// maxCatchUpSteps bounds the walk over a template's due times within one
// period (a daily template takes one step; every five minutes over a year
// would take 100k, and such a template is not caught up).
const maxCatchUpSteps = 10_000

// catchUp runs each template that has run before and whose latest due time
// in (now-period, now] has no record yet. Only the latest is caught up: a collector down for three days
// writes the last day's sheet, and the log says which were missed.
func (r *Runner) catchUp(ctx context.Context, templates []*Template) error {
	now := r.o.Clock.Now().In(r.o.Location)
	first, err := r.o.Store.FirstStart(ctx, now)
	if err != nil {
		return err
	}
	for _, t := range templates {
		due, skipped := lastDue(t, now)
		if due.IsZero() {
			continue
		}
		// Never a due time from before the system first started: a
		// monthly template installed mid-month has no sheet to owe for
		// the 1st.
		if due.Before(first) {
			continue
		}
		// A template that never ran (a fresh install, a new template) has
		// nothing to catch up; one that ran before and lacks this due time does.
		ever, err := r.o.Store.List(ctx, Filter{Template: t.Name, Limit: 1})
		if err != nil {
			return fmt.Errorf("inspect: catch up %s: %w", t.Name, err)
		}
		if len(ever) == 0 {
			continue
		}
		have, err := r.o.Store.List(ctx, Filter{Template: t.Name, From: due, To: due.Add(time.Minute), Limit: 1})
		if err != nil {
			return fmt.Errorf("inspect: catch up %s: %w", t.Name, err)
		}
		if len(have) > 0 {
			continue
		}
		r.o.Logger.Warn("inspection missed while the collector was down; running it now", "template", t.Name, "due", due, "older_missed", skipped)
		if _, err := r.Run(ctx, t, RunOptions{At: due, Trigger: "catch-up", Actor: "system"}); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.o.Logger.Error("catch-up inspection failed", "template", t.Name, "err", err)
		}
	}
	return nil
}

// lastDue returns the template's latest due time in (now-period, now], and
// how many earlier due times that window also held; zero when none.
func lastDue(t *Template, now time.Time) (due time.Time, earlier int) {
	c := t.Cron()
	if c == nil {
		return time.Time{}, 0
	}
	at := c.Next(now.Add(-t.PeriodDuration()))
	for i := 0; !at.IsZero() && !at.After(now); i++ {
		if i == maxCatchUpSteps {
			return time.Time{}, 0
		}
		if !due.IsZero() {
			earlier++
		}
		due, at = at, c.Next(at)
	}
	return due, earlier
}
