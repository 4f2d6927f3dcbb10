package report

// The per-ticket fault report (故障处理报告) and, for a level I ticket, the
// major fault report (重大故障报告): seed 001 asks for a written report
// within 24 hours of the fix "说明故障种类、故障原因、故障解决中使用的方法及
// 故障损失等情况", and, for a fault that stops the business, an emergency plan
// (应急方案) and the cause analysed to its root with measures against its
// return (预防措施). Both are built from one ticket's record only: what the
// record lacks is printed as ruled blank lines for completion by hand, never
// made up.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// FaultKind names one of the two per-ticket reports.
type FaultKind string

// The per-ticket reports.
const (
	FaultReport FaultKind = "fault" // 故障处理报告
	MajorReport FaultKind = "major" // 重大故障报告 (level I only)
)

// ErrNotMajor: the major fault report was asked for a ticket that is not level I.
var ErrNotMajor = errors.New("the major fault report (重大故障报告) is for level I tickets only")

// ErrUnknownFaultKind: neither fault nor major.
var ErrUnknownFaultKind = errors.New("unknown ticket report: want fault or major")

// ParseFaultKind parses fault or major.
func ParseFaultKind(s string) (FaultKind, error) {
	switch k := FaultKind(s); k {
	case FaultReport, MajorReport:
		return k, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownFaultKind, s)
}

// FaultOptions are what a per-ticket report needs besides the ticket.
type FaultOptions struct {
	Bureau   string         // DefaultBureau when empty
	Location *time.Location // the ticket's times are shown here; UTC when nil
	// Generated is when the report is made (printed in its heading).
	Generated time.Time
	// Anchors are the record chains' heads when the report is made; the
	// ticket-event chain's head is printed at its foot.
	Anchors []Anchor
}

// Ticket builds the per-ticket report of kind for ticket id, its timers
// evaluated now, with the ticket-event chain's head when Sources.Anchors is
// set.
func (r *Reporter) Ticket(ctx context.Context, kind FaultKind, id int64) (*Document, error) {
	if r.src.Tickets == nil {
		return nil, fmt.Errorf("ticket report: %w", ErrNoTickets)
	}
	t, err := r.src.Tickets.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	now := r.o.Clock.Now()
	o := FaultOptions{Bureau: r.o.Bureau, Location: r.o.Location, Generated: now}
	if r.src.Anchors != nil {
		if o.Anchors, err = r.src.Anchors(ctx); err != nil {
			return nil, fmt.Errorf("ticket report: chain heads: %w", err)
		}
	}
	return TicketDocument(t, kind, o)
}

// ErrNoTickets: the reporter has no ticket source.
var ErrNoTickets = errors.New("no ticket store")

