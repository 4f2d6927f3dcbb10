package tickets

import (
	"context"
	"time"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// Get returns a ticket with its evaluated timers and history.
func (s *Service) Get(ctx context.Context, id int64) (*Ticket, error) {
	t, err := s.o.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	s.View(t, s.o.Clock.Now())
	return t, nil
}

// List returns tickets matching f with their evaluated timers.
func (s *Service) List(ctx context.Context, f Filter) ([]Ticket, error) {
	ts, err := s.o.Store.List(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.o.Clock.Now()
	for i := range ts {
		s.View(&ts[i], now)
	}
	return ts, nil
}

// calendarOf returns the spec's calendar, or 7×24 when the profile no longer
// has it.
func (s *Service) calendarOf(spec sla.TimerSpec) sla.Calendar {
	if c := s.o.Policy.CalendarOf(spec); c != nil {
		return c
	}
	return calendar.Always("24x7", s.o.Location)
}

// View fills t.TimerViews at now, times in the service's location.
func (s *Service) View(t *Ticket, now time.Time) {
	loc := s.o.Location
	in := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := p.In(loc)
		return &v
	}
	t.OpenedAt, t.UpdatedAt = t.OpenedAt.In(loc), t.UpdatedAt.In(loc)
	t.RecoveredAt, t.ResolvedAt, t.ClosedAt, t.LastAlertAt = in(t.RecoveredAt), in(t.ResolvedAt), in(t.ClosedAt), in(t.LastAlertAt)
	t.UnknownSince = in(t.UnknownSince)
	if t.UnknownSince != nil {
		t.Unknown = UnknownMark
	}
	for i := range t.Events {
		t.Events[i].At = t.Events[i].At.In(loc)
	}
	for i := range t.Parts {
		t.Parts[i].At = t.Parts[i].At.In(loc)
	}
	for i := range t.Affected {
		t.Affected[i].At = t.Affected[i].At.In(loc)
	}
	t.TimerViews = make([]TimerView, 0, len(t.Timers))
	for _, tm := range t.Timers {
		v := TimerView{Name: tm.Name(), NameZH: tm.Spec.Kind.Chinese(), Target: Dur(tm.Spec.Target),
			Calendar: tm.Spec.Calendar, StartedAt: in(tm.StartedAt), MetAt: in(tm.MetAt), Status: "waiting"}
		if tm.StartedAt != nil {
			st := sla.Evaluate(tm.Spec, s.calendarOf(tm.Spec), *tm.StartedAt, tm.MetAt, now)
			v.Deadline = in(&st.Deadline)
			if !st.WarnAt.IsZero() {
				v.WarnAt = in(&st.WarnAt)
			}
			if st.Running {
				r := Dur(st.Remaining)
				v.Remaining = &r
			}
			v.Met, v.Breached = st.Met, st.Breached
			if st.Breached {
				b := Dur(st.BreachedBy)
				v.BreachedBy = &b
			}
			v.Status = st.Status()
		}
		t.TimerViews = append(t.TimerViews, v)
	}
}
