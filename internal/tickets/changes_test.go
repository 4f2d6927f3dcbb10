package tickets_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

func next(t *testing.T, sub *tickets.Subscription) tickets.Change {
	t.Helper()
	select {
	case c := <-sub.C():
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no change within 5 s")
		return tickets.Change{}
	}
}

// TestSubscribe: every commit reaches every subscriber once per ticket, with
// the kinds of its events; a full buffer drops (and counts) instead of
// blocking the commit; Close closes the channel.
func TestSubscribe(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	ctx := context.Background()
	a, b := env.Service.Subscribe(8), env.Service.Subscribe(1)
	defer a.Close()
	seq0 := env.Service.ChangeSeq()
	tk, err := env.Service.Create(ctx, tickets.Manual{Title: "电话报修", Level: 2, Actor: "duty"})
	if err != nil {
		t.Fatal(err)
	}
	if n := env.Service.ChangeSeq() - seq0; n != 1 {
		t.Errorf("ChangeSeq advanced by %d for one commit", n)
	}
	for _, sub := range []*tickets.Subscription{a, b} {
		if c := next(t, sub); c.TicketID != tk.ID || !slices.Equal(c.Kinds, []string{tickets.EventOpened}) {
			t.Errorf("change %+v, want ticket %d opened", c, tk.ID)
		}
	}
	ingest(t, env, firing("sw1", "PortDown", ticketstest.Start), firing("sw2", "PortDown", ticketstest.Start))
	got := []int64{next(t, a).TicketID, next(t, a).TicketID}
	slices.Sort(got)
	if got[0] == got[1] || got[0] == tk.ID {
		t.Errorf("two new tickets announced as %v", got)
	}
	// b holds one; the second was dropped, not waited for.
	next(t, b)
	if n := b.Missed(); n != 1 {
		t.Errorf("b missed %d, want 1", n)
	}
	if _, err := env.Service.Do(ctx, tk.ID, tickets.ActionRequest{Action: tickets.ActionAck, Actor: "zhang"}); err != nil {
		t.Fatal(err)
	}
	if c := next(t, a); c.TicketID != tk.ID || !slices.Equal(c.Kinds, []string{"ack"}) {
		t.Errorf("ack announced as %+v", c)
	}
	b.Close()
	b.Close()
	n := 0
	for range b.C() { // what was buffered, then the end
		n++
	}
	if n != 1 {
		t.Errorf("closed subscription delivered %d buffered changes, want the 1 ack", n)
	}
}

// TestListSitesAndCategory: Filter.Sites and Filter.Category select.
func TestListSitesAndCategory(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	ctx := context.Background()
	for _, m := range []tickets.Manual{
		{Title: "a", Level: 3, Site: "城关派出所", Category: "front_end", Actor: "x"},
		{Title: "b", Level: 3, Site: "情指中心机房", Category: "room_it", Actor: "x"},
		{Title: "c", Level: 3, Site: "看守所", Category: "room_it", Actor: "x"},
	} {
		if _, err := env.Service.Create(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	titles := func(f tickets.Filter) []string {
		ts, err := env.Service.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tk := range ts {
			out = append(out, tk.Title)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name string
		f    tickets.Filter
		want []string
	}{
		{"sites", tickets.Filter{Sites: []string{"城关派出所", "看守所"}}, []string{"a", "c"}},
		{"category", tickets.Filter{Category: "room_it"}, []string{"b", "c"}},
		{"both", tickets.Filter{Category: "room_it", Sites: []string{"看守所"}}, []string{"c"}},
	}
	for _, tc := range tests {
		if got := titles(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
