package tickets

import (
	"time"

	"github.com/roomwatch/roomwatch/internal/silence"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// WindowSource gives the maintenance windows (计划维护) in force at some
// moment of [from, to) (a zero to: no end), expired ones included;
// *silence.Set implements it from memory. The service takes a window's
// time out of the repair timers of the tickets it covers (sla.Windowed,
// sla.Counted), on the ticket as shown and in the monthly statistics alike.
type WindowSource interface {
	InForce(from, to time.Time) []*silence.Silence
}

// windowSpans returns the spans of the windows that cover the ticket (its
// labels with device, site and class, as the silences are matched:
// silenceLabels) and overlap [from, to) (a zero to: no end).
func (s *Service) windowSpans(t *Ticket, from, to time.Time) []sla.Interval {
	if s.o.Windows == nil {
		return nil
	}
	ws := s.o.Windows.InForce(from, to)
	if len(ws) == 0 {
		return nil
	}
	ls := s.silenceLabels(s.ticketLabels(t))
	var out []sla.Interval
	for _, w := range ws {
		if coversLabels(w, ls) {
			out = append(out, sla.Interval{From: w.StartsAt, To: w.EndsAt})
		}
	}
	return out
}

// coversLabels reports whether every matcher of w selects ls.
func coversLabels(w *silence.Silence, ls map[string]string) bool {
	for _, m := range w.Matchers {
		if !m.Matches(ls) {
			return false
		}
	}
	return true
}

// ticketWindows returns the spans of the windows covering the ticket from
// its opening on, when one of its timers is windowed (nil otherwise).
func (s *Service) ticketWindows(t *Ticket) []sla.Interval {
	for _, tm := range t.Timers {
		if sla.Windowed(tm.Spec.Kind) {
			return s.windowSpans(t, t.OpenedAt, time.Time{})
		}
	}
	return nil
}

// runOf is what sla.EvaluateRun and sla.StepsRun need of a started timer:
// its stored run and, for a windowed timer, the windows covering the
// ticket (ws, from ticketWindows).
func runOf(tm Timer, ws []sla.Interval) sla.Run {
	r := tm.Run()
	if sla.Windowed(tm.Spec.Kind) {
		r.Windows = ws
	}
	return r
}

// FoldedPause is the calendar time a pause over [since, until) added to a
// timer's folded pauses when it ended (foldPause): its calendar time, for a
// windowed timer outside the windows covering the ticket. A report judging
// the ticket at an earlier instant takes it back out of the timer.
func (s *Service) FoldedPause(t *Ticket, tm Timer, since, until time.Time) time.Duration {
	var ws []sla.Interval
	if sla.Windowed(tm.Spec.Kind) {
		ws = s.windowSpans(t, since, until)
	}
	return sla.Outside(s.calendarOf(tm.Spec), since, until, ws)
}
