package tickets_test

import (
	"context"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// TestListCacheFollowsChanges: List answers from its cache until a ticket
// changes, and still evaluates the timers at every call; what a caller does
// to the answer does not reach the next one.
func TestListCacheFollowsChanges(t *testing.T) {
	t.Parallel()
	var reads listCountingStore
	env := ticketstest.New(t, func(o *tickets.Options) { reads.Store = o.Store; o.Store = &reads })
	ctx := context.Background()
	ingest(t, env, firing("sw1", "PortDown", ticketstest.Start, "severity", "critical"))
	active := tickets.Filter{States: []tickets.State{tickets.StateOpen, tickets.StateAcknowledged}, Limit: 1000}
	list := func() []tickets.Ticket {
		t.Helper()
		ts, err := env.Service.List(ctx, active)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 1 {
			t.Fatalf("%d tickets, want 1", len(ts))
		}
		return ts
	}
	remaining := func(tk tickets.Ticket) time.Duration {
		for _, v := range tk.TimerViews {
			if v.Remaining != nil {
				return time.Duration(*v.Remaining)
			}
		}
		t.Fatalf("no running timer: %+v", tk.TimerViews)
		return 0
	}

	first := list()
	r0 := remaining(first[0])
	first[0].Labels["alertname"] = "changed by a caller"
	first[0].Title = "changed by a caller"

	env.Clock.Advance(time.Minute) // no change: from the cache, timers re-evaluated
	second := list()
	if reads.lists != 1 {
		t.Errorf("%d store reads for two lists without a change, want 1", reads.lists)
	}
	if got := remaining(second[0]); got != r0-time.Minute {
		t.Errorf("remaining after a minute %v, want %v", got, r0-time.Minute)
	}
	if second[0].Labels["alertname"] != "PortDown" || second[0].Title == "changed by a caller" {
		t.Errorf("a caller's change reached the cache: %q %q", second[0].Labels["alertname"], second[0].Title)
	}

	if _, err := env.Service.Do(ctx, second[0].ID, tickets.ActionRequest{Action: tickets.ActionAck, Actor: "li"}); err != nil {
		t.Fatal(err)
	}
	if got := list()[0].State; got != tickets.StateAcknowledged {
		t.Errorf("state after ack %q: the cache outlived the change", got)
	}
	if reads.lists != 2 {
		t.Errorf("%d store reads after a change, want 2", reads.lists)
	}
}

// listCountingStore counts the store's List calls.
type listCountingStore struct {
	tickets.Store
	lists int
}

func (c *listCountingStore) List(ctx context.Context, f tickets.Filter) ([]tickets.Ticket, error) {
	c.lists++
	return c.Store.List(ctx, f)
}
