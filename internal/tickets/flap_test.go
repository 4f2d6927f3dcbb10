package tickets_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// TestFlappingDeviceOneTicket: a camera that goes down and up ten times in
// an hour has one ticket with ten entries (opened, then nine recurrences),
// and the escalator, running every minute meanwhile to a loopback webhook,
// sends it no more notices than a camera that went down once and stayed
// down over the same hour: flapping adds no notice.
func TestFlappingDeviceOneTicket(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&receiver{})
	defer srv.Close()
	env := ticketstest.New(t, nil)
	ctx := context.Background()
	n, err := notify.New(notify.Config{Channels: []notify.ChannelConfig{{Name: "duty", Type: "webhook", URL: srv.URL}}},
		notify.Options{Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	esc, err := env.Service.Escalator(tickets.EscalationOptions{Notifier: n})
	if err != nil {
		t.Fatal(err)
	}
	steady := firing("cam-2", "CameraOffline", env.Clock.Now(), "family", "reachability", "class", "camera")
	steadyID := ingest(t, env, steady).Tickets[0]
	var flapIDs []int64
	for range 10 { // 6 minutes a cycle: 3 down, 3 up
		down := firing("cam-1", "CameraOffline", env.Clock.Now(), "family", "reachability", "class", "camera")
		flapIDs = append(flapIDs, ingest(t, env, down).Tickets[0])
		for range 3 {
			env.Clock.Advance(time.Minute)
			if err := esc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		ingest(t, env, resolved(down, env.Clock.Now()))
		for range 3 {
			env.Clock.Advance(time.Minute)
			if err := esc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, id := range flapIDs {
		if id != flapIDs[0] {
			t.Fatalf("flapping camera on tickets %v, want one", flapIDs)
		}
	}
	count := func(id int64, kinds ...string) int {
		n := 0
		for _, e := range get(t, env, id).Events {
			for _, k := range kinds {
				if e.Kind == k {
					n++
				}
			}
		}
		return n
	}
	if got := count(flapIDs[0], tickets.EventOpened, string(tickets.ActionReopen)); got != 10 {
		t.Errorf("%d opened/reopened entries on the flapping camera's ticket, want 10 (events %q)", got, kinds(get(t, env, flapIDs[0])))
	}
	flapNotices, steadyNotices := count(flapIDs[0], tickets.EventNotice), count(steadyID, tickets.EventNotice)
	t.Logf("notices in the hour: flapping %d, steady %d", flapNotices, steadyNotices)
	if steadyNotices == 0 {
		t.Fatalf("the steady camera got no notice in an hour: the comparison says nothing")
	}
	if flapNotices > steadyNotices {
		t.Errorf("flapping camera: %d notices, steady camera: %d; flapping must not add notices", flapNotices, steadyNotices)
	}
	if all := all(t, env); len(all) != 2 {
		t.Errorf("%d tickets, want 2 (one per camera)", len(all))
	}
}
