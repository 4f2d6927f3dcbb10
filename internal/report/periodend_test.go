package report

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/report/reporttest"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// TestMonthlyReproducible makes the September report on 2026-10-03 and again
// on 2027-01-15 over data with a fault that straddles the month's end
// (opened 09-30 22:00, acknowledged 10-01 00:30, resolved 10-02 10:00) and
// one never answered (opened 09-30 23:00), and wants the same document, with
// the faults judged at 09-30 24:00: still open, their respond timers not met
// (breached by then), not in MTTA or MTTR.
func TestMonthlyReproducible(t *testing.T) {
	t.Parallel()
	loc := reporttest.Shanghai()
	var id int64
	f := buildFixtureWith(t, t.TempDir(), func(dir string) {
		clk := clockwork.NewFakeClockAt(time.Date(2026, 9, 30, 22, 0, 0, 0, loc))
		env := ticketstest.NewAt(t, filepath.Join(dir, "tickets.db"), clk, nil)
		ctx := context.Background()
		a := alert.Alert{Labels: map[string]string{"alertname": "CameraOffline", "device": "cam-003", "class": "camera", "severity": "warning"},
			StartsAt: clk.Now()}
		if _, err := env.Service.Ingest(ctx, []alert.Alert{a}); err != nil {
			t.Fatal(err)
		}
		ts, err := env.Service.List(ctx, tickets.Filter{Device: "cam-003"})
		if err != nil || len(ts) != 1 {
			t.Fatalf("boundary ticket: %v %v", ts, err)
		}
		id = ts[0].ID
		// A second fault an hour later is never answered: its timers keep
		// running, and judged at the report's making its overrun would grow.
		clk.Advance(time.Hour)
		a2 := alert.Alert{Labels: map[string]string{"alertname": "CameraOffline", "device": "cam-001", "class": "camera", "severity": "warning"},
			StartsAt: clk.Now()}
		if _, err := env.Service.Ingest(ctx, []alert.Alert{a2}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(90 * time.Minute)
		if _, err := env.Service.Do(ctx, id, tickets.ActionRequest{Action: tickets.ActionAck, Actor: "张工"}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(33*time.Hour + 30*time.Minute)
		if _, err := env.Service.Do(ctx, id, tickets.ActionRequest{Action: tickets.ActionResolve, Actor: "张工", Cause: "掉电", Fix: "恢复供电"}); err != nil {
			t.Fatal(err)
		}
	})
	month, _ := Month(reporttest.Month, loc)
	run := func(now time.Time) (*Reporter, *Monthly) {
		f.tclk.Advance(now.Sub(f.tclk.Now()))
		r, err := New(f.r.src, Options{Bureau: "某县公安局", Location: loc, Clock: clockwork.NewFakeClockAt(now)})
		if err != nil {
			t.Fatal(err)
		}
		m, err := r.Monthly(context.Background(), month)
		if err != nil {
			t.Fatal(err)
		}
		return r, m
	}
	html := func(r *Reporter, m *Monthly) string {
		var buf bytes.Buffer
		if err := m.Document(r).WriteHTML(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	r1, m1 := run(time.Date(2026, 10, 3, 10, 0, 0, 0, loc))
	_, m2 := run(time.Date(2027, 1, 15, 9, 0, 0, 0, loc))
	// Only the generation time may differ.
	m2.Generated = m1.Generated
	if a, b := html(r1, m1), html(r1, m2); a != b {
		t.Errorf("the September report changed with the day it was made:\n--- made 2026-10-03\n%s\n--- made 2027-01-15\n%s", a, b)
	}
	if m1.Faults.Total != 6 || m1.Faults.Active != 2 || m1.Faults.Resolved != 4 {
		t.Errorf("faults %+v: want 6, 2 still being handled at the month's end, 4 resolved", m1.Faults)
	}
	if m1.Mean.NAcked != 4 || m1.Mean.MTTA != 12*time.Minute || m1.Mean.NFixed != 4 {
		t.Errorf("mean times %+v: the boundary fault was answered and fixed after the month", m1.Mean)
	}
	var b *tickets.Ticket
	for i := range m1.Tickets {
		if m1.Tickets[i].ID == id {
			b = &m1.Tickets[i]
		}
	}
	if b == nil {
		t.Fatalf("boundary ticket %d not listed", id)
	}
	if b.State != tickets.StateOpen || b.ResolvedAt != nil {
		t.Errorf("boundary ticket state %s resolved %v, want open at the month's end", b.State, b.ResolvedAt)
	}
	var respond *tickets.TimerView
	for i := range b.TimerViews {
		if b.TimerViews[i].Name == tickets.TimerRespond {
			respond = &b.TimerViews[i]
		}
	}
	if respond == nil || respond.MetAt != nil || respond.StartedAt == nil {
		t.Fatalf("respond timer %+v: want started, not met at the month's end", respond)
	}
	// Running two hours at the month's end: past a target under 2 h by the
	// difference, else still running.
	target := time.Duration(respond.Target)
	switch {
	case target < 2*time.Hour:
		if !respond.Breached || respond.BreachedBy == nil {
			t.Errorf("respond %+v: want breached at the month's end", respond)
		}
	default:
		if respond.Breached || respond.Status != "running" {
			t.Errorf("respond %+v: want running at the month's end", respond)
		}
	}
}

func TestRespondedAt(t *testing.T) {
	t.Parallel()
	opened := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return opened.Add(time.Duration(m) * time.Minute) }
	ptr := func(t time.Time) *time.Time { return &t }
	ev := func(kind string, m int) tickets.Event { return tickets.Event{Kind: kind, At: at(m)} }
	respond := func(met *time.Time) []tickets.Timer {
		return []tickets.Timer{{Spec: sla.TimerSpec{Kind: sla.Respond}, StartedAt: ptr(opened), MetAt: met}}
	}
	tests := []struct {
		name string
		t    tickets.Ticket
		want *time.Time
	}{
		{"respond timer met", tickets.Ticket{Timers: respond(ptr(at(7))), Events: []tickets.Event{ev("ack", 3)}}, ptr(at(7))},
		{"respond timer running", tickets.Ticket{Timers: respond(nil), Events: []tickets.Event{ev("ack", 3)}}, nil},
		{"no respond timer: ack", tickets.Ticket{Events: []tickets.Event{ev("opened", 0), ev("note", 2), ev("ack", 9), ev("dispatch", 20)}}, ptr(at(9))},
		{"no respond timer: dispatch first", tickets.Ticket{Events: []tickets.Event{ev("opened", 0), ev("dispatch", 14)}}, ptr(at(14))},
		{"no respond timer: resolved", tickets.Ticket{Events: []tickets.Event{ev("recover", 5), ev("resolve", 40)}}, ptr(at(40))},
		{"no respond timer, not answered", tickets.Ticket{Events: []tickets.Event{ev("opened", 0), ev("recover", 5), ev("cancel", 6)}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.t.OpenedAt = opened
			got := respondedAt(&tc.t)
			if (got == nil) != (tc.want == nil) || got != nil && !got.Equal(*tc.want) {
				t.Errorf("respondedAt = %v, want %v", got, tc.want)
			}
		})
	}
	// MTTA over tickets without a respond timer uses the history.
	ts := []tickets.Ticket{
		{OpenedAt: opened, Events: []tickets.Event{ev("ack", 10)}},
		{OpenedAt: opened, Events: []tickets.Event{ev("onsite", 30)}},
		{OpenedAt: opened, Events: []tickets.Event{ev("opened", 0)}},
	}
	if m, _ := meanTimes(ts); m.MTTA != 20*time.Minute || m.NAcked != 2 {
		t.Errorf("MTTA %v over %d, want 20m over 2", m.MTTA, m.NAcked)
	}
}
