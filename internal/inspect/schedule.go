package inspect

import (
	"context"
	"strings"
	"time"
)

// Schedule runs templates on their cron schedules, on the Runner's clock,
// until ctx ends. A run that fails is logged; the next one still happens.
func (r *Runner) Schedule(ctx context.Context, templates []*Template) error {
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
