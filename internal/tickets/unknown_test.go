package tickets_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// absent is a at its data-absent resolve (the rule engine's mark).
func absent(a alert.Alert, end time.Time) alert.Alert {
	a.EndsAt = end
	ann := map[string]string{alert.AnnotationDataAbsent: "true"}
	for k, v := range a.Annotations {
		ann[k] = v
	}
	a.Annotations = ann
	return a
}

func get(t *testing.T, env *ticketstest.Env, id int64) *tickets.Ticket {
	t.Helper()
	tk, err := env.Service.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func kinds(tk *tickets.Ticket) string {
	var k []string
	for _, e := range tk.Events {
		k = append(k, e.Kind)
	}
	return strings.Join(k, " ")
}

// TestDataAbsentResolveKeepsTicketOpen: an alert that ended because its data
// vanished leaves its ticket open, marked unknown with the time, linked to
// the device's reachability ticket when that opens; a resend changes
// nothing; fresh data still firing clears the mark; only a normal resolve
// recovers the ticket.
func TestDataAbsentResolveKeepsTicketOpen(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	t0 := ticketstest.Start
	batt := firing("ups-1", "UPSOnBattery", t0, "family", "power", "class", "ups")
	id := ingest(t, env, batt).Tickets[0]

	env.Clock.Advance(time.Minute)
	gone := env.Clock.Now()
	for range 2 { // the rule engine resends resolves
		ingest(t, env, absent(batt, gone))
	}
	tk := get(t, env, id)
	if tk.State != tickets.StateOpen || tk.UnknownSince == nil || !tk.UnknownSince.Equal(gone) || tk.Unknown != tickets.UnknownMark {
		t.Fatalf("after the data-absent resolve: state %s unknown_since %v mark %q, want open, %v, %q", tk.State, tk.UnknownSince, tk.Unknown, gone, tickets.UnknownMark)
	}
	if got := kinds(tk); got != "opened unknown" {
		t.Errorf("events %q, want opened unknown (the resend adds nothing)", got)
	}

	// The device's reachability ticket opens: the unknown ticket links to it.
	env.Clock.Advance(time.Minute)
	reach := firing("ups-1", "InfraSNMPSilent", t0.Add(2*time.Minute), "family", "reachability", "class", "ups")
	rid := ingest(t, env, reach).Tickets[0]
	if rid == id {
		t.Fatalf("the reachability alert joined the power ticket %d", id)
	}
	tk, rt := get(t, env, id), get(t, env, rid)
	if tk.LinkedTo != rid || !strings.Contains(kinds(tk), "linked") || !strings.Contains(kinds(rt), "linked") {
		t.Fatalf("linked_ticket %d (events %q / %q), want %d with a linked event on both", tk.LinkedTo, kinds(tk), kinds(rt), rid)
	}

	// The agent answers again and the UPS is still on battery: known again,
	// still open.
	env.Clock.Advance(time.Minute)
	again := batt
	again.StartsAt = env.Clock.Now()
	ingest(t, env, again, resolved(reach, env.Clock.Now()))
	tk = get(t, env, id)
	if tk.State != tickets.StateOpen || tk.UnknownSince != nil || !strings.HasSuffix(kinds(tk), "known") {
		t.Fatalf("data back, still firing: state %s unknown_since %v events %q", tk.State, tk.UnknownSince, kinds(tk))
	}

	// Silent again, then mains back with fresh data: a normal resolve recovers it.
	env.Clock.Advance(time.Minute)
	ingest(t, env, absent(again, env.Clock.Now()))
	if tk = get(t, env, id); tk.State != tickets.StateOpen || tk.UnknownSince == nil {
		t.Fatalf("silent again: state %s unknown_since %v", tk.State, tk.UnknownSince)
	}
	env.Clock.Advance(time.Minute)
	ingest(t, env, resolved(again, env.Clock.Now()))
	if tk = get(t, env, id); tk.State != tickets.StateRecovered || tk.UnknownSince != nil {
		t.Fatalf("fresh data, condition gone: state %s unknown_since %v, want recovered, cleared", tk.State, tk.UnknownSince)
	}
}

// TestDataAbsentLinksExistingReachabilityTicket: when the reachability ticket
// is already open, the data-absent resolve links to it at once.
func TestDataAbsentLinksExistingReachabilityTicket(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	t0 := ticketstest.Start
	temp := firing("env-1", "RoomTemperatureHigh", t0, "family", "environment")
	id := ingest(t, env, temp).Tickets[0]
	rid := ingest(t, env, firing("env-1", "EnvMonitorUnreachable", t0, "family", "reachability")).Tickets[0]
	env.Clock.Advance(time.Minute)
	ingest(t, env, absent(temp, env.Clock.Now()))
	if tk := get(t, env, id); tk.LinkedTo != rid || tk.State != tickets.StateOpen || tk.UnknownSince == nil {
		t.Fatalf("linked %d state %s unknown %v, want linked to %d, open, unknown", tk.LinkedTo, tk.State, tk.UnknownSince, rid)
	}
}

// TestOneIncidentPerDeviceAndFamily: the alerts of one UPS event (on battery,
// runtime low, battery low) are one ticket raised to the worst level, each
// alert on its timeline and the timers re-derived; another family or device
// is another ticket, and an alert without a family is a family of its own.
func TestOneIncidentPerDeviceAndFamily(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	t0 := ticketstest.Start
	// class ups grades level II; severity critical grades level I (test rules).
	ids := ingest(t, env,
		firing("ups-1", "UPSOnBattery", t0, "family", "power", "class", "ups"),
		firing("ups-1", "UPSBatteryLow", t0, "family", "power", "class", "ups"),
		firing("ups-1", "UPSRuntimeLow", t0, "family", "power", "class", "ups", "severity", "critical"),
		firing("ups-2", "UPSOnBattery", t0, "family", "power", "class", "ups"),
		firing("ups-1", "UPSUnreachable", t0, "family", "reachability", "class", "ups"),
		firing("ups-1", "NoFamilyA", t0),
		firing("ups-1", "NoFamilyB", t0),
	).Tickets
	if ids[0] != ids[1] || ids[0] != ids[2] {
		t.Fatalf("one UPS event on tickets %v, want one", ids[:3])
	}
	seen := map[int64]bool{}
	for _, id := range ids[2:] {
		if seen[id] {
			t.Fatalf("tickets %v: another device, family or unlabelled alert shares a ticket", ids)
		}
		seen[id] = true
	}
	tk := get(t, env, ids[0])
	if tk.Level != 1 {
		t.Errorf("level %s, want I (the worst of its alerts)", tk.Level)
	}
	if got := kinds(tk); got != "opened alert alert level" {
		t.Errorf("events %q, want opened alert alert level", got)
	}
	want := env.Profile.Timers(1, tk.Category)
	for _, sp := range want {
		var found bool
		for _, v := range tk.TimerViews {
			if v.Name == string(sp.Kind) {
				found = time.Duration(v.Target) == sp.Target
				if v.StartedAt != nil && !v.StartedAt.Equal(tk.OpenedAt) {
					t.Errorf("timer %s starts %v, want the opening %v", v.Name, v.StartedAt, tk.OpenedAt)
				}
			}
		}
		if !found {
			t.Errorf("timer %s target %v (level I) missing from %+v", sp.Kind, sp.Target, tk.TimerViews)
		}
	}
	// Only when every alert of the incident is over does it recover.
	env.Clock.Advance(time.Minute)
	ingest(t, env, resolved(firing("ups-1", "UPSOnBattery", t0, "family", "power", "class", "ups"), env.Clock.Now()))
	if tk = get(t, env, ids[0]); tk.State != tickets.StateOpen {
		t.Fatalf("one of three resolved: state %s, want open", tk.State)
	}
}
