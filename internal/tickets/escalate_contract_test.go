package tickets_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// TestContractEscalation checks who is told what on seed 001's profile: only
// an urgent fault unresolved 2 h after opening goes up the chain (seed 001
// line 59); other timers tell the handler; a pause holds the pausable
// timers; a resolved ticket's report timer still warns (line 119).
// Opened Mon 2025-03-03 09:00; an escalation pass runs at each step (before
// it) and at the end: a pass sends every step due so far.
func TestContractEscalation(t *testing.T) {
	t.Parallel()
	h, m := time.Hour, time.Minute
	tests := []struct {
		name  string
		level classify.Level
		steps []lifeStep
		until time.Duration
		want  []string // "path timer event", sorted
	}{{
		// Breach at 2 h → project manager, 3 h → technical director, 4 h →
		// deputy GM; respond and plan were met in time.
		name: "I unresolved", level: classify.LevelI,
		steps: []lifeStep{do(5*m, tickets.ActionAck), planAt(h, false)},
		until: 4*h + 30*m,
		want:  []string{"/dgm 未解决升级 escalate", "/pm 未解决升级 breach", "/td 未解决升级 escalate"},
	}, {
		name: "I resolved at 1h30m", level: classify.LevelI,
		steps: []lifeStep{do(5*m, tickets.ActionAck), planAt(h, false), resolveAt(90 * m)},
		until: 5 * h,
	}, {
		// The bug of issue 13: a level III fault without a plan, resolved at
		// +5 h, told the deputy GM. Now the plan warning (1h36m) and breach
		// (2 h) go to the engineer only.
		name: "III no plan resolved at 5h", level: classify.LevelIII,
		steps: []lifeStep{do(5*m, tickets.ActionAck), resolveAt(5 * h)},
		until: 6 * h,
		want:  []string{"/eng 提交方案 breach", "/eng 提交方案 warning"},
	}, {
		// Level II paused from +1 h: resolve (24 h, warning at 19h12m) says
		// nothing at +30 h.
		name: "II paused", level: classify.LevelII,
		steps: []lifeStep{do(5*m, tickets.ActionAck), planAt(50*m, false),
			{at: h, act: tickets.ActionPause, req: tickets.ActionRequest{Reason: "等待现场准入", AgreedBy: "看守所王所长"}}},
		until: 30 * h,
	}, {
		// Resolved at +1 h, no report: warning at +20h12m, breach at +25 h.
		name: "III report missing", level: classify.LevelIII,
		steps: []lifeStep{do(5*m, tickets.ActionAck), planAt(30*m, false), resolveAt(h)},
		until: 26 * h,
		want:  []string{"/eng 故障报告 breach", "/eng 故障报告 warning"},
	}, {
		name: "III report in time", level: classify.LevelIII,
		steps: []lifeStep{do(5*m, tickets.ActionAck), planAt(30*m, false), resolveAt(h),
			{at: 3 * h, act: tickets.ActionReport, req: tickets.ActionRequest{Text: "报告"}}},
		until: 26 * h,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rcv := &receiver{}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			env := contractEnv(t, "seed001")
			ctx := context.Background()
			var chans []notify.ChannelConfig
			for _, p := range []string{"eng", "pm", "td", "dgm"} {
				chans = append(chans, notify.ChannelConfig{Name: p, Type: "webhook", URL: srv.URL + "/" + p})
			}
			n, err := notify.New(notify.Config{Channels: chans}, notify.Options{Clock: env.Clock})
			if err != nil {
				t.Fatal(err)
			}
			esc, err := env.Service.Escalator(tickets.EscalationOptions{Notifier: n, Routes: map[string][]string{
				"engineer": {"eng"}, "project_manager": {"pm"}, "technical_director": {"td"}, "deputy_gm": {"dgm"}}})
			if err != nil {
				t.Fatal(err)
			}
			tk, err := env.Service.Create(ctx, tickets.Manual{Title: "核心交换机故障", Level: tc.level, Actor: "值班员"})
			if err != nil {
				t.Fatal(err)
			}
			opened := env.Clock.Now()
			for _, st := range tc.steps {
				env.Clock.Advance(opened.Add(st.at).Sub(env.Clock.Now()))
				if err := esc.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				r := st.req
				r.Action, r.Actor = st.act, "李工"
				if _, err := env.Service.Do(ctx, tk.ID, r); err != nil {
					t.Fatalf("%s: %v", st.act, err)
				}
			}
			env.Clock.Advance(opened.Add(tc.until).Sub(env.Clock.Now()))
			if err := esc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			got, paths := rcv.snapshot()
			var sum []string
			for i, p := range got {
				sum = append(sum, paths[i]+" "+p.Data.Timer+" "+string(p.Event))
			}
			slices.Sort(sum)
			if !slices.Equal(sum, tc.want) {
				t.Errorf("notices %q, want %q", sum, tc.want)
			}
		})
	}
}
