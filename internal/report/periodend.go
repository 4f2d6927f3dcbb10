package report

import (
	"context"
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
//     instant); a pause that began before the period end and was resumed
//     after it counts whole (the timer keeps only its folded total);
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
	var byTicket map[int64][]tickets.Event
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
