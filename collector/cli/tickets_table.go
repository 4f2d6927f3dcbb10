package cli

// The tickets subcommand's output: a ticket list as a table and one ticket
// with its timers and history, sized for a terminal (CJK characters count
// two columns).

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/api"
)

const timeLayout = "2006-01-02 15:04"

func fmtTime(t *time.Time, loc *time.Location) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.In(loc).Format(timeLayout)
}

func levelCell(t api.Ticket) string {
	if !t.Level.Valid() {
		return "-"
	}
	return t.Level.String() + " " + t.LevelZH
}

func stateCell(t api.Ticket) string {
	return t.StateZH + " " + string(t.State)
}

// nextTimer returns the running timer with the earliest deadline.
func nextTimer(t api.Ticket) *tickets.TimerView {
	var best *tickets.TimerView
	for i := range t.TimerViews {
		v := &t.TimerViews[i]
		if v.MetAt != nil || v.EndedAt != nil || v.Deadline == nil || v.Status == "waiting" || v.Status == "not_applicable" {
			continue
		}
		if best == nil || v.Deadline.Before(*best.Deadline) {
			best = v
		}
	}
	return best
}

// remainingCell says how long is left, or by how much the timer is late.
func remainingCell(v *tickets.TimerView) string {
	switch {
	case v.Status == "not_applicable":
		return "不适用 n/a"
	case v.Status == "paused" && v.Remaining != nil:
		return "挂起 paused, 剩余 " + notify.FormatDuration(time.Duration(*v.Remaining)) + " left"
	case v.MetAt != nil:
		if v.Breached && v.BreachedBy != nil {
			return "超时 " + notify.FormatDuration(time.Duration(*v.BreachedBy)) + " late"
		}
		return "按时 on time"
	case v.Breached || (v.Remaining != nil && *v.Remaining < 0):
		d := time.Duration(0)
		if v.BreachedBy != nil {
			d = time.Duration(*v.BreachedBy)
		} else if v.Remaining != nil {
			d = -time.Duration(*v.Remaining)
		}
		return "超时 " + notify.FormatDuration(d) + " late"
	case v.Remaining != nil:
		return "剩余 " + notify.FormatDuration(time.Duration(*v.Remaining)) + " left"
	}
	return "-"
}

func nextCell(t api.Ticket, loc *time.Location) string {
	v := nextTimer(t)
	if v == nil {
		return "-"
	}
	return v.NameZH + " " + fmtTime(v.Deadline, loc) + " " + remainingCell(v)
}

