package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

func repairOut(at time.Duration, kind tickets.RepairKind) lifeStep {
	return lifeStep{at: at, act: tickets.ActionRepairOut, req: tickets.ActionRequest{RepairKind: kind,
		Part: &tickets.Part{Part: "交换机电源模块", Serial: "PSU-7", Location: "县局机房 A3"}}}
}

// TestRepairReturnTimers: seed 003 lines 696–699 (故障设备修理): "更换下来的故障设备在
// 2 日内进行维修，在 5 个工作日后修理解决。若需送厂家修理，自更换后 2个工作日内报业主确认。"
// A unit sent for local repair (送修) is back within 2 days (7×24); one sent to
// the factory (返厂) within 5 working days (42.5 h of 9:00–17:30) and reported
// within 2 working days (17 h). The clocks start at repair_out, not at
// opening, and keep running after the fault is resolved. Opened Mon
// 2025-03-03 09:00; repair_out at +1 h (Mon 10:00).
func TestRepairReturnTimers(t *testing.T) {
	t.Parallel()
	h := time.Hour
	tests := []struct {
		name  string
		steps []lifeStep
		now   time.Duration
		want  map[string]string // the repair timers only
	}{{
		name:  "no repair: no repair timer shows",
		steps: []lifeStep{resolveAt(2 * h)},
		now:   3 * h,
		want:  map[string]string{},
	}, {
		name:  "local, back in 29 h",
		steps: []lifeStep{repairOut(h, tickets.RepairLocal), resolveAt(2 * h), do(30*h, tickets.ActionRepairBack)},
		now:   31 * h,
		want:  map[string]string{"repair": "met"},
	}, {
		name:  "local, still away after the fault was resolved",
		steps: []lifeStep{repairOut(h, tickets.RepairLocal), resolveAt(2 * h)},
		now:   40 * h,
		want:  map[string]string{"repair": "warning 9h0m0s left"},
	}, {
		name:  "local, not back in 2 days",
		steps: []lifeStep{repairOut(h, tickets.RepairLocal), resolveAt(2 * h)},
		now:   50 * h,
		want:  map[string]string{"repair": "breached 1h0m0s"},
	}, {
		// Reported Tue 11:00 (due Wed 10:00); at Wed 11:00 7.5+8.5+2 = 18 h
		// of the 42.5 working hours are used.
		name: "factory, reported in time",
		steps: []lifeStep{repairOut(h, tickets.RepairFactory), resolveAt(2 * h),
			{at: 26 * h, act: tickets.ActionRepairReport, req: tickets.ActionRequest{Note: "电话报科技科张科长，同意返厂"}}},
		now:  50 * h,
		want: map[string]string{"repair_factory": "running 24h30m0s left", "repair_report": "met"},
	}, {
		name:  "factory, not reported in 2 working days",
		steps: []lifeStep{repairOut(h, tickets.RepairFactory), resolveAt(2 * h)},
		now:   50 * h,
		want:  map[string]string{"repair_factory": "running 24h30m0s left", "repair_report": "breached 1h0m0s"},
	}, {
		// Due Mon 2025-03-10 10:00; back Mon 11:00 (+170 h) is 1 working hour late.
		name: "factory, back an hour late",
		steps: []lifeStep{repairOut(h, tickets.RepairFactory), resolveAt(2 * h),
			{at: 3 * h, act: tickets.ActionRepairReport, req: tickets.ActionRequest{Note: "书面报送"}},
			do(170*h, tickets.ActionRepairBack)},
		now:  171 * h,
		want: map[string]string{"repair_factory": "breached 1h0m0s", "repair_report": "met"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := contractEnv(t, "seed003")
			ctx := context.Background()
			tk, err := env.Service.Create(ctx, tickets.Manual{Title: "核心交换机电源故障", Level: classify.LevelII,
				Device: "sw-core", Actor: "值班员"})
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
			if got.Profile != "seed003" {
				t.Fatalf("profile %q, want seed003", got.Profile)
			}
			sum := map[string]string{}
			for _, v := range got.TimerViews {
				if strings.HasPrefix(v.Name, "repair") {
					sum[v.Name] = timerSummary(v)
				}
			}
			if !maps.Equal(sum, tc.want) {
				t.Errorf("repair timers at +%v: %v, want %v", tc.now, sum, tc.want)
			}
		})
	}
}

