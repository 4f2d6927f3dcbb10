package tickets_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// contractEnv is a ticket service on the shipped SLA profiles (rules/sla),
// profile as the default, the seed 003 select rules of docs/sla.md, and an
// inventory of a station router, a detention-centre switch and a county
// machine-room switch.
func contractEnv(t *testing.T, profile string) *ticketstest.Env {
	t.Helper()
	sel := []sla.SelectRule{
		{Profile: "seed003_detention", Match: sla.Match{Sites: []string{"看守所", "拘留所"}}},
		{Profile: "seed003_other", Match: sla.Match{Sites: []string{"城关派出所", "西关派出所"}}},
		{Profile: "seed003_other", Match: sla.Match{Categories: []classify.Category{classify.CategoryFrontEnd, classify.CategoryFibre}}},
	}
	if !strings.HasPrefix(profile, "seed003") {
		sel = nil
	}
	loaded, err := sla.Config{Profile: profile, Dir: "../../rules/sla", Holidays: "../../rules/calendars/cn-holidays.yml", Select: sel}.Load()
	if err != nil {
		t.Fatal(err)
	}
	inv := devs{"rt-station1": {"城关派出所", "router", ""}, "sw-detention": {"看守所", "switch", ""}, "sw-core": {"县局机房", "switch", ""}}
	return ticketstest.New(t, func(o *tickets.Options) {
		o.Policy = loaded.Selection
		o.Devices = inv
	})
}

// timerSummary is a timer view in a line: "met", "not_applicable",
// "breached 3h0m0s", "running 23h0m0s left", "paused 22h0m0s left (paused 3h0m0s)".
func timerSummary(v tickets.TimerView) string {
	s := v.Status
	switch v.Status {
	case "breached":
		s += " " + time.Duration(*v.BreachedBy).String()
	case "running", "warning", "paused":
		s += " " + time.Duration(*v.Remaining).String() + " left"
	}
	if v.PausedFor != nil && v.Status != "met" {
		s += " (paused " + time.Duration(*v.PausedFor).String() + ")"
	}
	return s
}

type lifeStep struct {
	at  time.Duration // after opening
	act tickets.Action
	req tickets.ActionRequest
}

func do(at time.Duration, a tickets.Action) lifeStep { return lifeStep{at: at, act: a} }

func resolveAt(at time.Duration) lifeStep {
	return lifeStep{at: at, act: tickets.ActionResolve, req: tickets.ActionRequest{Cause: "电源模块故障", Fix: "更换电源模块"}}
}

func planAt(at time.Duration, emergency bool) lifeStep {
	return lifeStep{at: at, act: tickets.ActionPlan, req: tickets.ActionRequest{Text: "更换电源模块", Emergency: emergency}}
}