// TicketDocument builds the report of kind from t (with its events, parts
// and evaluated TimerViews).
func TicketDocument(t *tickets.Ticket, kind FaultKind, o FaultOptions) (*Document, error) {
	if _, err := ParseFaultKind(string(kind)); err != nil {
		return nil, err
	}
	if kind == MajorReport && t.Level != classify.LevelI {
		return nil, fmt.Errorf("ticket %d is level %s: %w", t.ID, t.Level, ErrNotMajor)
	}
	if o.Bureau == "" {
		o.Bureau = DefaultBureau
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	f := faultDoc{t: t, loc: o.Location}
	d := &Document{Title: "故障处理报告", TitleEN: "Fault handling report", Bureau: o.Bureau,
		PeriodLabel: "工单 Ticket", Period: fmt.Sprintf("#%d %s", t.ID, t.Title),
		Generated: o.Generated.In(o.Location).Format("2006-01-02 15:04"), SummaryTitle: "工单概况", SummaryTitleEN: "Ticket",
		Summary: f.summary(), Sign: true}
	if kind == MajorReport {
		d.Title, d.TitleEN = "重大故障报告", "Major fault report"
	}
	d.Sections = append(d.Sections, f.timeline())
	d.Sections = append(d.Sections, f.texts(tickets.ActionDiagnose, "故障判断", "Diagnosis", 0))
	if kind == MajorReport {
		d.Sections = append(d.Sections, f.impact())
		d.Sections = append(d.Sections, f.emergency())
	}
	d.Sections = append(d.Sections, f.plans())
	d.Sections = append(d.Sections, f.parts())
	d.Sections = append(d.Sections, f.causeFix())
	if kind == MajorReport {
		d.Sections = append(d.Sections, f.rootCause(), f.prevention())
	} else {
		d.Sections = append(d.Sections, f.texts(tickets.ActionReport, "故障报告摘要", "Report summary", 0))
	}
	d.Sections = append(d.Sections, f.timers(), f.customer())
	d.Sections = append(d.Sections, ticketAnchorSection(t, o.Anchors))
	return d, nil
}

// faultDoc builds the sections of one ticket's report.
type faultDoc struct {
	t   *tickets.Ticket
	loc *time.Location
}

func (f faultDoc) at(p *time.Time) any {
	if p == nil || p.IsZero() {
		return Unknown{}
	}
	return p.In(f.loc).Format("2006-01-02 15:04")
}

func (f faultDoc) summary() []Figure {
	t := f.t
	opened := t.OpenedAt
	class := t.Labels["class"]
	return []Figure{
		{"工单号", "Ticket", "#" + strconv.FormatInt(t.ID, 10)},
		{"故障标题", "Title", t.Title},
		{"故障级别", "Level", t.Level.Label()},
		{"故障种类", "Category", orDash(t.Category.Chinese())},
		{"设备", "Device", orDash(t.Device)},
		{"站点", "Site", orDash(t.Site)},
		{"设备类别", "Device class", orDash(class)},
		{"处理组", "Handling group", orDash(t.Group)},
		{"来源", "Source", orDash(t.Source)},
		{"申告人", "Filed by", orDash(f.filer())},
		{"负责工程师", "Assignee", orDash(t.Assignee)},
		{"故障描述", "Description", orDash(t.Description)},
		{"状态", "State", t.State.Chinese()},
		{"开单时间", "Opened", f.at(&opened)},
		{"恢复时间", "Recovered", f.at(t.RecoveredAt)},
		{"修复时间", "Resolved", f.at(t.ResolvedAt)},
		{"关闭时间", "Closed", f.at(t.ClosedAt)},
		{"服务合同", "SLA profile", orDash(t.Profile)},
	}
}

// filer is who reported the fault: the reporter of a manual ticket, else
// the actor of the opening event (the alert pipeline).
func (f faultDoc) filer() string {
	if f.t.Reporter != "" {
		return f.t.Reporter
	}
	for _, e := range f.t.Events {
		if e.Kind == tickets.EventOpened {
			return e.Actor
		}
	}
	return ""
}

func orDash(s string) any {
	if strings.TrimSpace(s) == "" {
		return Unknown{}
	}
	return s
}

// eventNames are the events' Chinese names, as the console shows them.
var eventNames = map[string]string{
	tickets.EventOpened: "开单", tickets.EventAlert: "告警", tickets.EventAffected: "关联设备", tickets.EventRecurred: "故障复发",
	tickets.EventNotice: "通知", tickets.EventAutoClose: "自动关闭", tickets.EventUnknown: "设备失联（状态未知）",
	tickets.EventKnown: "设备恢复上报", tickets.EventLinked: "关联可达性工单", tickets.EventLevel: "级别提升",
	"ack": "响应", "dispatch": "派单", "onsite": "到场签到", "diagnose": "故障判断", "plan": "提交方案", "spare": "备件替换",
	"recover": "恢复", "resolve": "修复", "report": "故障报告", "confirm": "用户确认", "reject": "用户驳回", "followup": "回访",
	"pause": "挂起", "resume": "恢复计时", "close": "关闭", "reopen": "重新打开", "cancel": "取消", "note": "备注", "part": "备件更换",
	"silenced": "进入维护窗口", "silence_ended": "维护窗口结束",
}

func eventName(kind string) string {
	if n, ok := eventNames[kind]; ok {
		return n + " " + kind
	}
	return kind
}

// eventDetail is the part of an event's JSON detail a report prints.
type eventDetail struct {
	At           string `json:"at"`
	Text         string `json:"text"`
	Attachment   string `json:"attachment"`
	Emergency    bool   `json:"emergency"`
	Cause        string `json:"cause"`
	Fix          string `json:"fix"`
	Assignee     string `json:"assignee"`
	Satisfaction int    `json:"satisfaction"`
	Reason       string `json:"reason"`
	AgreedBy     string `json:"agreed_by"`
	Paused       string `json:"paused"`
	Part         string `json:"part"`
	Serial       string `json:"serial"`
}

func detailOf(e tickets.Event) eventDetail {
	var d eventDetail
	if e.Detail != "" {
		_ = json.Unmarshal([]byte(e.Detail), &d) // an old or foreign detail prints without it
	}
	return d
}

// when is when the event's milestone happened: the stated time of a
// milestone reported afterwards, else when it was recorded.
func (f faultDoc) when(e tickets.Event) time.Time {
	if d := detailOf(e); d.At != "" {
		if at, err := time.Parse(time.RFC3339Nano, d.At); err == nil {
			return at
		}
	}
	return e.At
}

// who is who recorded the event and, when someone else did it, who: the
// engineer on site (经办), or for the customer's answers the customer's
// person who gave them (甲方).
func who(e tickets.Event) string {
	if e.By == "" || e.By == e.Actor {
		return e.Actor
	}
	switch tickets.Action(e.Kind) {
	case tickets.ActionConfirm, tickets.ActionReject, tickets.ActionFollowUp:
		return e.Actor + "（甲方 " + e.By + "）"
	}
	return e.Actor + "（经办 " + e.By + "）"
}

// timeline lists every event of the ticket with who and when.
func (f faultDoc) timeline() Section {
	s := Section{Sheet: "处理过程", Title: "处理过程", TitleEN: "Timeline",
		Columns: []Column{{Title: "序号", TitleEN: "Event", Width: 8}, {Title: "时间", TitleEN: "At", Width: 17},
			{Title: "事件", TitleEN: "Event", Width: 16}, {Title: "操作人", TitleEN: "By", Width: 16},
			{Title: "状态", TitleEN: "State", Width: 16}, {Title: "说明", TitleEN: "Note", Width: 60}}}
	for _, e := range f.t.Events {
		at := f.when(e)
		when := at.In(f.loc).Format("2006-01-02 15:04")
		if !at.Equal(e.At) {
			when += "（" + e.At.In(f.loc).Format("01-02 15:04") + " 登记）"
		}
		state := ""
		if e.To != "" {
			state = e.From.Chinese() + "→" + e.To.Chinese()
			if e.From == "" {
				state = e.To.Chinese()
			}
		}
		s.Rows = append(s.Rows, []any{"#" + strconv.FormatInt(e.ID, 10), when, eventName(e.Kind), who(e), state, faultEventNote(e)})
	}
	return s
}

// faultEventNote is an event's note with the facts of its detail.
func faultEventNote(e tickets.Event) string {
	d := detailOf(e)
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+v)
		}
	}
	add("", e.Note)
	add("内容：", d.Text)
	add("附件：", d.Attachment)
	if d.Emergency {
		parts = append(parts, "应急方案")
	}
	add("派给：", d.Assignee)
	add("原因：", d.Cause)
	add("处理：", d.Fix)
	add("备件：", strings.TrimSpace(d.Part+" "+d.Serial))
	add("挂起原因：", d.Reason)
	add("同意人：", d.AgreedBy)
	add("挂起时长：", d.Paused)
	if d.Satisfaction > 0 {
		parts = append(parts, fmt.Sprintf("满意度：%d/5", d.Satisfaction))
	}
	return strings.Join(parts, "；")
}

