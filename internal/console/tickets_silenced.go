package console

import (
	"context"
	"slices"
	"sync"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

// silenceMarks remembers which active tickets a maintenance window covers
// (their events say so: silenced without silence_ended), for the badges of
// the desk and the ticket list, whose tickets come without events. A ticket
// is read once; the change feed forgets it when a window begins or ends on
// it or it leaves the active states, and forgets all when changes were
// missed.
type silenceMarks struct {
	mu     sync.Mutex
	sub    *tickets.Subscription
	missed int
	known  map[int64]bool
}

// forgetKinds are the event kinds after which a ticket's mark is read again.
var forgetKinds = []string{tickets.EventSilenced, tickets.EventSilenceEnds, string(tickets.ActionResolve),
	string(tickets.ActionClose), string(tickets.ActionCancel), tickets.EventAutoClose}

// markSilenced sets Silenced on the active rows in a maintenance window. A
// ticket that cannot be read is shown unmarked (and read again next time).
func (c *Console) markSilenced(ctx context.Context, rows []ticketRow) {
	m := &c.silence
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sub == nil {
		m.sub = c.o.Tickets.Subscribe(1024)
		m.known = map[int64]bool{}
	}
drain:
	for {
		select {
		case ch, ok := <-m.sub.C():
			if !ok {
				break drain
			}
			if slices.ContainsFunc(ch.Kinds, func(k string) bool { return slices.Contains(forgetKinds, k) }) {
				delete(m.known, ch.TicketID)
			}
		default:
			break drain
		}
	}
	if n := m.sub.Missed(); n != m.missed {
		m.missed = n
		clear(m.known)
	}
	for i := range rows {
		if !tickets.State(rows[i].State).Active() {
			continue
		}
		v, ok := m.known[rows[i].ID]
		if !ok {
			t, err := c.o.Tickets.Get(ctx, rows[i].ID)
			if err != nil {
				c.o.Logger.Warn("console: ticket events", "ticket", rows[i].ID, "err", err)
				continue
			}
			v = silencedNow(t.Events)
			m.known[rows[i].ID] = v
		}
		rows[i].Silenced = v
	}
}

// closeSilenceMarks ends the change feed (StopStreams).
func (c *Console) closeSilenceMarks() {
	c.silence.mu.Lock()
	defer c.silence.mu.Unlock()
	if c.silence.sub != nil {
		c.silence.sub.Close()
	}
}