// TestContractLifecycle walks tickets through their milestones on a fake
// clock, on the shipped profiles, and checks every timer's outcome by hand.
// Opened Mon 2025-03-03 09:00 (Asia/Shanghai), an ordinary working week.
func TestContractLifecycle(t *testing.T) {
	t.Parallel()
	h, m := time.Hour, time.Minute
	tests := []struct {
		name, profile string
		ticket        tickets.Manual
		steps         []lifeStep
		now           time.Duration
		wantProfile   string
		want          map[string]string
	}{{
		// Seed 001 line 112: level III, respond 30 min, plan 2 h, resolve 48 h;
		// line 119: report 24 h after resolution. The plan submitted at +1 h
		// meets the plan timer; resolving at +5 h breaches nothing.
		name: "seed001 III plan in time, resolved at 5h", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelIII},
		steps:  []lifeStep{do(10*m, tickets.ActionAck), planAt(h, false), resolveAt(5 * h)},
		now:    6 * h,
		want:   map[string]string{"respond": "met", "plan": "met", "resolve": "met", "report": "running 23h0m0s left"},
	}, {
		// The same without a plan: the plan was due at +2 h, so resolving at
		// +5 h ends it breached by 3 h; no timer of a level III fault goes up
		// the escalation chain (seed 001 line 59: urgent faults only).
		name: "seed001 III no plan, resolved at 5h", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelIII},
		steps:  []lifeStep{do(10*m, tickets.ActionAck), resolveAt(5 * h)},
		now:    6 * h,
		want:   map[string]string{"respond": "met", "plan": "breached 3h0m0s", "resolve": "met", "report": "running 23h0m0s left"},
	}, {
		// Fixed at +1 h, before the plan was due: the plan is not applicable.
		name: "seed001 III fixed before the plan was due", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelIII},
		steps:  []lifeStep{do(10*m, tickets.ActionAck), resolveAt(h)},
		now:    6 * h,
		want:   map[string]string{"respond": "met", "plan": "not_applicable", "resolve": "met", "report": "running 19h0m0s left"},
	}, {
		// Seed 001 line 110: level I resolve 12 h; line 117: unresolved at 12 h,
		// an emergency plan within 16 h; line 59: escalation at 2 h. Emergency
		// plan at +13 h (met), resolved at +20 h: resolve breached by 8 h, the
		// escalation clock by 18 h.
		name: "seed001 I emergency plan at 13h, resolved at 20h", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelI},
		steps:  []lifeStep{do(5*m, tickets.ActionAck), planAt(h, false), planAt(13*h, true), resolveAt(20 * h)},
		now:    21 * h,
		want: map[string]string{"respond": "met", "plan": "met", "escalation": "breached 18h0m0s", "emergency": "met",
			"resolve": "breached 8h0m0s", "report": "running 23h0m0s left"},
	}, {
		// Resolved at +11 h: within 12 h, so no emergency plan was needed.
		name: "seed001 I resolved at 11h", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelI},
		steps:  []lifeStep{do(5*m, tickets.ActionAck), planAt(90*m, false), resolveAt(11 * h)},
		now:    11 * h,
		want: map[string]string{"respond": "met", "plan": "met", "escalation": "breached 9h0m0s", "emergency": "not_applicable",
			"resolve": "met", "report": "running 24h0m0s left"},
	}, {
		// Seed 001 line 111: level II resolve 24 h. Paused +2 h → +12 h with the
		// customer's agreement: resolve may pause (profile), so at +30 h 20 h
		// are used and 4 h are left (past the 0.8 warning point, 19h12m);
		// plan (met) does not pause.
		name: "seed001 II paused 10h", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelII},
		steps: []lifeStep{do(5*m, tickets.ActionAck), planAt(h, false),
			{at: 2 * h, act: tickets.ActionPause, req: tickets.ActionRequest{Reason: "等待厂商备件", AgreedBy: "科技科张科长"}},
			do(12*h, tickets.ActionResume)},
		now:  30 * h,
		want: map[string]string{"respond": "met", "plan": "met", "resolve": "warning 4h0m0s left (paused 10h0m0s)", "report": "waiting"},
	}, {
		// During the pause the resolve timer stands still at 22 h left.
		name: "seed001 II while paused", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelII},
		steps: []lifeStep{do(5*m, tickets.ActionAck), planAt(h, false),
			{at: 2 * h, act: tickets.ActionPause, req: tickets.ActionRequest{Reason: "等待用户同意停机", AgreedBy: "值班室"}}},
		now:  5 * h,
		want: map[string]string{"respond": "met", "plan": "met", "resolve": "paused 22h0m0s left (paused 3h0m0s)", "report": "waiting"},
	}, {
		// Closed at +3 h without a report (due at +25 h): not applicable, and
		// nothing runs on a closed ticket.
		name: "seed001 III closed before the report was due", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelIII},
		steps: []lifeStep{do(5*m, tickets.ActionAck), planAt(30*m, false), resolveAt(h),
			do(2*h, tickets.ActionConfirm), do(3*h, tickets.ActionClose)},
		now:  40 * h,
		want: map[string]string{"respond": "met", "plan": "met", "resolve": "met", "report": "not_applicable"},
	}, {
		// Closed at +30 h without a report due at +25 h: breached by 5 h.
		name: "seed001 III closed after the report was due", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelIII},
		steps: []lifeStep{do(5*m, tickets.ActionAck), planAt(30*m, false), resolveAt(h),
			do(2*h, tickets.ActionConfirm), do(30*h, tickets.ActionClose)},
		now:  40 * h,
		want: map[string]string{"respond": "met", "plan": "met", "resolve": "met", "report": "breached 5h0m0s"},
	}, {
		// The report at +6 h meets the report timer (seed 001 line 119).
		name: "seed001 III report in time", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelIII},
		steps: []lifeStep{do(5*m, tickets.ActionAck), planAt(30*m, false), resolveAt(h),
			{at: 6 * h, act: tickets.ActionReport, req: tickets.ActionRequest{Text: "故障处理报告"}},
			do(7*h, tickets.ActionConfirm), {at: 8 * h, act: tickets.ActionFollowUp, req: tickets.ActionRequest{Satisfaction: 5}},
			do(9*h, tickets.ActionClose)},
		now:  40 * h,
		want: map[string]string{"respond": "met", "plan": "met", "resolve": "met", "report": "met"},
	}, {
		// Cancelled at +10 min (a false report): nothing was due yet, every
		// timer is not applicable (seed 001 line 113, level IV on working days).
		name: "seed001 IV cancelled", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelIV},
		steps:  []lifeStep{do(10*m, tickets.ActionCancel)},
		now:    50 * h,
		want:   map[string]string{"respond": "not_applicable", "plan": "not_applicable", "resolve": "not_applicable", "report": "not_applicable"},
	}, {
		// The customer rejects the fix at +2 h: reopened, resolve runs again
		// from opening (46 h left at +2 h), the report waits for the next fix.
		name: "seed001 III rejected", profile: "seed001",
		ticket: tickets.Manual{Level: classify.LevelIII},
		steps: []lifeStep{do(5*m, tickets.ActionAck), planAt(30*m, false), resolveAt(h),
			{at: 2 * h, act: tickets.ActionReject, req: tickets.ActionRequest{Note: "仍无法登录"}}},
		now:  2 * h,
		want: map[string]string{"respond": "met", "plan": "met", "resolve": "running 46h0m0s left", "report": "waiting"},
	}, {
		// Seed 001 lines 61 (second table): 高级 = II, respond 1 h, a solution
		// or workaround in 12 h; fixing it meets the solution timer.
		name: "seed001b II fixed at 10h", profile: "seed001b",
		ticket: tickets.Manual{Level: classify.LevelII},
		steps:  []lifeStep{do(50*m, tickets.ActionAck), resolveAt(10 * h)},
		now:    10 * h,
		want:   map[string]string{"respond": "met", "plan": "met"},
	}, {
		// Seed 001 line 57: 紧急 respond 15 min; answered at 20 min.
		name: "seed001b I answered late", profile: "seed001b",
		ticket: tickets.Manual{Level: classify.LevelI},
		steps:  []lifeStep{do(20*m, tickets.ActionAck)},
		now:    h,
		want:   map[string]string{"respond": "breached 5m0s", "escalation": "running 1h0m0s left"},
	}, {
		// Seed 003 lines 125–128: a station router is "other equipment" (sla.select
		// by site): on site in 2 h, solved or a plan in 3 h, working days. On
		// site at +1h30m, fixed at +2h30m: both met.
		name: "seed003 station router", profile: "seed003", wantProfile: "seed003_other",
		ticket: tickets.Manual{Level: classify.LevelII, Device: "rt-station1", Category: classify.CategoryRoomIT},
		steps:  []lifeStep{do(90*m, tickets.ActionOnSite), resolveAt(150 * m)},
		now:    3 * h,
		want:   map[string]string{"onsite": "met", "plan": "met"},
	}, {
		// Seed 003 lines 120–123: a county machine-room switch: on site in
		// 20 min, fixed in 1 h, else a spare within 2 h. Fixed at +1h30m without
		// a spare: resolve breached by 30 min, the spare not applicable.
		name: "seed003 machine room", profile: "seed003", wantProfile: "seed003",
		ticket: tickets.Manual{Level: classify.LevelII, Device: "sw-core", Category: classify.CategoryRoomIT},
		steps:  []lifeStep{do(15*m, tickets.ActionOnSite), resolveAt(90 * m)},
		now:    3 * h,
		want:   map[string]string{"onsite": "met", "resolve": "breached 30m0s", "spare": "not_applicable"},
	}, {
		// Seed 003 line 72: detention centre, on site within 1 h, 7×24; arrived
		// at +1h10m.
		name: "seed003 detention centre", profile: "seed003", wantProfile: "seed003_detention",
		ticket: tickets.Manual{Level: classify.LevelIII, Device: "sw-detention", Category: classify.CategoryRoomIT},
		steps:  []lifeStep{do(70*m, tickets.ActionOnSite)},
		now:    2 * h,
		want:   map[string]string{"onsite": "breached 10m0s"},
	}, {
		// Seed 004 lines 6, 24–25: respond 30 min, on site 1 h, fixed 2 h after
		// arrival or a spare, else a second plan at once and service restored
		// within one working day (8.5 h, 9:00–17:30). On site at +40 min;
		// second plan at +2h30m (due +2h40m); spare at +3 h (due +2h40m,
		// breached 20 min); fixed at +5 h (14:00, due 11:40: 2h20m late);
		// restored before Mon 17:30.
		name: "seed004 second plan", profile: "seed004",
		ticket: tickets.Manual{Level: classify.LevelII},
		steps: []lifeStep{do(10*m, tickets.ActionAck), do(40*m, tickets.ActionOnSite), planAt(150*m, true),
			{at: 3 * h, act: tickets.ActionSpare, req: tickets.ActionRequest{Part: &tickets.Part{Part: "交换机", Serial: "SW-2"}}},
			resolveAt(5 * h)},
		now: 5 * h,
		want: map[string]string{"respond": "met", "onsite": "met", "emergency": "met", "resolve": "breached 2h20m0s",
			"restore": "met", "spare": "breached 20m0s"},
	}, {
		// Seed 004: restored Tue 11:00 (+26 h): the working day ended Mon 17:30,
		// and Tue 09:00–11:00 is 2 h of working time past it.
		name: "seed004 restored next day", profile: "seed004",
		ticket: tickets.Manual{Level: classify.LevelII},
		steps:  []lifeStep{do(10*m, tickets.ActionAck), do(40*m, tickets.ActionOnSite), planAt(2*h, true), resolveAt(26 * h)},
		now:    26 * h,
		want: map[string]string{"respond": "met", "onsite": "met", "emergency": "met", "resolve": "breached 23h20m0s",
			"restore": "breached 2h0m0s", "spare": "breached 23h20m0s"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := contractEnv(t, tc.profile)
			ctx := context.Background()
			mt := tc.ticket
			mt.Title, mt.Actor, mt.Channel = "测试故障 "+tc.name, "值班员", "phone"
			tk, err := env.Service.Create(ctx, mt)
			if err != nil {
				t.Fatal(err)
			}
			opened := env.Clock.Now()
			for _, st := range tc.steps {
				env.Clock.Advance(opened.Add(st.at).Sub(env.Clock.Now()))
				r := st.req
				r.Action, r.Actor = st.act, "李工"
				if _, err := env.Service.Do(ctx, tk.ID, r); err != nil {
					t.Fatalf("%s at +%v: %v", st.act, st.at, err)
				}
			}
			env.Clock.Advance(opened.Add(tc.now).Sub(env.Clock.Now()))
			got, err := env.Service.Get(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.wantProfile
			if want == "" {
				want = tc.profile
			}
			if got.Profile != want {
				t.Errorf("profile %q, want %q", got.Profile, want)
			}
			sum := map[string]string{}
			for _, v := range got.TimerViews {
				sum[v.Name] = timerSummary(v)
			}
			if !maps.Equal(sum, tc.want) {
				var lines []string
				for _, k := range slices.Sorted(maps.Keys(sum)) {
					lines = append(lines, fmt.Sprintf("%s: got %q want %q", k, sum[k], tc.want[k]))
				}
				t.Errorf("timers at +%v:\n%s", tc.now, strings.Join(lines, "\n"))
			}
		})
	}
}
