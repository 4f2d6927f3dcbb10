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
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// TestRejectNotices: when the customer rejects a fix (用户驳回) the ticket
// reopens and the assignee and the project manager are told, with the
// customer's reason, once per rejection; a failed rejection (no note)
// claims nothing.
func TestRejectNotices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		assignee string
		rejects  int
		want     []string // rejection notices, "path event", sorted
	}{
		{"dispatched", "王工", 1, []string{"/pm rejected", "/wang rejected"}},
		{"not dispatched", "", 1, []string{"/pm rejected"}},
		{"rejected twice", "王工", 2, []string{"/pm rejected", "/pm rejected", "/wang rejected", "/wang rejected"}},
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
			tk, err := env.Service.Create(ctx, tickets.Manual{Title: "卡口抓拍中断", Level: classify.LevelIII, Actor: "值班员"})
			if err != nil {
				t.Fatal(err)
			}
			do := func(r tickets.ActionRequest) {
				t.Helper()
				r.Actor = or(r.Actor, "李工")
				env.Clock.Advance(time.Minute)
				if _, err := env.Service.Do(ctx, tk.ID, r); err != nil {
					t.Fatalf("%s: %v", r.Action, err)
				}
			}
			if tc.assignee != "" {
				do(tickets.ActionRequest{Action: tickets.ActionDispatch, Assignee: tc.assignee})
			}
			for i := range tc.rejects {
				do(tickets.ActionRequest{Action: tickets.ActionResolve, Cause: "网线松动", Fix: "重新压接"})
				// A rejection without a reason is refused and claims nothing.
				if _, err := env.Service.Do(ctx, tk.ID, tickets.ActionRequest{Action: tickets.ActionReject, Actor: "甲方"}); err == nil {
					t.Fatal("reject without a note was accepted")
				}
				do(tickets.ActionRequest{Action: tickets.ActionReject, Actor: "甲方张科", Note: "仍无抓拍 " + string(rune('A'+i))})
			}
			if err := esc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			_ = esc.RunOnce(ctx) // a second pass sends nothing again
			got, paths := rcv.snapshot()
			var sum, reasons []string
			for i, m := range got {
				if m.Event != notify.EventRejected {
					continue
				}
				sum = append(sum, paths[i]+" "+string(m.Event))
				reasons = append(reasons, m.Data.Extra["reason"])
				if m.Data.Extra["reason"] == "" || m.Data.Extra["rejected_by"] != "甲方张科" {
					t.Errorf("rejection notice extra %v, want the reason and 甲方张科", m.Data.Extra)
				}
			}
			slices.Sort(sum)
			if !slices.Equal(sum, tc.want) {
				t.Errorf("rejection notices %q, want %q", sum, tc.want)
			}
			// Each rejection's notices carry its own reason.
			slices.Sort(reasons)
			if tc.rejects == 2 && !slices.Equal(slices.Compact(reasons), []string{"仍无抓拍 A", "仍无抓拍 B"}) {
				t.Errorf("reasons %q, want one per rejection", reasons)
			}
			full, err := env.Service.Get(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if full.State != tickets.StateReopened {
				t.Errorf("state %s, want reopened", full.State)
			}
		})
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
