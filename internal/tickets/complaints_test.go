package tickets_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// TestComplaints: a complaint (投诉) is filed by the logged-in person, due for
// a reply within the configured time (24 h by default: no contract states
// one; seed 002 line 108 is the nearest clause), answered and closed; one
// about a ticket is on the ticket's history; the statistics count answered
// in time, late, overdue and pending.
func TestComplaints(t *testing.T) {
	t.Parallel()
	h := time.Hour
	tests := []struct {
		name    string
		reply   time.Duration // configured; 0 = default
		answer  time.Duration // after filing; 0 = not answered
		now     time.Duration
		state   tickets.ComplaintState
		late    bool
		overdue bool
		stats   tickets.ComplaintStats
	}{
		{"answered in time", 0, 3 * h, 4 * h, tickets.ComplaintAnswered, false, false, tickets.ComplaintStats{Filed: 1, InTime: 1}},
		{"answered on the deadline", 0, 24 * h, 25 * h, tickets.ComplaintAnswered, false, false, tickets.ComplaintStats{Filed: 1, InTime: 1}},
		{"answered late", 0, 25 * h, 26 * h, tickets.ComplaintAnswered, true, false, tickets.ComplaintStats{Filed: 1, Late: 1}},
		{"not answered, within time", 0, 0, 23 * h, tickets.ComplaintOpen, false, false, tickets.ComplaintStats{Filed: 1, Pending: 1}},
		{"not answered, overdue", 0, 0, 30 * h, tickets.ComplaintOpen, false, true, tickets.ComplaintStats{Filed: 1, Overdue: 1}},
		{"configured 4 h, answered at 5 h", 4 * h, 5 * h, 6 * h, tickets.ComplaintAnswered, true, false, tickets.ComplaintStats{Filed: 1, Late: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := ticketstest.New(t, func(o *tickets.Options) { o.ComplaintReply = tc.reply })
			ctx := context.Background()
			tk, err := env.Service.Create(ctx, tickets.Manual{Title: "派出所视频会议无声音", Level: classify.LevelIII, Actor: "值班员"})
			if err != nil {
				t.Fatal(err)
			}
			filed := env.Clock.Now()
			c, err := env.Service.FileComplaint(ctx, tickets.ComplaintRequest{TicketID: tk.ID, Text: "工程师到场太慢", Contact: "张科 13800000000", Actor: "甲方张科"})
			if err != nil {
				t.Fatal(err)
			}
			want := cmpOr(tc.reply, tickets.DefaultComplaintReply)
			if c.FiledBy != "甲方张科" || !c.DueAt.Equal(filed.Add(want)) || c.State != tickets.ComplaintOpen {
				t.Fatalf("filed %+v, want by 甲方张科 due in %v", c, want)
			}
			if tc.answer > 0 {
				env.Clock.Advance(tc.answer)
				if _, err := env.Service.AnswerComplaint(ctx, c.ID, "已约谈工程师，今后 20 分钟内到场", "项目经理王"); err != nil {
					t.Fatal(err)
				}
			}
			env.Clock.Advance(filed.Add(tc.now).Sub(env.Clock.Now()))
			got, err := env.Service.Complaint(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tc.state || got.Late != tc.late || got.Overdue != tc.overdue {
				t.Errorf("state %s late %v overdue %v, want %s %v %v", got.State, got.Late, got.Overdue, tc.state, tc.late, tc.overdue)
			}
			if tc.answer > 0 && got.RepliedBy != "项目经理王" {
				t.Errorf("replied by %q", got.RepliedBy)
			}
			list, err := env.Service.Complaints(ctx, tickets.ComplaintFilter{From: filed.Add(-h), To: filed.Add(h)})
			if err != nil {
				t.Fatal(err)
			}
			if st := tickets.CountComplaints(list); st != tc.stats {
				t.Errorf("stats %+v, want %+v", st, tc.stats)
			}
			full, err := env.Service.Get(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, e := range full.Events {
				kinds = append(kinds, e.Kind)
			}
			wantKinds := []string{tickets.EventComplaint}
			if tc.answer > 0 {
				wantKinds = append(wantKinds, tickets.EventComplaintReply)
			}
			for _, k := range wantKinds {
				if !slices.Contains(kinds, k) {
					t.Errorf("ticket history %q lacks %s", kinds, k)
				}
			}
		})
	}
}

func cmpOr(a, b time.Duration) time.Duration {
	if a != 0 {
		return a
	}
	return b
}

// TestComplaintRules: bad input and the order answer → close; a customer
// lists only its own complaints.
func TestComplaintRules(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	ctx := context.Background()
	svc := env.Service
	if _, err := svc.FileComplaint(ctx, tickets.ComplaintRequest{Text: "  ", Actor: "甲方"}); !errors.Is(err, tickets.ErrInvalid) {
		t.Errorf("blank text: %v", err)
	}
	if _, err := svc.FileComplaint(ctx, tickets.ComplaintRequest{Text: "x", Actor: "甲方", TicketID: 99}); !errors.Is(err, tickets.ErrNotFound) {
		t.Errorf("unknown ticket: %v", err)
	}
	a, err := svc.FileComplaint(ctx, tickets.ComplaintRequest{Text: "服务态度差", Actor: "甲方A"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.FileComplaint(ctx, tickets.ComplaintRequest{Text: "电话无人接", Actor: "甲方B"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CloseComplaint(ctx, a.ID, "经理"); !errors.Is(err, tickets.ErrInvalidTransition) {
		t.Errorf("close before answer: %v", err)
	}
	if _, err := svc.AnswerComplaint(ctx, a.ID, "", "经理"); !errors.Is(err, tickets.ErrInvalid) {
		t.Errorf("empty reply: %v", err)
	}
	if _, err := svc.AnswerComplaint(ctx, a.ID, "已处理", "经理"); err != nil {
		t.Fatal(err)
	}
	c, err := svc.CloseComplaint(ctx, a.ID, "经理")
	if err != nil || c.State != tickets.ComplaintClosed || c.ClosedBy != "经理" {
		t.Fatalf("close: %+v %v", c, err)
	}
	if _, err := svc.AnswerComplaint(ctx, a.ID, "再答复", "经理"); !errors.Is(err, tickets.ErrInvalidTransition) {
		t.Errorf("answer a closed complaint: %v", err)
	}
	if _, err := svc.Complaint(ctx, 999); !errors.Is(err, tickets.ErrNotFound) {
		t.Errorf("unknown complaint: %v", err)
	}
	own, err := svc.Complaints(ctx, tickets.ComplaintFilter{FiledBy: "甲方B"})
	if err != nil || len(own) != 1 || own[0].FiledBy != "甲方B" {
		t.Errorf("甲方B's complaints: %+v %v", own, err)
	}
	open, err := svc.Complaints(ctx, tickets.ComplaintFilter{Open: true})
	if err != nil || len(open) != 1 || open[0].Text != "电话无人接" {
		t.Errorf("open complaints: %+v %v", open, err)
	}
}