// texts is the section of the texts submitted with action (the diagnosis,
// the report summary), each with when and who; blank lines when none.
func (f faultDoc) texts(action tickets.Action, title, titleEN string, blank int) Section {
	s := Section{Sheet: title, Title: title, TitleEN: titleEN}
	for _, e := range f.t.Events {
		if e.Kind != string(action) {
			continue
		}
		if t := detailOf(e).Text; t != "" {
			s.Text = append(s.Text, f.stamp(e)+t)
		}
	}
	if len(s.Text) == 0 {
		s.Text = []string{"（记录中无 none recorded）"}
		s.Blank = max(blank, 3)
	}
	return s
}

func (f faultDoc) stamp(e tickets.Event) string {
	return "[" + f.when(e).In(f.loc).Format("2006-01-02 15:04") + " " + who(e) + "] "
}

// plans lists the plans submitted (处理方案), emergency ones marked.
func (f faultDoc) plans() Section {
	s := Section{Sheet: "处理方案", Title: "处理方案", TitleEN: "Plan"}
	for _, e := range f.t.Events {
		if e.Kind != string(tickets.ActionPlan) {
			continue
		}
		d := detailOf(e)
		line := f.stamp(e)
		if d.Emergency {
			line += "（应急方案 emergency）"
		}
		line += d.Text
		if d.Attachment != "" {
			line += "（附件：" + d.Attachment + "）"
		}
		s.Text = append(s.Text, line)
	}
	if len(s.Text) == 0 {
		s.Text, s.Blank = []string{"（记录中无 none recorded）"}, 3
	}
	return s
}

