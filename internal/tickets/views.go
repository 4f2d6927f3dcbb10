package tickets

import (
	"context"
	"encoding/json"
	"strings"
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
//
// What the store answers is kept per filter until the next committed change
// (listcache.go); the timers are evaluated at every call.
func (s *Service) List(ctx context.Context, f Filter) ([]Ticket, error) {
	now := s.o.Clock.Now()
	key, seq := filterKey(f), s.ChangeSeq() // the sequence before the read
	ts, ok := s.lists.get(key, seq)
	if !ok {
		var err error
		if ts, err = s.o.Store.List(ctx, f); err != nil {
			return nil, err
		}
		s.lists.put(key, seq, ts)
	}
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
	t.Photos = nil
	for i := range t.Events {
		t.Events[i].At = t.Events[i].At.In(loc)
		if p := photoOf(t.Events[i]); p != "" {
			t.Photos = append(t.Photos, p)
		}
	}
	for i := range t.Parts {
		t.Parts[i].At = t.Parts[i].At.In(loc)
	}
	for i := range t.Affected {
		t.Affected[i].At = t.Affected[i].At.In(loc)
	}
	if t.Pause != nil {
		p := *t.Pause
		p.Since = p.Since.In(loc)
		t.Pause = &p
	}
	t.TimerViews = make([]TimerView, 0, len(t.Timers))
	ws := s.ticketWindows(t)
	for _, tm := range t.Timers {
		if tm.StartedAt == nil && tm.Spec.From == sla.FromRepairOut {
			continue // a repair timer shows once a unit is sent for repair
		}
		t.TimerViews = append(t.TimerViews, s.timerView(t, tm, ws, now))
	}
}

// finalAt is when a closed or cancelled ticket stopped (nil when it is not
// final): its timers do not run past it.
func finalAt(t *Ticket) *time.Time {
	if !t.State.Final() {
		return nil
	}
	if t.ClosedAt != nil {
		return t.ClosedAt
	}
	u := t.UpdatedAt
	return &u
}

// timerView evaluates one timer at now (ws: the windows covering the
// ticket, ticketWindows). A closed or cancelled ticket has no
// running timer: one still running (stored before it was ended) counts as
// ended at the close, one never started is not applicable.
func (s *Service) timerView(t *Ticket, tm Timer, ws []sla.Interval, now time.Time) TimerView {
	loc := s.o.Location
	in := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := p.In(loc)
		return &v
	}
	v := TimerView{Name: tm.Name(), NameZH: tm.Spec.Kind.Chinese(), Target: Dur(tm.Spec.Target),
		Calendar: tm.Spec.Calendar, StartedAt: in(tm.StartedAt), MetAt: in(tm.MetAt), EndedAt: in(tm.EndedAt), Status: "waiting"}
	fin := finalAt(t)
	if tm.StartedAt == nil {
		if fin != nil {
			v.Status = "not_applicable"
		}
		return v
	}
	run := runOf(tm, ws)
	if fin != nil && run.Met == nil && run.Ended == nil {
		run.Ended = fin
		v.EndedAt = in(fin)
	}
	st := sla.EvaluateRun(tm.Spec, s.calendarOf(tm.Spec), run, now)
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
	if st.PausedFor > 0 {
		p := Dur(st.PausedFor)
		v.PausedFor = &p
	}
	if st.WindowFor > 0 {
		w := Dur(st.WindowFor)
		v.WindowFor = &w
	}
	c := Dur(st.Elapsed)
	v.Counted = &c
	v.Status = st.Status()
	return v
}

// photoOf returns the photo an event's detail names ("" for none).
func photoOf(e Event) string {
	if e.Kind != EventOpened || !strings.Contains(e.Detail, `"photo"`) {
		return ""
	}
	var d struct {
		Photo string `json:"photo"`
	}
	if json.Unmarshal([]byte(e.Detail), &d) != nil {
		return ""
	}
	return d.Photo
}
