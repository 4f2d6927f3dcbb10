package tickets_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/silence"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// TestWindowsHoldRepairTimers: a maintenance window over the ticket's
// device holds its repair timer (resolve) but not answering or the plan;
// time both paused and under the window counts once; a window over another
// device changes nothing. Seed 001 line 111: level II resolve 24 h.
func TestWindowsHoldRepairTimers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, m := time.Hour, time.Minute
	clk := clockwork.NewFakeClockAt(ticketstest.Start)
	st, err := silence.OpenStore(ctx, filepath.Join(t.TempDir(), "silences.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	set, err := silence.NewSet(ctx, silence.Options{Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := sla.Config{Profile: "seed001", Dir: "../../rules/sla", Holidays: "../../rules/calendars/cn-holidays.yml"}.Load()
	if err != nil {
		t.Fatal(err)
	}
	env2 := ticketstest.NewAt(t, filepath.Join(t.TempDir(), "tickets.db"), clk, func(o *tickets.Options) {
		o.Policy = loaded.Selection
		o.Devices = devs{"sw-core": {"县局机房", "switch", ""}, "rt-station1": {"城关派出所", "router", ""}}
		o.Windows = set
	})
	opened := env2.Clock.Now()
	window := func(device string, from, to time.Duration) {
		mt, err := silence.NewMatcher(silence.MatchEqual, "device", device)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := set.Put(ctx, silence.Silence{Matchers: []silence.Matcher{mt}, StartsAt: opened.Add(from), EndsAt: opened.Add(to),
			CreatedBy: "王工", Comment: "更换核心交换机电源（计划维护）"}); err != nil {
			t.Fatal(err)
		}
	}
	window("sw-core", 2*h, 6*h)
	window("rt-station1", 0, 20*h) // another device: no effect
	tk, err := env2.Service.Create(ctx, tickets.Manual{Level: classify.LevelII, Device: "sw-core", Category: classify.CategoryRoomIT,
		Title: "核心交换机电源告警", Actor: "值班员", Channel: "phone"})
	if err != nil {
		t.Fatal(err)
	}
	step := func(at time.Duration, r tickets.ActionRequest) {
		t.Helper()
		env2.Clock.Advance(opened.Add(at).Sub(env2.Clock.Now()))
		r.Actor = "李工"
		if _, err := env2.Service.Do(ctx, tk.ID, r); err != nil {
			t.Fatalf("%s at +%v: %v", r.Action, at, err)
		}
	}
	step(10*m, tickets.ActionRequest{Action: tickets.ActionAck})
	step(h, tickets.ActionRequest{Action: tickets.ActionPlan, Text: "更换电源模块"})
	step(4*h, tickets.ActionRequest{Action: tickets.ActionPause, Reason: "等待厂商备件", AgreedBy: "科技科张科长"})
	step(8*h, tickets.ActionRequest{Action: tickets.ActionResume})
	env2.Clock.Advance(opened.Add(29 * h).Sub(env2.Clock.Now()))
	got, err := env2.Service.Get(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var v tickets.TimerView
	for _, x := range got.TimerViews {
		if x.Name == tickets.TimerResolve {
			v = x
		}
	}
	// Held [2h, 8h): the window [2h, 6h) and the pause [4h, 8h), 6 h in
	// all; at +29 h, 23 h counted, 1 h left, due at +30 h.
	if v.Counted == nil || time.Duration(*v.Counted) != 23*h {
		t.Errorf("resolve counted %v, want 23h", v.Counted)
	}
	if v.Deadline == nil || !v.Deadline.Equal(opened.Add(30*h)) {
		t.Errorf("resolve deadline %v, want %v", v.Deadline, opened.Add(30*h))
	}
	if v.PausedFor == nil || time.Duration(*v.PausedFor) != 2*h || v.WindowFor == nil || time.Duration(*v.WindowFor) != 4*h {
		t.Errorf("resolve paused %v (want 2h outside the window), window %v (want 4h)", v.PausedFor, v.WindowFor)
	}
	if v.Status != "warning" {
		t.Errorf("resolve status %s, want warning", v.Status)
	}
	// Resolved at +30h30m: 24h30m counted, breached by 30 min.
	step(30*h+30*m, tickets.ActionRequest{Action: tickets.ActionResolve, Cause: "电源模块故障", Fix: "更换电源模块"})
	got, err = env2.Service.Get(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range got.TimerViews {
		switch x.Name {
		case tickets.TimerResolve:
			if !x.Breached || time.Duration(*x.BreachedBy) != 30*m {
				t.Errorf("resolve: %s by %v, want breached by 30m", x.Status, x.BreachedBy)
			}
		case tickets.TimerRespond, "plan":
			if !x.Met || x.WindowFor != nil {
				t.Errorf("%s: %s, window %v: want met, not held by the window", x.Name, x.Status, x.WindowFor)
			}
		}
	}
}
