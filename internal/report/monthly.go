package report

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/silence"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// FaultStats counts the faults (tickets) opened in a period.
type FaultStats struct {
	Total      int
	Cancelled  int // false alarms, not counted below
	ByLevel    map[classify.Level]int
	ByCategory map[classify.Category]int
	// ByLevelCategory[level][category]
	ByLevelCategory map[classify.Level]map[classify.Category]int
	ByClass         map[string]int
	Resolved        int // resolved or closed
	Recovered       int // recovered by itself, not yet resolved
	Active          int // still being handled at the period's end
}

// InspectionStats is inspection completion over a period.
type InspectionStats struct {
	Templates []TemplateRuns
	Due, Done int
	Rows      int
	Abnormal  int
	Warning   int
	Pending   int // manual items not yet filled in
	Signed    int // signed by the engineer (countersigned included)
	Counter   int // countersigned by the bureau
	Runs      []inspect.Summary
}

// TemplateRuns is one template's runs due by its schedule and done.
type TemplateRuns struct {
	Template, Title string
	Due, Done       int
}

// Monthly is the monthly fault summary (每月故障总结报告).
type Monthly struct {
	Period    Period
	Generated time.Time
	Faults    FaultStats
	Timers    []TimerStats
	// TimersByLevel are Timers per fault level (level, then timer order).
	TimersByLevel  []TimerStats
	Mean           MeanTimes
	MeanByLevel    map[classify.Level]MeanTimes
	MeanByCategory map[classify.Category]MeanTimes
	Classes        []ClassAvail
	Worst          []DeviceAvail
	Inspections    InspectionStats
	Tickets        []tickets.Ticket
	Engineers      []EngineerStats
	// Windows are the maintenance windows of the period; nil when the
	// reporter has no silence source (no section then).
	Windows []*silence.Silence
	// Anchors are the record chains' heads when the report was made.
	Anchors []Anchor
	// Complaints count the complaints filed in the period (nil: no
	// complaint source, no figures).
	Complaints *tickets.ComplaintStats
}