// TestRepairRules: one unit away at a time; repair_back needs one away; the
// part register records the repair; a late report escalates like any timer.
func TestRepairRules(t *testing.T) {
	t.Parallel()
	env := contractEnv(t, "seed003")
	ctx := context.Background()
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	n, err := notify.New(notify.Config{Channels: []notify.ChannelConfig{{Name: "all", Type: "webhook", URL: srv.URL + "/all"}}},
		notify.Options{Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	esc, err := env.Service.Escalator(tickets.EscalationOptions{Notifier: n, Routes: map[string][]string{
		"engineer": {"all"}, "project_manager": {"all"}, "technical_director": {"all"}, "deputy_gm": {"all"}}})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := env.Service.Create(ctx, tickets.Manual{Title: "存储硬盘故障", Level: classify.LevelII, Device: "sw-core", Actor: "值班员"})
	if err != nil {
		t.Fatal(err)
	}
	act := func(r tickets.ActionRequest) (*tickets.Ticket, error) {
		r.Actor = "李工"
		return env.Service.Do(ctx, tk.ID, r)
	}
	if _, err := act(tickets.ActionRequest{Action: tickets.ActionRepairBack}); !errors.Is(err, tickets.ErrInvalidTransition) {
		t.Errorf("repair_back with nothing away: %v, want ErrInvalidTransition", err)
	}
	if _, err := act(tickets.ActionRequest{Action: tickets.ActionRepairOut, RepairKind: "abroad", Part: &tickets.Part{Part: "硬盘"}}); !errors.Is(err, tickets.ErrInvalid) {
		t.Errorf("repair_out kind abroad: %v, want ErrInvalid", err)
	}
	got, err := act(tickets.ActionRequest{Action: tickets.ActionPart, Part: &tickets.Part{Part: "硬盘", Serial: "HDD-3"}})
	if err != nil {
		t.Fatal(err)
	}
	pid := got.Parts[0].ID
	if _, err := act(tickets.ActionRequest{Action: tickets.ActionRepairOut, RepairKind: tickets.RepairFactory, PartID: pid + 9}); !errors.Is(err, tickets.ErrInvalid) {
		t.Errorf("repair_out of an unknown part: %v, want ErrInvalid", err)
	}
	if _, err := act(tickets.ActionRequest{Action: tickets.ActionRepairOut, RepairKind: tickets.RepairFactory, PartID: pid}); err != nil {
		t.Fatal(err)
	}
	if _, err := act(tickets.ActionRequest{Action: tickets.ActionRepairOut, RepairKind: tickets.RepairLocal, Part: &tickets.Part{Part: "电源"}}); !errors.Is(err, tickets.ErrInvalidTransition) {
		t.Errorf("second repair_out while one is away: %v, want ErrInvalidTransition", err)
	}
	got, err = env.Service.Get(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Parts[0]; p.RepairKind != tickets.RepairFactory || p.RepairOut == nil || p.RepairBack != nil {
		t.Errorf("part after repair_out: %+v", p)
	}
	// 17 working hours from Mon 09:00 is Tue 17:30 (warning at 0.8: Tue
	// 14:06); Wed 10:00 is one working hour past the breach: the next step
	// (every 1 h) goes to the technical director.
	env.Clock.Advance(49 * time.Hour)
	if err := esc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	msgs, _ := rcv.snapshot()
	var seen []string
	for _, m := range msgs {
		if m.Data.Timer == "返厂报业主确认" {
			seen = append(seen, fmt.Sprintf("%s %s", m.Event, m.Data.Role))
		}
	}
	slices.Sort(seen)
	if want := []string{"breach 项目经理", "escalate 技术总监", "warning 驻场工程师"}; !slices.Equal(seen, want) {
		t.Errorf("repair_report notices %q, want %q", seen, want)
	}
	if _, err := act(tickets.ActionRequest{Action: tickets.ActionRepairBack}); err != nil {
		t.Fatal(err)
	}
	got, _ = env.Service.Get(ctx, tk.ID)
	if got.Parts[0].RepairBack == nil {
		t.Error("repair_back did not record the return on the part")
	}
}