// parts is the ticket's replaced spare parts.
func (f faultDoc) parts() Section {
	s := Section{Sheet: "备件更换", Title: "备件更换", TitleEN: "Spare parts",
		Columns: []Column{{Title: "时间", TitleEN: "At", Width: 17}, {Title: "备件", TitleEN: "Part", Width: 20},
			{Title: "序列号", TitleEN: "Serial", Width: 18}, {Title: "位置", TitleEN: "Location", Width: 16},
			{Title: "原因", TitleEN: "Cause", Width: 24}, {Title: "经办人", TitleEN: "By", Width: 14}}}
	for _, p := range f.t.Parts {
		by := p.Actor
		if p.By != "" {
			by = p.By
		}
		at := p.At
		s.Rows = append(s.Rows, []any{f.at(&at), p.Part, p.Serial, p.Location, p.Cause, by})
	}
	return s
}

// causeFix is the cause and the fix given at the resolution.
func (f faultDoc) causeFix() Section {
	s := Section{Sheet: "故障原因及处理方法", Title: "故障原因及处理方法", TitleEN: "Cause and fix"}
	if f.t.Cause == "" && f.t.Fix == "" {
		s.Text, s.Blank = []string{"（工单尚未修复 not resolved yet）"}, 4
		return s
	}
	s.Text = []string{"故障原因 Cause：" + f.t.Cause, "处理方法 Fix：" + f.t.Fix}
	return s
}

// timers is every contract timer: its deadline, when it was met, met or
// breached by how much, and the time an agreed pause held it.
func (f faultDoc) timers() Section {
	s := Section{Sheet: "合同时限", Title: "合同时限", TitleEN: "SLA timers",
		Columns: []Column{{Title: "时限", TitleEN: "Timer", Width: 14}, {Title: "目标", TitleEN: "Target", Width: 10},
			{Title: "起算", TitleEN: "Started", Width: 17}, {Title: "截止", TitleEN: "Deadline", Width: 17},
			{Title: "达成", TitleEN: "Met at", Width: 17}, {Title: "结果", TitleEN: "Result", Width: 12},
			{Title: "超时", TitleEN: "Breached by", Width: 12}, {Title: "暂停", TitleEN: "Paused", Width: 10}},
		Note: "暂停为经甲方同意挂起的时间，不计入时限 (paused: agreed pauses, not counted)."}
	var breaches []string
	for _, v := range f.t.TimerViews {
		met := f.at(v.MetAt)
		if v.MetAt == nil && v.EndedAt != nil {
			met = "未达成，止于 " + v.EndedAt.In(f.loc).Format("2006-01-02 15:04")
		}
		var by, paused any = "", ""
		if v.BreachedBy != nil {
			by = Dur(*v.BreachedBy)
			breaches = append(breaches, fmt.Sprintf("%s %s 超时 %s", v.NameZH, v.Name, fmtDur(time.Duration(*v.BreachedBy))))
		}
		if v.PausedFor != nil {
			paused = Dur(*v.PausedFor)
		}
		s.Rows = append(s.Rows, []any{v.NameZH + " " + v.Name, Dur(v.Target), f.at(v.StartedAt), f.at(v.Deadline), met,
			timerStatus(v.Status), by, paused})
	}
	if len(breaches) > 0 {
		s.Note = "未达标 Breached：" + strings.Join(breaches, "；") + "。" + s.Note
	}
	return s
}

var timerStatuses = map[string]string{"waiting": "未起算", "running": "计时中", "warning": "临近超时", "paused": "暂停",
	"met": "达标", "breached": "超时", "not_applicable": "不适用"}

func timerStatus(s string) string {
	if n, ok := timerStatuses[s]; ok {
		return n + " " + s
	}
	return s
}

// customer is the customer's confirmation and the follow-up.
func (f faultDoc) customer() Section {
	s := Section{Sheet: "用户确认及回访", Title: "用户确认及回访", TitleEN: "Customer confirmation and follow-up"}
	for _, e := range f.t.Events {
		switch e.Kind {
		case string(tickets.ActionConfirm), string(tickets.ActionReject):
			line := f.stamp(e) + eventName(e.Kind)
			if e.Note != "" {
				line += "：" + e.Note
			}
			s.Text = append(s.Text, line)
		case string(tickets.ActionFollowUp):
			line := f.stamp(e) + fmt.Sprintf("回访 满意度 satisfaction %d/5", detailOf(e).Satisfaction)
			if e.Note != "" {
				line += "：" + e.Note
			}
			s.Text = append(s.Text, line)
		}
	}
	if len(s.Text) == 0 {
		s.Text = []string{"（尚未确认、回访 not confirmed, no follow-up yet）"}
	}
	return s
}

