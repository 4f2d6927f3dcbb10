package console

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/roomwatch/roomwatch/internal/tickets"
)

// timeFormat is how times are shown (in Options.Location).
const timeFormat = "2006-01-02 15:04:05"

// timerCell is one SLA timer as a page shows it. DeadlineMS and WarnMS
// (Unix milliseconds) let desk.js count down and change the colour at the
// warning point and at the deadline without asking the server.
type timerCell struct {
	Name       string // respond, resolve…
	Status     string // waiting, running, warning, met, breached
	Target     string
	Calendar   string
	Started    string
	Deadline   string
	DeadlineMS int64
	WarnMS     int64
	Left       string // wall time until the deadline (the countdown's first text)
	Remaining  string // calendar time left, as the SLA counts it
	MetAt      string
	MetEarly   string // how long before the deadline it was met
	BreachedBy string
	EndedAt    string // stopped without its milestone (not applicable or breached)
	PausedFor  string // calendar time an agreed pause held it
}

// ticketRow is a ticket in a list.
type ticketRow struct {
	ID                         int64
	Level                      int
	State                      string
	Title, Device, Site        string
	Category, Assignee, Source string
	Opened                     string
	Unknown                    bool       // 设备失联/状态未知: the device fell silent
	LinkedTo                   int64      // the reachability ticket it waits on
	Silenced                   bool       // in a maintenance window (markSilenced)
	Timer                      *timerCell // the most urgent running timer, if any
	rank                       int
	deadline                   time.Time
	tv                         *tickets.TimerView // the timer shown, until formatted
	openedAt                   time.Time
}

// durText formats d for lang: "2天3小时", "1小时5分", "4分10秒", "40秒", "<1秒".
func (c *Console) durText(lang string, d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d < time.Second {
		if d == 0 {
			return c.cat.T(lang, "desk.dur.s", "s", "0")
		}
		return c.cat.T(lang, "desk.dur.lt1s") // not "0分0秒"
	}
	d = d.Round(time.Second)
	days, h, m, s := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60, int(d/time.Second)%60
	it := strconv.Itoa
	switch {
	case days > 0:
		return c.cat.T(lang, "tickets.dur.dh", "d", it(days), "h", it(h))
	case h > 0:
		return c.cat.T(lang, "tickets.dur.hm", "h", it(h), "m", it(m))
	case m > 0:
		return c.cat.T(lang, "tickets.dur.ms", "m", it(m), "s", it(s))
	default:
		return c.cat.T(lang, "desk.dur.s", "s", it(s))
	}
}

func (c *Console) fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(c.o.Location).Format(timeFormat)
}

// timerCellOf renders a timer view evaluated at now.
func (c *Console) timerCellOf(lang string, v tickets.TimerView, now time.Time) timerCell {
	tc := timerCell{Name: v.Name, Status: v.Status, Target: c.durText(lang, time.Duration(v.Target)), Calendar: v.Calendar,
		Started: c.fmtTime(v.StartedAt), Deadline: c.fmtTime(v.Deadline), MetAt: c.fmtTime(v.MetAt)}
	if v.Deadline != nil {
		tc.DeadlineMS = v.Deadline.UnixMilli()
		tc.Left = c.durText(lang, v.Deadline.Sub(now))
	}
	if v.WarnAt != nil {
		tc.WarnMS = v.WarnAt.UnixMilli()
	}
	if v.Remaining != nil {
		tc.Remaining = c.durText(lang, time.Duration(*v.Remaining))
	}
	if v.Met && !v.Breached && v.MetAt != nil && v.Deadline != nil {
		tc.MetEarly = c.durText(lang, v.Deadline.Sub(*v.MetAt))
	}
	if v.BreachedBy != nil {
		tc.BreachedBy = c.durText(lang, time.Duration(*v.BreachedBy))
	}
	tc.EndedAt = c.fmtTime(v.EndedAt)
	if v.PausedFor != nil {
		tc.PausedFor = c.durText(lang, time.Duration(*v.PausedFor))
	}
	return tc
}

// statusRank orders timers by urgency: breached, warning, running, others.
func statusRank(s string) int {
	switch s {
	case "breached":
		return 0
	case "warning":
		return 1
	case "running":
		return 2
	}
	return 3
}

// rowOf renders a ticket for a list; its timer is the running one with the
// earliest deadline.
func (c *Console) rowOf(lang string, t *tickets.Ticket, now time.Time) ticketRow {
	r := briefRow(t)
	c.formatTimer(lang, &r, now)
	return r
}

// briefRow is rowOf without formatting the timer (the desk sorts 1,000
// rows and formats the ones it shows).
func briefRow(t *tickets.Ticket) ticketRow {
	r := ticketRow{ID: t.ID, Level: int(t.Level), State: string(t.State), Title: t.Title, Device: t.Device, Site: t.Site,
		Category: string(t.Category), Assignee: t.Assignee, Source: t.Source, rank: 4, openedAt: t.OpenedAt,
		Unknown: t.UnknownSince != nil, LinkedTo: t.LinkedTo}
	if t.State.Active() {
		for i := range t.TimerViews {
			v := &t.TimerViews[i]
			if v.Deadline == nil || v.Met || (v.Status != "running" && v.Status != "warning" && v.Status != "breached") {
				continue
			}
			rk := statusRank(v.Status)
			if r.tv == nil || rk < r.rank || (rk == r.rank && v.Deadline.Before(r.deadline)) {
				r.tv, r.rank, r.deadline = v, rk, *v.Deadline
			}
		}
	}
	return r
}

// formatTimer fills the row's times and timer cell.
func (c *Console) formatTimer(lang string, r *ticketRow, now time.Time) {
	r.Opened = c.fmtTime(&r.openedAt)
	if r.tv != nil {
		tc := c.timerCellOf(lang, *r.tv, now)
		r.Timer = &tc
	}
}

// byUrgency sorts rows: breached first, then warning, then running, each by
// deadline; then level (I first); then the oldest.
func byUrgency(rows []ticketRow) {
	slices.SortStableFunc(rows, func(a, b ticketRow) int {
		if x := cmp.Compare(a.rank, b.rank); x != 0 {
			return x
		}
		if a.tv != nil && b.tv != nil {
			if x := a.deadline.Compare(b.deadline); x != 0 {
				return x
			}
		}
		if x := cmp.Compare(a.Level, b.Level); x != 0 {
			return x
		}
		return a.openedAt.Compare(b.openedAt)
	})
}
