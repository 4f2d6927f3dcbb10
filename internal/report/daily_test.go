package report

import (
	"testing"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

// TestDailyEventColumns: the log's 处理人 is the engineer who did the work
// when a dispatcher entered it, and 说明 carries the resolve's cause and fix,
// the part and the assignee, not only the free note.
func TestDailyEventColumns(t *testing.T) {
	tests := []struct {
		name     string
		e        tickets.Event
		by, note string
	}{
		{"resolve entered by the dispatcher for the engineer",
			tickets.Event{Actor: "duty-desk", By: "李工", Kind: string(tickets.ActionResolve), Detail: `{"cause":"电源适配器损坏","fix":"更换适配器"}`},
			"李工", "原因：电源适配器损坏；处理：更换适配器"},
		{"resolve by the engineer, with a note",
			tickets.Event{Actor: "张工", Kind: string(tickets.ActionResolve), Detail: `{"cause":"光纤断","fix":"熔接"}`, Note: "已通知甲方"},
			"张工", "原因：光纤断；处理：熔接；已通知甲方"},
		{"part",
			tickets.Event{Actor: "张工", Kind: string(tickets.ActionPart), Detail: `{"part":"光模块","serial":"SN123","location":"A01","cause":"损坏"}`},
			"张工", "备件：光模块 SN123；位置：A01；原因：损坏"},
		{"dispatch", tickets.Event{Actor: "值班员", Kind: string(tickets.ActionDispatch), Detail: `{"assignee":"王工"}`}, "值班员", "派给：王工"},
		{"garbage detail keeps the note", tickets.Event{Actor: "a", Kind: string(tickets.ActionResolve), Detail: `{`, Note: "n"}, "a", "n"},
		{"plan", tickets.Event{Actor: "李工", Kind: string(tickets.ActionPlan), Detail: `{"text":"更换主板","attachment":"plan.pdf","emergency":false}`}, "李工", "更换主板；附件：plan.pdf"},
		{"pause", tickets.Event{Actor: "李工", Kind: string(tickets.ActionPause), Detail: `{"reason":"等待厂家备件","agreed_by":"王科长"}`}, "李工", "原因：等待厂家备件；同意人：王科长"},
		{"followup", tickets.Event{Actor: "值班员", Kind: string(tickets.ActionFollowUp), Detail: `{"satisfaction":4}`, Note: "响应及时"}, "值班员", "满意度：4/5；响应及时"},
		{"alert", tickets.Event{Actor: "system:rules", Kind: tickets.EventAlert, Note: "UPSOnBattery"}, "system:rules", "UPSOnBattery"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := eventBy(tc.e); got != tc.by {
				t.Errorf("处理人 = %q, want %q", got, tc.by)
			}
			if got := eventNote(tc.e); got != tc.note {
				t.Errorf("说明 = %q, want %q", got, tc.note)
			}
		})
	}
}
