package tickets_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// TestOpenAndDispatchNotices: a new ticket tells, at once (the next
// escalation pass, no clock movement), the engineer on duty and the project
// manager for levels I and II and the group channel for III and IV; a
// dispatch tells the assignee on their own channel; every attempt, and a
// notice with no channel for its person, is on the ticket's history.
func TestOpenAndDispatchNotices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		level    classify.Level
		assignee string
		want     []string // "path event", sorted
		wantNote string   // on the ticket's history
	}{
		{"level I", classify.LevelI, "", []string{"/eng new", "/pm new"}, "新工单通知 → 驻场工程师 经 eng 第1次 成功 ok"},
		{"level II", classify.LevelII, "", []string{"/eng new", "/pm new"}, "新工单通知 → 项目经理 经 pm 第1次 成功 ok"},
		{"level III", classify.LevelIII, "", []string{"/group new"}, "新工单通知 → 工作群 经 group 第1次 成功 ok"},
		{"level IV dispatched to 王工", classify.LevelIV, "王工", []string{"/group new", "/wang dispatch"}, "派单通知 → 王工 经 wang 第1次 成功 ok"},
		{"dispatched to a person without a channel", classify.LevelIV, "赵工", []string{"/group new"},
			"派单通知 → 赵工 未发送 not sent: no channel: no channel for 赵工 (tickets.people)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rcv := &receiver{}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			env := ticketstest.New(t, func(o *tickets.Options) { o.Notices = true })
			ctx := context.Background()
			var chans []notify.ChannelConfig
			for _, p := range []string{"eng", "pm", "group", "wang"} {
				chans = append(chans, notify.ChannelConfig{Name: p, Type: "webhook", URL: srv.URL + "/" + p})
			}
			n, err := notify.New(notify.Config{Channels: chans}, notify.Options{Clock: env.Clock})
			if err != nil {
				t.Fatal(err)
			}
			esc, err := env.Service.Escalator(tickets.EscalationOptions{Notifier: n,
				Routes: map[string][]string{"engineer": {"eng"}, "project_manager": {"pm"}, "group": {"group"}},
				People: map[string][]string{"王工": {"wang"}}})
			if err != nil {
				t.Fatal(err)
			}
			tk, err := env.Service.Create(ctx, tickets.Manual{Title: "机房漏水", Level: tc.level, Actor: "值班员"})
			if err != nil {
				t.Fatal(err)
			}
			if tc.assignee != "" {
				if _, err := env.Service.Do(ctx, tk.ID, tickets.ActionRequest{Action: tickets.ActionDispatch, Actor: "调度", Assignee: tc.assignee}); err != nil {
					t.Fatal(err)
				}
			}
			// The pass finishes with an error only for the unroutable notice.
			err = esc.RunOnce(ctx)
			if (err != nil) != strings.Contains(tc.wantNote, "not sent") {
				t.Fatalf("pass: %v", err)
			}
			got, paths := rcv.snapshot()
			var sum []string
			for i, p := range got {
				sum = append(sum, paths[i]+" "+string(p.Event))
			}
			slices.Sort(sum)
			if !slices.Equal(sum, tc.want) {
				t.Errorf("notices %q, want %q", sum, tc.want)
			}
			full, err := env.Service.Get(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			var notes []string
			for _, e := range full.Events {
				if e.Kind == tickets.EventNotice {
					notes = append(notes, e.Note)
				}
			}
			if !slices.Contains(notes, tc.wantNote) {
				t.Errorf("history notices %q lack %q", notes, tc.wantNote)
			}
			// A second pass sends nothing again.
			_ = esc.RunOnce(ctx)
			if again, _ := rcv.snapshot(); len(again) != len(got) {
				t.Errorf("second pass sent %d more", len(again)-len(got))
			}
		})
	}
}

// TestRecoveryAndCloseNotices: those told of a new ticket are told when the
// fault is over (a person resolves it, or its alert recovers) and when it
// is closed, with the cause and fix; each at once (the next pass), once.
func TestRecoveryAndCloseNotices(t *testing.T) {
	t.Parallel()
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	env := ticketstest.New(t, func(o *tickets.Options) { o.Notices = true })
	ctx := context.Background()
	var chans []notify.ChannelConfig
	for _, p := range []string{"eng", "pm", "group"} {
		chans = append(chans, notify.ChannelConfig{Name: p, Type: "webhook", URL: srv.URL + "/" + p})
	}
	n, err := notify.New(notify.Config{Channels: chans}, notify.Options{Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	esc, err := env.Service.Escalator(tickets.EscalationOptions{Notifier: n,
		Routes: map[string][]string{"engineer": {"eng"}, "project_manager": {"pm"}, "group": {"group"}}})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := env.Service.Create(ctx, tickets.Manual{Title: "UPS 市电中断", Level: classify.LevelII, Actor: "值班员"})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		act  tickets.ActionRequest
		want []string // new notices, "path event", sorted
	}{
		{tickets.ActionRequest{Action: tickets.ActionAck}, []string{"/eng new", "/pm new"}},
		{tickets.ActionRequest{Action: tickets.ActionResolve, Cause: "市电检修", Fix: "恢复供电"}, []string{"/eng recovered", "/pm recovered"}},
		{tickets.ActionRequest{Action: tickets.ActionClose}, []string{"/eng closed", "/pm closed"}},
	}
	seen := 0
	for _, st := range steps {
		r := st.act
		r.Actor = "李工"
		if _, err := env.Service.Do(ctx, tk.ID, r); err != nil {
			t.Fatalf("%s: %v", r.Action, err)
		}
		if err := esc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		got, paths := rcv.snapshot()
		var sum []string
		for i := seen; i < len(got); i++ {
			sum = append(sum, paths[i]+" "+string(got[i].Event))
			if got[i].Event == notify.EventRecovered && (got[i].Data.Cause != "市电检修" || got[i].Data.Resolution != "恢复供电" || got[i].Data.ResolvedAt.IsZero()) {
				t.Errorf("recovery notice data %+v, want the cause, the fix and when", got[i].Data)
			}
		}
		seen = len(got)
		slices.Sort(sum)
		if !slices.Equal(sum, st.want) {
			t.Errorf("after %s: notices %q, want %q", r.Action, sum, st.want)
		}
	}
}