// Monthly gathers the monthly fault summary for p (usually a calendar month).
func (r *Reporter) Monthly(ctx context.Context, p Period) (*Monthly, error) {
	m := &Monthly{Period: p, Generated: r.o.Clock.Now()}
	if r.src.Anchors != nil {
		as, err := r.src.Anchors(ctx)
		if err != nil {
			return nil, fmt.Errorf("chain heads: %w", err)
		}
		m.Anchors = as
	}
	r.progress("工单 tickets %s", p.Label)
	ts, err := r.listTickets(ctx, p)
	if err != nil {
		return nil, err
	}
	m.Tickets = ts
	m.Faults = r.faultStats(ts)
	m.Timers = timerStats(ts)
	m.TimersByLevel = timerStatsByLevel(ts)
	m.Mean, m.MeanByLevel, m.MeanByCategory = meanStats(ts)
	if m.Windows, err = r.windowsIn(ctx, p); err != nil {
		return nil, err
	}
	if m.Windows == nil && r.src.Silences != nil {
		m.Windows = []*silence.Silence{}
	}
	r.progress("可用率 availability %s", p.Label)
	av, err := r.availability(ctx, p)
	if err != nil {
		return nil, err
	}
	m.Classes = r.byClass(av)
	m.Worst = worst(av, 10)
	r.progress("巡检 inspections %s", p.Label)
	if m.Inspections, err = r.inspectionStats(ctx, p); err != nil {
		return nil, err
	}
	if m.Engineers, err = r.engineerStats(ctx, p); err != nil {
		return nil, err
	}
	if r.src.Complaints != nil {
		cs, err := r.src.Complaints.Complaints(ctx, tickets.ComplaintFilter{From: p.Start, To: p.End, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("complaints: %w", err)
		}
		st := tickets.CountComplaints(cs)
		m.Complaints = &st
	}
	return m, nil
}

func (r *Reporter) faultStats(ts []tickets.Ticket) FaultStats {
	f := FaultStats{ByLevel: map[classify.Level]int{}, ByCategory: map[classify.Category]int{},
		ByLevelCategory: map[classify.Level]map[classify.Category]int{}, ByClass: map[string]int{}}
	for i := range ts {
		t := &ts[i]
		if t.State == tickets.StateCancelled {
			f.Cancelled++
			continue
		}
		f.Total++
		f.ByLevel[t.Level]++
		f.ByCategory[t.Category]++
		if f.ByLevelCategory[t.Level] == nil {
			f.ByLevelCategory[t.Level] = map[classify.Category]int{}
		}
		f.ByLevelCategory[t.Level][t.Category]++
		f.ByClass[r.classOf(t)]++
		switch {
		case t.State == tickets.StateResolved || t.State == tickets.StateClosed:
			f.Resolved++
		case t.State == tickets.StateRecovered:
			f.Recovered++
		case t.State.Active():
			f.Active++
		}
	}
	return f
}

// runsDue counts the scheduled times of each template in [p.Start, min(p.End, now)).
func (r *Reporter) runsDue(p Period) map[string]int {
	end := p.End
	if now := r.o.Clock.Now(); now.Before(end) {
		end = now
	}
	out := map[string]int{}
	for _, t := range r.src.Templates {
		expr := t.Schedule
		if expr == "" {
			expr = t.Rhythm.DefaultSchedule()
		}
		if expr == "" {
			continue // on demand
		}
		c, err := inspect.ParseCron(expr)
		if err != nil {
			continue // LoadDir has validated schedules; a bad one is due never
		}
		n := 0
		for at := c.Next(p.Start.In(r.o.Location).Add(-time.Minute)); !at.IsZero() && at.Before(end); at = c.Next(at) {
			n++
		}
		out[t.Name] = n
	}
	return out
}

func (r *Reporter) inspectionStats(ctx context.Context, p Period) (InspectionStats, error) {
	var s InspectionStats
	runs, err := r.listInspections(ctx, p)
	if err != nil {
		return s, err
	}
	s.Runs = runs
	due := r.runsDue(p)
	done := map[string]int{}
	titles := map[string]string{}
	for _, t := range r.src.Templates {
		titles[t.Name] = t.Title
	}
	for _, in := range runs {
		done[in.Template]++
		if titles[in.Template] == "" {
			titles[in.Template] = in.Title
		}
		s.Rows += in.Totals.Rows
		s.Abnormal += in.Totals.Abnormal
		s.Warning += in.Totals.Warning
		s.Pending += in.Totals.Pending
		switch in.Status {
		case "countersigned":
			s.Counter++
			s.Signed++
		case "signed":
			s.Signed++
		}
	}
	names := make([]string, 0, len(titles))
	for n := range titles {
		if due[n] > 0 || done[n] > 0 {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		return rhythmRank(r.src.Templates, names[i]) < rhythmRank(r.src.Templates, names[j])
	})
	for _, n := range names {
		s.Templates = append(s.Templates, TemplateRuns{Template: n, Title: titles[n], Due: due[n], Done: done[n]})
		s.Due += due[n]
		s.Done += done[n]
	}
	return s, nil
}

func rhythmRank(ts []*inspect.Template, name string) string {
	for i, t := range ts {
		if t.Name == name {
			return fmt.Sprintf("%03d", i)
		}
	}
	return "999" + name
}

// Completion is runs done over runs due (1 when nothing was due).
func (s InspectionStats) Completion() float64 {
	if s.Due == 0 {
		return 1
	}
	return float64(s.doneInTime()) / float64(s.Due)
}

// doneInTime counts runs done, at most the runs due per template.
func (s InspectionStats) doneInTime() int {
	done := 0
	for _, t := range s.Templates {
		done += min(t.Done, t.Due)
	}
	return done
}

// breachedTimers lists a ticket's breached timers, e.g. "修复 超时2小时05分".
// A cancelled ticket (a false alarm) has none.
func breachedTimers(t *tickets.Ticket) string {
	if t.State == tickets.StateCancelled {
		return ""
	}
	var parts []string
	for _, v := range t.TimerViews {
		if v.Breached {
			s := v.NameZH + "超时"
			if v.BreachedBy != nil {
				s += fmtDur(time.Duration(*v.BreachedBy))
			}
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "；")
}

// Document builds the monthly fault summary document.
func (m *Monthly) Document(r *Reporter) *Document {
	d := &Document{Title: "每月故障总结报告", TitleEN: "Monthly fault summary and SLA statistics", Bureau: r.o.Bureau,
		Period: r.periodText(m.Period), Generated: r.t(m.Generated), Sign: true}
	f := m.Faults
	var breached, timersTotal int
	for _, t := range m.Timers {
		breached += t.Breached
		timersTotal += t.Met + t.Breached
	}
	slaRate := any(Unknown{})
	if timersTotal > 0 {
		slaRate = Pct(float64(timersTotal-breached) / float64(timersTotal))
	}
	overall := any(Unknown{})
	if n, sum := availTotals(m.Classes); n > 0 {
		overall = Pct(sum / float64(n))
	}
	d.Summary = []Figure{
		{"故障总数", "Faults opened", f.Total},
		{"I级 紧急", "Level I (critical)", f.ByLevel[classify.LevelI]},
		{"II级 严重", "Level II (major)", f.ByLevel[classify.LevelII]},
		{"III级 较严重", "Level III (minor)", f.ByLevel[classify.LevelIII]},
		{"IV级 普通", "Level IV (normal)", f.ByLevel[classify.LevelIV]},
		{"已修复/关闭", "Resolved or closed", f.Resolved},
		{"已恢复待确认", "Recovered, not yet resolved", f.Recovered},
		{"期末处理中", "Still being handled at period end", f.Active},
		{"已取消（误报）", "Cancelled (false alarms)", f.Cancelled},
		{"SLA达标率", "SLA timers met (of those ended)", slaRate},
		{"SLA超时次数", "SLA timers breached", breached},
		{"平均响应时间 MTTA", "Mean time to acknowledge", durOrUnknown(m.Mean.MTTA, m.Mean.NAcked)},
		{"平均修复时间 MTTR", "Mean time to resolve", durOrUnknown(m.Mean.MTTR, m.Mean.NFixed)},
		{"设备平均可用率", "Mean device availability", overall},
		{"巡检完成率", "Inspection runs done / due", Pct(m.Inspections.Completion())},
	}
	if c := m.Complaints; c != nil {
		d.Summary = append(d.Summary, Figure{"投诉数", "Complaints filed", c.Filed},
			Figure{"按时答复", "Answered in time", c.InTime}, Figure{"超时答复", "Answered late", c.Late},
			Figure{"超时未答复", "Not answered, overdue", c.Overdue})
	}
	levels := Section{Sheet: "故障分级分类", Title: "故障分级与分类统计", TitleEN: "Faults by level and category",
		Columns: []Column{{Title: "故障等级", TitleEN: "Level", Width: 14}}}
	for _, c := range classify.Categories() {
		levels.Columns = append(levels.Columns, Column{Title: c.Chinese(), TitleEN: string(c), Width: 14})
	}
	levels.Columns = append(levels.Columns, Column{Title: "未分类", TitleEN: "none"}, Column{Title: "合计", TitleEN: "Total"},
		Column{Title: "MTTA"}, Column{Title: "MTTR"})
	for _, l := range classify.Levels() {
		row := []any{l.Label()}
		total := 0
		for _, c := range classify.Categories() {
			n := f.ByLevelCategory[l][c]
			row = append(row, n)
			total += n
		}
		row = append(row, f.ByLevel[l]-total, f.ByLevel[l])
		mt := m.MeanByLevel[l]
		row = append(row, durOrUnknown(mt.MTTA, mt.NAcked), durOrUnknown(mt.MTTR, mt.NFixed))
		levels.Rows = append(levels.Rows, row)
	}
	totalRow := []any{"合计 Total"}
	sumCat := 0
	for _, c := range classify.Categories() {
		totalRow = append(totalRow, f.ByCategory[c])
		sumCat += f.ByCategory[c]
	}
	totalRow = append(totalRow, f.Total-sumCat, f.Total, durOrUnknown(m.Mean.MTTA, m.Mean.NAcked), durOrUnknown(m.Mean.MTTR, m.Mean.NFixed))
	levels.Rows = append(levels.Rows, totalRow)
	levels.Note = "MTTA：开单至响应计时达标（确认/派单/到场）的平均时长；MTTR：开单至修复的平均时长（修复计时口径，扣除挂起与计划维护窗口）。已取消的误报不计入。"

	byClass := Section{Sheet: "按设备类别", Title: "按设备类别统计", TitleEN: "Faults and availability per device class",
		Columns: []Column{{Title: "设备类别", TitleEN: "Class", Width: 16}, {Title: "台账设备数", TitleEN: "In inventory"},
			{Title: "有数据设备", TitleEN: "With data"}, {Title: "故障数", TitleEN: "Faults"}, {Title: "平均可用率", TitleEN: "Availability", Width: 14},
			{Title: "累计中断", TitleEN: "Downtime", Width: 16}, {Title: "低于99%台数", TitleEN: "Below 99%"}}}
	seen := map[string]bool{}
	for _, c := range m.Classes {
		seen[c.Class] = true
		av := any(Unknown{})
		if c.Devices > 0 {
			av = Pct(c.Availability)
		}
		byClass.Rows = append(byClass.Rows, []any{classZH(c.Class), c.Inventory, c.Devices, f.ByClass[c.Class], av, Dur(c.Down), c.Below99})
	}
	for _, c := range sortedKeys(f.ByClass) {
		if !seen[c] {
			byClass.Rows = append(byClass.Rows, []any{classZH(c), 0, 0, f.ByClass[c], Unknown{}, Unknown{}, 0})
		}
	}
	byClass.Note = "可用率：每台设备当月 " + r.o.UpSelector + " 的平均值（按日 sum_over_time / count_over_time 累加），类别取各设备平均。"

	timers := timerSection("SLA计时", "SLA 时限达标统计", "SLA timers: met, breached, not applicable, running", m.Timers, false)
	timers.Note = "SLA 计时按统计期末（" + r.periodEndText(m.Period) + "）判定，与出报表的日期无关：期末仍在计时的记为计时中，已计满时限的记为超时（超时时长算至期末）；" +
		"期末之后才达标的计时按期末计为计时中或超时。计时只计合同日历内的时间，扣除经甲方同意的挂起；修复类计时（修复、恢复运行、备件、未解决升级、应急方案）另扣除覆盖该设备的计划维护窗口，挂起与窗口重叠的时间只扣一次。" +
		"未达成里程碑即结束且未超时的记为不适用。达标率 = 达标 ÷（达标 + 超时）。 Timers are judged at the period's end on their contract calendar, less agreed pauses and, for repair timers, maintenance windows (docs/sla.md)."
	byLevel := timerSection("SLA分级", "SLA 时限分级达标统计", "SLA timers per fault level", m.TimersByLevel, true)
	byLevel.Note = "同上表，按故障等级分列；合同对某等级未设的时限不列出。 As above, per fault level."
	cats := Section{Sheet: "分类时长", Title: "按设备类别的平均响应与修复时间", TitleEN: "MTTA and MTTR per equipment category",
		Columns: []Column{{Title: "设备类别", TitleEN: "Category", Width: 16}, {Title: "故障数", TitleEN: "Faults"},
			{Title: "已响应", TitleEN: "Answered"}, {Title: "MTTA"}, {Title: "已修复", TitleEN: "Resolved"}, {Title: "MTTR"}}}
	for _, c := range append(classify.Categories(), "") {
		mt, ok := m.MeanByCategory[c]
		if !ok {
			continue
		}
		name := c.Chinese() + " " + string(c)
		if c == "" {
			name = "未分类 none"
		}
		cats.Rows = append(cats.Rows, []any{name, f.ByCategory[c], mt.NAcked, durOrUnknown(mt.MTTA, mt.NAcked), mt.NFixed, durOrUnknown(mt.MTTR, mt.NFixed)})
	}
	cats.Rows = append(cats.Rows, []any{"合计 Total", f.Total, m.Mean.NAcked, durOrUnknown(m.Mean.MTTA, m.Mean.NAcked), m.Mean.NFixed, durOrUnknown(m.Mean.MTTR, m.Mean.NFixed)})
	cats.Note = "MTTA：开单至首次响应（响应计时达标的时刻：确认/派单/到场等）的平均时长；MTTR：开单至修复的平均时长，按修复计时（无则恢复运行计时）的计时口径：合同日历内、扣除挂起与计划维护窗口。均值四舍五入到秒。"

	worstSec := Section{Sheet: "可用率最低设备", Title: "可用率最低的10台设备", TitleEN: "The 10 devices of lowest availability",
		Columns: []Column{{Title: "序号", TitleEN: "No."}, {Title: "设备", TitleEN: "Device", Width: 24}, {Title: "类别", TitleEN: "Class"},
			{Title: "站点", TitleEN: "Site"}, {Title: "可用率", TitleEN: "Availability"}, {Title: "累计中断", TitleEN: "Downtime", Width: 16},
			{Title: "当月故障数", TitleEN: "Faults"}}}
	perDevice := map[string]int{}
	for i := range m.Tickets {
		if m.Tickets[i].State != tickets.StateCancelled {
			perDevice[m.Tickets[i].Device]++
		}
	}
	for i, w := range m.Worst {
		worstSec.Rows = append(worstSec.Rows, []any{i + 1, r.displayName(w.Device), classZH(w.Class), w.Site, Pct(w.Availability), Dur(w.Down), perDevice[w.Device]})
	}

	insp := m.Inspections
	inspSec := Section{Sheet: "巡检完成情况", Title: "巡检完成情况", TitleEN: "Inspection completion",
		Columns: []Column{{Title: "巡检", TitleEN: "Template", Width: 24}, {Title: "应巡检", TitleEN: "Runs due"}, {Title: "已巡检", TitleEN: "Runs done"},
			{Title: "完成率", TitleEN: "Completion"}}}
	for _, t := range insp.Templates {
		rate := any(Unknown{})
		if t.Due > 0 {
			rate = Pct(float64(min(t.Done, t.Due)) / float64(t.Due))
		}
		inspSec.Rows = append(inspSec.Rows, []any{t.Title + " " + t.Template, t.Due, t.Done, rate})
	}
	inspSec.Note = fmt.Sprintf("检查项 %d，异常 %d，预警 %d，人工项待填 %d；工程师签字 %d 份，甲方会签 %d 份（共 %d 份）。",
		insp.Rows, insp.Abnormal, insp.Warning, insp.Pending, insp.Signed, insp.Counter, len(insp.Runs))

	list := r.ticketSection(m.Tickets, "故障清单", "当月故障清单", "Faults of the month")
	d.Sections = []Section{levels, timers, byLevel, cats, engineerSection(m.Engineers), byClass, worstSec, inspSec}
	if m.Windows != nil {
		d.Sections = append(d.Sections, r.maintenanceSection(m.Windows, m.Period))
	}
	d.Sections = append(d.Sections, list)
	if len(m.Anchors) > 0 {
		d.Sections = append(d.Sections, anchorSection(m.Anchors))
	}
	return d
}

// ticketSection lists tickets with their SLA outcome.
func (r *Reporter) ticketSection(ts []tickets.Ticket, sheet, title, titleEN string) Section {
	s := Section{Sheet: sheet, Title: title, TitleEN: titleEN,
		Columns: []Column{{Title: "单号", TitleEN: "No."}, {Title: "等级", TitleEN: "Level", Width: 12}, {Title: "类别", TitleEN: "Category", Width: 14},
			{Title: "设备", TitleEN: "Device", Width: 22}, {Title: "故障", TitleEN: "Fault", Width: 36}, {Title: "发生时间", TitleEN: "Opened", Width: 17},
			{Title: "恢复/修复", TitleEN: "Fixed", Width: 17}, {Title: "状态", TitleEN: "State"}, {Title: "超时", TitleEN: "Breaches", Width: 28}}}
	for i := range ts {
		t := &ts[i]
		fixed := t.RecoveredAt
		if t.ResolvedAt != nil && (fixed == nil || t.ResolvedAt.Before(*fixed)) {
			fixed = t.ResolvedAt
		}
		s.Rows = append(s.Rows, []any{t.ID, t.Level.Label(), t.Category.Chinese(), r.displayName(t.Device), t.Title,
			r.t(t.OpenedAt), r.tp(fixed), t.State.Chinese(), breachedTimers(t)})
	}
	return s
}

func (r *Reporter) displayName(dev string) string {
	if t, ok := r.inv[dev]; ok && t.Device.DisplayName != "" && t.Name == t.Device.Name {
		return t.Device.DisplayName + " (" + dev + ")"
	}
	return dev
}

func (r *Reporter) periodText(p Period) string {
	last := p.End.Add(-time.Second).In(r.o.Location)
	start := p.Start.In(r.o.Location)
	if last.Format("2006-01-02") == start.Format("2006-01-02") {
		return start.Format("2006-01-02")
	}
	return start.Format("2006-01-02") + " 至 " + last.Format("2006-01-02")
}

// periodEndText is the period's end as the bureau writes it: 2026-09-30 24:00,
// or the time the report was made while the period is still running.
func (r *Reporter) periodEndText(p Period) string {
	at := r.asOf(p)
	if at.Before(p.End) {
		return r.t(at)
	}
	return p.End.Add(-time.Minute).In(r.o.Location).Format("2006-01-02") + " 24:00"
}

func durOrUnknown(d time.Duration, n int) any {
	if n == 0 {
		return Unknown{}
	}
	return Dur(d)
}

func availTotals(cs []ClassAvail) (int, float64) {
	n, sum := 0, 0.0
	for _, c := range cs {
		n += c.Devices
		sum += c.Availability * float64(c.Devices)
	}
	return n, sum
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
