package report

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// Daily is the daily O&M log (每日运维服务日志): the day's inspections, the
// faults opened and recovered, and every ticket action.
type Daily struct {
	Period      Period
	Generated   time.Time
	Inspections []inspect.Summary
	Opened      []tickets.Ticket
	Events      []tickets.TicketEvent
	// Counts of the day's events by kind (recover, resolve, close, ack, …).
	Kinds   map[string]int
	ByLevel map[classify.Level]int
}

// Daily gathers the O&M log of one day.
func (r *Reporter) Daily(ctx context.Context, p Period) (*Daily, error) {
	d := &Daily{Period: p, Generated: r.o.Clock.Now(), Kinds: map[string]int{}, ByLevel: map[classify.Level]int{}}
	var err error
	r.progress("巡检 inspections %s", p.Label)
	if d.Inspections, err = r.listInspections(ctx, p); err != nil {
		return nil, err
	}
	r.progress("工单 tickets %s", p.Label)
	if d.Opened, err = r.listTickets(ctx, p); err != nil {
		return nil, err
	}
	for i := range d.Opened {
		d.ByLevel[d.Opened[i].Level]++
	}
	if r.src.History != nil {
		if d.Events, err = r.src.History.EventsBetween(ctx, p.Start, p.End); err != nil {
			return nil, fmt.Errorf("ticket events: %w", err)
		}
	}
	for _, e := range d.Events {
		d.Kinds[e.Kind]++
	}
	return d, nil
}

// eventKindZH names an event kind on paper.
func eventKindZH(k string) string {
	switch k {
	case tickets.EventOpened:
		return "开单"
	case tickets.EventAlert:
		return "告警更新"
	case tickets.EventAffected:
		return "下联受影响"
	case tickets.EventRecurred:
		return "复发"
	case tickets.EventNotice:
		return "预警/升级通知"
	case tickets.EventAutoClose:
		return "自动关闭"
	case tickets.EventSilenced:
		return "进入维护窗口"
	case tickets.EventSilenceEnds:
		return "维护窗口结束"
	case string(tickets.ActionAck):
		return "响应确认"
	case string(tickets.ActionDispatch):
		return "派单"
	case string(tickets.ActionOnSite):
		return "到场"
	case string(tickets.ActionRecover):
		return "恢复"
	case string(tickets.ActionResolve):
		return "修复"
	case string(tickets.ActionClose):
		return "关闭"
	case string(tickets.ActionReopen):
		return "重新打开"
	case string(tickets.ActionCancel):
		return "取消"
	case string(tickets.ActionNote):
		return "备注"
	case string(tickets.ActionPart):
		return "更换备件"
	case string(tickets.ActionDiagnose):
		return "故障判断"
	case string(tickets.ActionPlan):
		return "提交方案"
	case string(tickets.ActionSpare):
		return "备件替换"
	case string(tickets.ActionReport):
		return "故障报告"
	case string(tickets.ActionConfirm):
		return "用户确认"
	case string(tickets.ActionReject):
		return "用户驳回"
	case string(tickets.ActionFollowUp):
		return "回访"
	case string(tickets.ActionPause):
		return "挂起"
	case string(tickets.ActionResume):
		return "恢复计时"
	case tickets.EventUnknown:
		return "设备失联/状态未知"
	case tickets.EventKnown:
		return "恢复数据"
	case tickets.EventLinked:
		return "关联工单"
	case tickets.EventLevel:
		return "升级"
	}
	return k
}

