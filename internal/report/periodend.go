package report

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

// asOf returns the instant a period's tickets are judged at: its end, or now
// while it is still running.
func (r *Reporter) asOf(p Period) time.Time {
	if now := r.o.Clock.Now(); now.Before(p.End) {
		return now
	}
	return p.End
}

// atPeriodEnd rewinds tickets to how they stood at the period's end (asOf),
// so a report for a closed period does not change with the day it is run:
//
//   - SLA timers are judged at the period end: a timer whose anchor came
//     later is waiting, one met or ended later is running (breached when it
//     had counted its target by the period end, by the overrun at that
//     instant); a pause that began before the period end and ended after
//     it is in progress then (rewindPause);
//   - recovered, resolved and closed times after the period end are dropped;
//   - the state is the last transition in the history before the period end
//     (a ticket cancelled later was a fault then), and the events before the
//     end are kept in Ticket.Events for MTTA.
//
// Without a ticket history (Sources.History) the state stays as stored.
func (r *Reporter) atPeriodEnd(ctx context.Context, ts []tickets.Ticket, p Period) error {
	if len(ts) == 0 {
		return nil
	}
	at := r.asOf(p)
	var byTicket, later map[int64][]tickets.Event
	if r.src.History != nil {
		// Tickets opened in p: their history starts at p.Start.
		evs, err := r.src.History.EventsBetween(ctx, p.Start, at)
		if err != nil {
			return fmt.Errorf("ticket history: %w", err)
		}
		byTicket = map[int64][]tickets.Event{}
		for _, e := range evs {
			byTicket[e.TicketID] = append(byTicket[e.TicketID], e.Event)
		}
		// The events after the end only tell when a pause in progress
		// then ended; read when there is one.
		if later, err = r.eventsAfter(ctx, byTicket, at); err != nil {
			return err
		}
	}
	after := func(p *time.Time) bool { return p != nil && !p.Before(at) }
	for i := range ts {
		t := &ts[i]
		timers := make([]tickets.Timer, len(t.Timers))
		copy(timers, t.Timers)
		for j := range timers {
			tm := &timers[j]
			if after(tm.StartedAt) {
				tm.StartedAt, tm.MetAt = nil, nil
			}
			if after(tm.MetAt) {
				tm.MetAt = nil
			}
			if after(tm.EndedAt) {
				tm.EndedAt = nil
			}
		}
		if byTicket != nil && r.src.Tickets != nil {
			if since, until, ok := pauseAt(byTicket[t.ID], later[t.ID]); ok {
				r.rewindPause(t, timers, at, since, until)
			}
		}
		t.Timers = timers
		if after(t.RecoveredAt) {
			t.RecoveredAt = nil
		}
		if after(t.ResolvedAt) {
			t.ResolvedAt = nil
		}
		if after(t.ClosedAt) {
			t.ClosedAt = nil
		}
		if byTicket != nil {
			t.Events = byTicket[t.ID]
			t.State = tickets.StateOpen
			for _, e := range t.Events {
				if e.To != "" {
					t.State = e.To
				}
			}
		}
		if r.src.Tickets != nil {
			r.src.Tickets.View(t, at)
		}
	}
	return nil
}

// respondedAt is when a ticket was first answered: its respond timer met,
// else (a profile without a respond timer) the first acknowledge, dispatch,
// on-site or resolve transition in its history — the actions that meet a
// respond timer. Nil when it was not answered.
func respondedAt(t *tickets.Ticket) *time.Time {
	if tm := t.Timer(tickets.TimerRespond); tm != nil {
		return tm.MetAt
	}
	for _, e := range t.Events {
		switch tickets.Action(e.Kind) {
		case tickets.ActionAck, tickets.ActionDispatch, tickets.ActionOnSite, tickets.ActionResolve:
			at := e.At
			return &at
		}
	}
	return nil
}

// actionAt is when an action took effect: the time it was recorded for
// ("at" in the event's detail), else the event's time.
func actionAt(e tickets.Event) time.Time {
	var d struct {
		At time.Time `json:"at"`
	}
	if e.Detail != "" && json.Unmarshal([]byte(e.Detail), &d) == nil && !d.At.IsZero() {
		return d.At
	}
	return e.At
}

// pauseAt finds the agreed pause in progress at the end of the events
// before (ok=false: none) and when it ended by the events after: the first
// resume or resolution (at its recorded time), close or cancel (at the
// event); a zero until while it lasts.
func pauseAt(before, after []tickets.Event) (since, until time.Time, ok bool) {
	for _, e := range before {
		switch tickets.Action(e.Kind) {
		case tickets.ActionPause:
			since, ok = actionAt(e), true
		case tickets.ActionResume, tickets.ActionResolve, tickets.ActionClose, tickets.ActionCancel:
			ok = false
		}
	}
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	for _, e := range after {
		switch tickets.Action(e.Kind) {
		case tickets.ActionResume, tickets.ActionResolve:
			return since, actionAt(e), true
		case tickets.ActionClose, tickets.ActionCancel:
			return since, e.At, true
		}
	}
	return since, time.Time{}, true
}

// rewindPause puts a pause that began at since, before the period's end,
// and ended at until, after it, back in progress on the pausable timers it
// held (timers: the rewound copies of t.Timers, in the same order): what
// it added to their folded pauses when it ended is taken back out.
func (r *Reporter) rewindPause(t *tickets.Ticket, timers []tickets.Timer, at, since, until time.Time) {
	for j := range timers {
		orig := t.Timers[j]
		if !orig.Spec.Pausable || orig.StartedAt == nil || orig.StartedAt.After(since) || orig.PausedAt != nil {
			continue // not held by it, or still paused (nothing folded)
		}
		fold := until
		for _, stop := range []*time.Time{orig.MetAt, orig.EndedAt} {
			if stop != nil && (fold.IsZero() || stop.Before(fold)) {
				fold = *stop
			}
		}
		if !fold.After(since) || fold.Before(at) {
			continue // stopped before the pause, or folded before the end
		}
		timers[j].Paused -= r.src.Tickets.FoldedPause(t, orig, since, fold)
		s := since
		timers[j].PausedAt = &s
	}
}

// eventsAfter reads the events from at on, per ticket, when one of the
// tickets had a pause in progress at at (nil otherwise).
func (r *Reporter) eventsAfter(ctx context.Context, byTicket map[int64][]tickets.Event, at time.Time) (map[int64][]tickets.Event, error) {
	need := false
	for _, evs := range byTicket {
		if _, _, ok := pauseAt(evs, nil); ok {
			need = true
			break
		}
	}
	now := r.o.Clock.Now()
	if !need || !now.After(at) {
		return nil, nil
	}
	evs, err := r.src.History.EventsBetween(ctx, at, now.Add(time.Second))
	if err != nil {
		return nil, fmt.Errorf("ticket history: %w", err)
	}
	out := map[int64][]tickets.Event{}
	for _, e := range evs {
		out[e.TicketID] = append(out[e.TicketID], e.Event)
	}
	return out, nil
}