// impact is the fault's effect (影响范围及故障损失): the devices attached
// to the ticket as affected, then lines for what the record cannot know.
func (f faultDoc) impact() Section {
	s := Section{Sheet: "影响范围及故障损失", Title: "影响范围及故障损失", TitleEN: "Impact and loss", Blank: 3}
	if f.t.Device != "" {
		s.Text = append(s.Text, "故障设备 Device："+f.t.Device+siteText(f.t.Site))
	}
	if n := len(f.t.Affected); n > 0 {
		names := make([]string, 0, n)
		for _, a := range f.t.Affected {
			names = append(names, a.Device)
		}
		s.Text = append(s.Text, fmt.Sprintf("受影响设备 Affected (%d)：%s", n, strings.Join(names, "、")))
	}
	if f.t.RecoveredAt != nil {
		s.Text = append(s.Text, "业务中断 Outage："+fmtDur(f.t.RecoveredAt.Sub(f.t.OpenedAt))+"（开单至恢复 opened to recovered）")
	}
	s.Note = "影响的业务及故障损失由甲乙双方核实后填写 (business affected and loss: to be completed by hand)."
	return s
}

func siteText(site string) string {
	if site == "" {
		return ""
	}
	return "（站点 " + site + "）"
}

// emergency is the emergency plan (应急方案): the plans submitted as the
// emergency or second plan.
func (f faultDoc) emergency() Section {
	s := Section{Sheet: "应急方案", Title: "应急方案", TitleEN: "Emergency plan"}
	for _, e := range f.t.Events {
		if d := detailOf(e); e.Kind == string(tickets.ActionPlan) && d.Emergency {
			s.Text = append(s.Text, f.stamp(e)+d.Text)
		}
	}
	if len(s.Text) == 0 {
		s.Text, s.Blank = []string{"（记录中无应急方案 none recorded）"}, 3
	}
	return s
}

// rootCause is the root-cause analysis: the diagnoses and the cause given,
// with lines for the analysis the record does not hold.
func (f faultDoc) rootCause() Section {
	s := Section{Sheet: "根本原因分析", Title: "根本原因分析", TitleEN: "Root cause", Blank: 3}
	if f.t.Cause != "" {
		s.Text = append(s.Text, "故障原因 Cause（修复时登记）："+f.t.Cause)
	}
	for _, e := range f.t.Events {
		if d := detailOf(e); e.Kind == string(tickets.ActionReport) && d.Text != "" {
			s.Text = append(s.Text, "故障报告 Report："+f.stamp(e)+d.Text)
		}
	}
	s.Note = "根本原因由处理工程师分析后补充 (root cause analysis: to be completed by hand)."
	return s
}

// prevention is the preventive measures: not in the record, so lines to
// fill in.
func (f faultDoc) prevention() Section {
	return Section{Sheet: "预防措施", Title: "预防措施", TitleEN: "Preventive measures",
		Text: []string{"（记录中无，由服务商填写 not in the record: to be completed by hand）"}, Blank: 4}
}

// ticketAnchorSection prints the ticket's last event and the ticket-event
// chain's head when the report was made: `roomwatch-collector verify --head`
// later shows the ticket's events have not been rewritten since.
func ticketAnchorSection(t *tickets.Ticket, as []Anchor) Section {
	s := Section{Sheet: "记录链头", Title: "记录链头", TitleEN: "Record chain head",
		Columns: []Column{{Title: "记录链", TitleEN: "Chain", Width: 14}, {Title: "末条记录", TitleEN: "Last record", Width: 12},
			{Title: "链头", TitleEN: "Head hash", Width: 70}},
		Note: "核验 verify: roomwatch-collector verify --head <链头 head>"}
	var last int64
	for _, e := range t.Events {
		last = max(last, e.ID)
	}
	if last > 0 {
		s.Note = fmt.Sprintf("本工单末条事件 #%d，链头覆盖其及此前全部事件 (the head covers the ticket's last event #%d and all before). ", last, last) + s.Note
	}
	for _, a := range as {
		if a.Chain != integrity.ChainTicketEvents {
			continue
		}
		h := a.Hash
		if h == "" {
			h = "（未加密钥链 unkeyed）"
		}
		s.Rows = append(s.Rows, []any{a.Chain, "#" + strconv.FormatInt(a.Seq, 10), h})
	}
	return s
}