// Document builds the daily O&M log document.
func (d *Daily) Document(r *Reporter) *Document {
	doc := &Document{Title: "每日运维服务日志", TitleEN: "Daily O&M service log", Bureau: r.o.Bureau,
		Period: r.periodText(d.Period), Generated: r.t(d.Generated), Sign: true}
	var rows, abnormal, pending int
	for _, in := range d.Inspections {
		rows += in.Totals.Rows
		abnormal += in.Totals.Abnormal
		pending += in.Totals.Pending
	}
	doc.Summary = []Figure{
		{"巡检次数", "Inspection runs", len(d.Inspections)},
		{"检查项", "Items checked", rows},
		{"异常项", "Items abnormal", abnormal},
		{"人工项待填", "Manual items pending", pending},
		{"新开工单", "Faults opened", len(d.Opened)},
		{"其中 I/II 级", "of which level I/II", d.ByLevel[classify.LevelI] + d.ByLevel[classify.LevelII]},
		{"恢复", "Recovered", d.Kinds[string(tickets.ActionRecover)]},
		{"修复", "Resolved", d.Kinds[string(tickets.ActionResolve)]},
		{"关闭", "Closed", d.Kinds[string(tickets.ActionClose)] + d.Kinds[tickets.EventAutoClose]},
		{"预警/升级通知", "Warnings and escalations", d.Kinds[tickets.EventNotice]},
	}
	insp := Section{Sheet: "巡检", Title: "当日巡检", TitleEN: "Inspections of the day",
		Columns: []Column{{Title: "编号", TitleEN: "No."}, {Title: "巡检", TitleEN: "Template", Width: 24}, {Title: "执行时间", TitleEN: "Run at", Width: 17},
			{Title: "设备", TitleEN: "Devices"}, {Title: "检查项", TitleEN: "Items"}, {Title: "正常", TitleEN: "Normal"}, {Title: "预警", TitleEN: "Warning"},
			{Title: "异常", TitleEN: "Abnormal"}, {Title: "未检", TitleEN: "Unchecked"}, {Title: "待检", TitleEN: "Pending"}, {Title: "状态", TitleEN: "Status"}}}
	for _, in := range d.Inspections {
		t := in.Totals
		insp.Rows = append(insp.Rows, []any{in.ID, in.Title, r.t(in.FinishedAt), t.Devices, t.Rows, t.Normal, t.Warning, t.Abnormal, t.Unchecked, t.Pending, statusZH(in.Status)})
	}
	opened := r.ticketSection(d.Opened, "新开工单", "当日新开故障", "Faults opened on the day")
	acts := Section{Sheet: "工单处理记录", Title: "工单处理记录", TitleEN: "Ticket actions of the day",
		Columns: []Column{{Title: "时间", TitleEN: "At", Width: 17}, {Title: "单号", TitleEN: "Ticket"}, {Title: "等级", TitleEN: "Level", Width: 12},
			{Title: "设备", TitleEN: "Device", Width: 22}, {Title: "动作", TitleEN: "Action", Width: 14}, {Title: "状态变化", TitleEN: "State", Width: 16},
			{Title: "处理人", TitleEN: "By", Width: 16}, {Title: "说明", TitleEN: "Note", Width: 40}}}
	for _, e := range d.Events {
		change := ""
		switch {
		case e.To != "" && e.From != "":
			change = e.From.Chinese() + "→" + e.To.Chinese()
		case e.To != "":
			change = e.To.Chinese()
		}
		acts.Rows = append(acts.Rows, []any{r.t(e.At), e.TicketID, e.Level.Label(), r.displayName(e.Device), eventKindZH(e.Kind), change, eventBy(e.Event), eventNote(e.Event)})
	}
	doc.Sections = []Section{insp, opened, acts}
	return doc
}

// eventBy is who did the work of an event: the engineer recorded as doing
// it (经办人) when a dispatcher or the system entered it, else the actor.
func eventBy(e tickets.Event) string {
	if e.By != "" {
		return e.By
	}
	return e.Actor
}

// eventNote is what the log says of an event: its note, and for a resolve
// the cause and fix, for a part the part, for a dispatch the assignee.
func eventNote(e tickets.Event) string {
	var parts []string
	add := func(label, v string) {
		if v = strings.TrimSpace(v); v != "" {
			parts = append(parts, label+v)
		}
	}
	if e.Detail != "" {
		switch e.Kind {
		case string(tickets.ActionResolve):
			var d struct{ Cause, Fix string }
			if json.Unmarshal([]byte(e.Detail), &d) == nil {
				add("原因：", d.Cause)
				add("处理：", d.Fix)
			}
		case string(tickets.ActionDiagnose), string(tickets.ActionPlan), string(tickets.ActionReport):
			var d struct{ Text, Attachment string }
			if json.Unmarshal([]byte(e.Detail), &d) == nil {
				add("", d.Text)
				add("附件：", d.Attachment)
			}
		case string(tickets.ActionPause):
			var d struct {
				Reason string
				Agreed string `json:"agreed_by"`
			}
			if json.Unmarshal([]byte(e.Detail), &d) == nil {
				add("原因：", d.Reason)
				add("同意人：", d.Agreed)
			}
		case string(tickets.ActionFollowUp):
			var d struct{ Satisfaction int }
			if json.Unmarshal([]byte(e.Detail), &d) == nil && d.Satisfaction > 0 {
				add("满意度：", fmt.Sprintf("%d/5", d.Satisfaction))
			}
		case string(tickets.ActionPart), string(tickets.ActionSpare):
			var p tickets.Part
			if json.Unmarshal([]byte(e.Detail), &p) == nil {
				add("备件：", strings.TrimSpace(p.Part+" "+p.Serial))
				add("位置：", p.Location)
				add("原因：", p.Cause)
			}
		case string(tickets.ActionDispatch):
			var d struct{ Assignee string }
			if json.Unmarshal([]byte(e.Detail), &d) == nil {
				add("派给：", d.Assignee)
			}
		}
	}
	add("", e.Note)
	return strings.Join(parts, "；")
}

func statusZH(s string) string {
	switch s {
	case "pending":
		return "待填"
	case "completed":
		return "已完成"
	case "signed":
		return "已签字"
	case "countersigned":
		return "已会签"
	}
	return s
}
