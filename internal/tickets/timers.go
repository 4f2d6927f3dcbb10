package tickets

import (
	"time"

	"github.com/roomwatch/roomwatch/internal/sla"
)

// facts returns what the policy chooses a ticket's profile and timers by;
// the device's class comes from its labels, else the inventory.
func (s *Service) facts(t *Ticket) sla.Facts {
	f := sla.Facts{Level: t.Level, Category: t.Category, Site: t.Site, Device: t.Device, Labels: t.Labels,
		Class: t.Labels["class"]}
	if f.Class == "" && t.Device != "" && s.o.Devices != nil {
		if _, class, _, ok := s.o.Devices.Device(t.Device); ok {
			f.Class = class
		}
	}
	return f
}

// startTimers gives a new ticket its profile and timers; the ones counting
// from opening start at now.
func (s *Service) startTimers(t *Ticket, now time.Time) {
	profile, specs := s.o.Policy.TimersFor(s.facts(t))
	t.Profile = profile
	t.Timers = make([]Timer, 0, len(specs))
	for _, sp := range specs {
		tm := Timer{Spec: sp}
		if sp.From == sla.FromOpened || sp.From == "" {
			at := now
			tm.StartedAt = &at
		}
		t.Timers = append(t.Timers, tm)
	}
}

// startAnchored starts the timers counting from anchor.
func (s *Service) startAnchored(t *Ticket, anchor sla.Anchor, at time.Time) {
	for i := range t.Timers {
		if t.Timers[i].Spec.From == anchor && t.Timers[i].StartedAt == nil {
			a := at
			t.Timers[i].StartedAt = &a
		}
	}
}

// foldPause ends a timer's pause in progress at at, adding its calendar
// time; for a windowed timer only the part no maintenance window covers
// (the window holds the timer there already: sla.Counted counts it once).
func (s *Service) foldPause(t *Ticket, tm *Timer, at time.Time) {
	if tm.PausedAt == nil {
		return
	}
	if at.After(*tm.PausedAt) {
		var ws []sla.Interval
		if sla.Windowed(tm.Spec.Kind) {
			ws = s.windowSpans(t, *tm.PausedAt, at)
		}
		tm.Paused += sla.Outside(s.calendarOf(tm.Spec), *tm.PausedAt, at, ws)
	}
	tm.PausedAt = nil
}

// meet stops, at at, every running timer that milestone m meets. It
// returns the names of the timers met.
func (s *Service) meet(t *Ticket, m string, at time.Time) []string {
	var met []string
	if m == "" {
		return nil
	}
	for i := range t.Timers {
		tm := &t.Timers[i]
		if !tm.Running() || !tm.Spec.MeetsBy(m) {
			continue
		}
		s.foldPause(t, tm, at)
		a := at
		tm.MetAt = &a
		met = append(met, tm.Name())
	}
	return met
}

// endRunning stops, at at, every running timer without its milestone (the
// ticket was resolved, so they are no longer needed, or closed or
// cancelled): each is then breached if its deadline had passed, else not
// applicable. keep reports the timers to leave running.
func (s *Service) endRunning(t *Ticket, at time.Time, keep func(Timer) bool) {
	for i := range t.Timers {
		tm := &t.Timers[i]
		if !tm.Running() || (keep != nil && keep(*tm)) {
			continue
		}
		s.foldPause(t, tm, at)
		a := at
		tm.EndedAt = &a
	}
}

// pause holds the ticket's running pausable timers from at.
func (s *Service) pause(t *Ticket, p Pause) {
	t.Pause = &p
	for i := range t.Timers {
		tm := &t.Timers[i]
		if tm.Running() && tm.Spec.Pausable && tm.PausedAt == nil {
			a := p.Since
			tm.PausedAt = &a
		}
	}
}

// resume ends the ticket's pause at at and returns how long it lasted.
func (s *Service) resume(t *Ticket, at time.Time) time.Duration {
	if t.Pause == nil {
		return 0
	}
	d := max(at.Sub(t.Pause.Since), 0)
	t.PausedTotal += Dur(d)
	t.Pause = nil
	for i := range t.Timers {
		s.foldPause(t, &t.Timers[i], at)
	}
	return d
}

// reopenTimers: the fault is back. The clocks of fixing it (resolve,
// restore, spare, escalation, emergency plan) run again from their old
// start; the report timer waits for the next resolution. Answering,
// arrival, diagnosis and plan keep their outcome (met, or ended).
func reopenTimers(t *Ticket) {
	for i := range t.Timers {
		tm := &t.Timers[i]
		switch tm.Spec.Kind {
		case sla.Resolve, sla.Restore, sla.Spare, sla.Escalation, sla.Emergency:
			tm.MetAt, tm.EndedAt = nil, nil
		}
		if tm.Spec.From == sla.FromResolved {
			tm.StartedAt, tm.MetAt, tm.Paused, tm.PausedAt = nil, nil, 0, nil
		}
	}
}
