package report

import (
	"context"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// TestMonthlyComplaints: the monthly report counts the complaints (投诉)
// filed in the month: answered in time (24 h), late, not answered and
// overdue; one filed the month before is not counted.
func TestMonthlyComplaints(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil) // starts Mon 2025-03-03 09:00
	ctx := context.Background()
	loc := ticketstest.Shanghai(t)
	file := func(text string) int64 {
		t.Helper()
		c, err := env.Service.FileComplaint(ctx, tickets.ComplaintRequest{Text: text, Actor: "甲方"})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	answer := func(id int64) {
		t.Helper()
		if _, err := env.Service.AnswerComplaint(ctx, id, "已处理", "经理"); err != nil {
			t.Fatal(err)
		}
	}
	inTime, late := file("到场慢"), file("态度差")
	_ = file("电话无人接") // never answered: overdue by the month's end
	env.Clock.Advance(2 * time.Hour)
	answer(inTime)
	env.Clock.Advance(30 * time.Hour)
	answer(late)
	env.Clock.Advance(40 * 24 * time.Hour) // April
	_ = file("四月的投诉")
	r, err := New(Sources{Tickets: env.Service, History: env.Store, Complaints: env.Service},
		Options{Location: loc, Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Month("2025-03", loc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Monthly(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	want := tickets.ComplaintStats{Filed: 3, InTime: 1, Late: 1, Overdue: 1}
	if m.Complaints == nil || *m.Complaints != want {
		t.Fatalf("complaints %+v, want %+v", m.Complaints, want)
	}
	figs := map[string]any{}
	for _, f := range m.Document(r).Summary {
		figs[f.Name] = f.Value
	}
	for k, v := range map[string]int{"投诉数": 3, "按时答复": 1, "超时答复": 1, "超时未答复": 1} {
		if figs[k] != v {
			t.Errorf("summary %s = %v, want %d", k, figs[k], v)
		}
	}
}
