package tickets

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Change is one committed change of a ticket: the ticket and the kinds of
// the events the commit added to it (opened, ack, alert, notice…).
type Change struct {
	TicketID int64
	Kinds    []string
}

// changeHub hands committed changes to subscribers (the console's duty desk
// and wall display). A subscriber whose buffer is full misses the change
// (counted in Missed): it still has unread changes waiting, and a consumer
// that re-reads the tickets on any change loses nothing by that.
type changeHub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
	seq  atomic.Uint64 // commits with changes so far
}

// Subscription receives changes until Close.
type Subscription struct {
	hub *changeHub
	c   chan Change
	mu  sync.Mutex
	// missed counts the changes dropped because the buffer was full.
	missed int
}

// C is the channel of changes; it is closed by Close.
func (s *Subscription) C() <-chan Change { return s.c }

// Missed returns how many changes were dropped on a full buffer.
func (s *Subscription) Missed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.missed
}

// Close ends the subscription and closes C. It may be called more than once.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.c)
	}
}

// Subscribe returns a subscription to every committed ticket change, with a
// buffer of buf changes (at least 1; 64 when buf <= 0). Sending never
// blocks a commit.
func (s *Service) Subscribe(buf int) *Subscription {
	if buf <= 0 {
		buf = 64
	}
	sub := &Subscription{hub: s.hub, c: make(chan Change, buf)}
	s.hub.mu.Lock()
	s.hub.subs[sub] = struct{}{}
	s.hub.mu.Unlock()
	return sub
}

// ChangeSeq counts the commits that changed tickets. It is advanced before
// subscribers hear of a commit, so a cache keyed by it and read after a
// Change arrived is never older than that change.
func (s *Service) ChangeSeq() uint64 { return s.hub.seq.Load() }

// publish sends the changes of one commit, one Change per ticket.
func (h *changeHub) publish(recs []AuditRecord) {
	if len(recs) == 0 {
		return
	}
	h.seq.Add(1)
	var cs []Change
	for _, r := range recs {
		i := slices.IndexFunc(cs, func(c Change) bool { return c.TicketID == r.TicketID })
		if i < 0 {
			cs = append(cs, Change{TicketID: r.TicketID})
			i = len(cs) - 1
		}
		if !slices.Contains(cs[i].Kinds, r.Kind) {
			cs[i].Kinds = append(cs[i].Kinds, r.Kind)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		for _, c := range cs {
			select {
			case sub.c <- c:
			default:
				sub.mu.Lock()
				sub.missed++
				sub.mu.Unlock()
			}
		}
	}
}