func writeTicketList(w io.Writer, ts []api.Ticket, loc *time.Location) {
	tb := table{header: []string{"编号/ID", "等级/Level", "状态/State", "设备/Device", "站点/Site", "标题/Title", "开单时间/Opened", "下一时限/Next deadline"}}
	for _, t := range ts {
		opened := t.OpenedAt
		tb.add(strconv.FormatInt(t.ID, 10), levelCell(t), stateCell(t), dash(t.Device), dash(t.Site), t.Title, fmtTime(&opened, loc), nextCell(t, loc))
	}
	tb.write(w)
	fmt.Fprintf(w, "共 %d 张工单 / %d ticket(s)\n", len(ts), len(ts))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeTicket(w io.Writer, t api.Ticket, loc *time.Location) {
	opened, updated := t.OpenedAt, t.UpdatedAt
	kv := table{}
	row := func(k, v string) {
		if v != "" && v != "-" {
			kv.add(k, v)
		}
	}
	row("编号/ID", "#"+strconv.FormatInt(t.ID, 10))
	row("标题/Title", t.Title)
	row("等级/Level", levelCell(t))
	row("状态/State", stateCell(t))
	if t.Category != "" {
		row("类别/Category", t.CategoryZH+" "+string(t.Category))
	}
	row("处理组/Group", t.Group)
	row("设备/Device", t.Device)
	row("站点/Site", t.Site)
	row("来源/Source", t.Source)
	row("报告人/Reporter", t.Reporter)
	row("处理人/Assignee", t.Assignee)
	row("描述/Description", t.Description)
	row("开单时间/Opened", fmtTime(&opened, loc))
	row("更新时间/Updated", fmtTime(&updated, loc))
	row("最近告警/Last alert", fmtTime(t.LastAlertAt, loc))
	row("恢复时间/Recovered", fmtTime(t.RecoveredAt, loc))
	row("解决时间/Resolved", fmtTime(t.ResolvedAt, loc))
	row("关闭时间/Closed", fmtTime(t.ClosedAt, loc))
	row("故障原因/Cause", t.Cause)
	row("处理方法/Fix", t.Fix)
	row("时限合同/SLA profile", t.Profile)
	if t.Pause != nil {
		since := t.Pause.Since
		row("挂起/Paused", fmtTime(&since, loc)+" "+t.Pause.Reason+"（同意人/agreed by "+t.Pause.AgreedBy+"）")
	}
	if t.PausedTotal > 0 {
		row("已挂起合计/Paused total", notify.FormatDuration(time.Duration(t.PausedTotal)))
	}
	if t.Satisfaction > 0 {
		row("满意度/Satisfaction", strconv.Itoa(t.Satisfaction)+"/5")
	}
	if len(t.Labels) > 0 {
		keys := make([]string, 0, len(t.Labels))
		for k := range t.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + t.Labels[k]
		}
		row("标签/Labels", strings.Join(parts, " "))
	}
	kv.write(w)

	fmt.Fprintln(w, "\n时限 / Timers")
	tt := table{header: []string{"计时/Timer", "目标/Target", "日历/Calendar", "开始/Started", "时限/Deadline", "状态/Status", "达成/Met at", "剩余或超时/Remaining"}}
	for i := range t.TimerViews {
		v := &t.TimerViews[i]
		rem := "-"
		if v.Status != "waiting" {
			rem = remainingCell(v)
		}
		tt.add(v.NameZH+" "+v.Name, notify.FormatDuration(time.Duration(v.Target)), dash(v.Calendar),
			fmtTime(v.StartedAt, loc), fmtTime(v.Deadline, loc), v.Status, fmtTime(v.MetAt, loc), rem)
	}
	tt.write(w)

	if len(t.Affected) > 0 {
		fmt.Fprintln(w, "\n受影响设备 / Affected devices")
		at := table{header: []string{"设备/Device", "告警/Alert", "时间/At"}}
		for _, a := range t.Affected {
			when := a.At
			at.add(a.Device, a.Alertname, fmtTime(&when, loc))
		}
		at.write(w)
	}
	if len(t.Parts) > 0 {
		fmt.Fprintln(w, "\n备件更换 / Parts replaced")
		pt := table{header: []string{"编号/No.", "备件/Part", "序列号/Serial", "位置/Location", "原因/Cause", "时间/At", "操作人/Actor", "经办人/By"}}
		for _, p := range t.Parts {
			when := p.At
			pt.add(strconv.FormatInt(p.ID, 10), p.Part, dash(p.Serial), dash(p.Location), dash(p.Cause), fmtTime(&when, loc), dash(p.Actor), dash(p.By))
		}
		pt.write(w)
	}

	fmt.Fprintln(w, "\n历史 / History")
	ht := table{header: []string{"时间/At", "操作人/Actor", "经办人/By", "事件/Event", "状态/State", "备注/Note"}}
	for _, e := range t.Events {
		when := e.At
		change := "-"
		if e.From != "" || e.To != "" {
			change = string(e.From) + " → " + string(e.To)
			if e.From == "" {
				change = "→ " + string(e.To)
			}
		}
		ht.add(fmtTime(&when, loc), dash(e.Actor), dash(e.By), e.Kind, change, dash(oneLine(e.Note)))
	}
	ht.write(w)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// table writes columns aligned by display width (a CJK character takes two
// cells), which text/tabwriter does not know.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) {
	all := t.rows
	if t.header != nil {
		all = append([][]string{t.header}, t.rows...)
	}
	var widths []int
	for _, r := range all {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range all {
		b.Reset()
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// displayWidth is the number of terminal cells s takes: East Asian wide and
// full-width characters take two.
func displayWidth(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r < 0x1100:
			n++
		case r <= 0x115F, r == 0x2329, r == 0x232A,
			r >= 0x2E80 && r <= 0x303E, r >= 0x3041 && r <= 0x33FF,
			r >= 0x3400 && r <= 0x4DBF, r >= 0x4E00 && r <= 0x9FFF,
			r >= 0xA000 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F,
			r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6,
			r >= 0x20000 && r <= 0x3FFFD:
			n += 2
		default:
			n++
		}
	}
	return n
}
