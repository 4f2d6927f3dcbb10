package report

import (
	"sort"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// TimerStats are one SLA timer's outcomes over the faults of a period, as
// judged at the period's end (docs/sla.md, "Monthly statistics").
type TimerStats struct {
	Name, NameZH string
	// Level is the fault level of a per-level row; 0 for all levels.
	Level    classify.Level
	Met      int // stopped by its milestone within the target
	Breached int // counted past the target (met late, ended late or still running)
	// NotApplicable ended without its milestone before its target (the
	// fault was fixed first, or the ticket closed).
	NotApplicable int
	Running       int // running, not yet past the target
	Waiting       int // its anchor event has not happened
	BreachTotal   time.Duration
	BreachMax     time.Duration
}

// Compliance is Met / (Met + Breached); ok is false when neither happened.
func (s TimerStats) Compliance() (rate float64, ok bool) {
	if s.Met+s.Breached == 0 {
		return 0, false
	}
	return float64(s.Met) / float64(s.Met+s.Breached), true
}

// add counts one timer view.
func (s *TimerStats) add(v tickets.TimerView) {
	switch {
	case v.Breached:
		s.Breached++
		if v.BreachedBy != nil {
			b := time.Duration(*v.BreachedBy)
			s.BreachTotal += b
			s.BreachMax = max(s.BreachMax, b)
		}
	case v.Met:
		s.Met++
	case v.Status == "not_applicable":
		s.NotApplicable++
	case v.StartedAt == nil:
		s.Waiting++
	default:
		s.Running++
	}
}

// timerStats adds up the timers of the tickets (cancelled ones left out),
// one row per timer kind in sla.Kinds order, then unknown names sorted.
func timerStats(ts []tickets.Ticket) []TimerStats {
	m := map[string]*TimerStats{}
	for i := range ts {
		if ts[i].State == tickets.StateCancelled {
			continue
		}
		for _, v := range ts[i].TimerViews {
			s := m[v.Name]
			if s == nil {
				s = &TimerStats{Name: v.Name, NameZH: v.NameZH}
				m[v.Name] = s
			}
			s.add(v)
		}
	}
	return timerOrder(m)
}

func timerOrder(m map[string]*TimerStats) []TimerStats {
	var out []TimerStats
	for _, k := range sla.Kinds() {
		if s := m[string(k)]; s != nil {
			out = append(out, *s)
			delete(m, string(k))
		}
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, *m[k])
	}
	return out
}

// timerStatsByLevel is timerStats per fault level, levels I–IV in order.
func timerStatsByLevel(ts []tickets.Ticket) []TimerStats {
	by := map[classify.Level][]tickets.Ticket{}
	for i := range ts {
		by[ts[i].Level] = append(by[ts[i].Level], ts[i])
	}
	var out []TimerStats
	for _, l := range classify.Levels() {
		for _, s := range timerStats(by[l]) {
			s.Level = l
			out = append(out, s)
		}
	}
	return out
}

// MeanTimes are MTTA and MTTR over the faults of a period (cancelled ones
// left out; docs/sla.md):
//
//   - MTTA: opening → the first answer (the respond timer met: acknowledged,
//     dispatched, on site, …; without a respond timer the first of those
//     actions in the history), wall-clock time;
//   - MTTR: opening → resolution, the time counted by the ticket's resolve
//     timer (its contract calendar, agreed pauses and maintenance windows
//     left out: sla.Counted), else by its restore timer; a ticket with
//     neither counts its wall-clock time less its ended agreed pauses.
//
// Both count what happened by the period's end; the means are rounded to
// the second.
type MeanTimes struct {
	MTTA, MTTR     time.Duration
	NAcked, NFixed int
}

// repairTime is a resolved ticket's time to repair (see MeanTimes); ok is
// false when it was not resolved by the time it is judged at.
func repairTime(t *tickets.Ticket) (time.Duration, bool) {
	if t.ResolvedAt == nil {
		return 0, false
	}
	for _, k := range []string{tickets.TimerResolve, string(sla.Restore)} {
		for _, v := range t.TimerViews {
			if v.Name == k && v.MetAt != nil && v.Counted != nil {
				return time.Duration(*v.Counted), true
			}
		}
	}
	return max(t.ResolvedAt.Sub(t.OpenedAt)-time.Duration(t.PausedTotal), 0), true
}

type meanAcc struct {
	a, r   time.Duration
	na, nr int
}

func (a *meanAcc) times() MeanTimes {
	m := MeanTimes{NAcked: a.na, NFixed: a.nr}
	if a.na > 0 {
		m.MTTA = (a.a / time.Duration(a.na)).Round(time.Second)
	}
	if a.nr > 0 {
		m.MTTR = (a.r / time.Duration(a.nr)).Round(time.Second)
	}
	return m
}

// meanStats is MeanTimes over all faults, per level and per category (the
// ticket's 派单类别; "" for a ticket without one).
func meanStats(ts []tickets.Ticket) (MeanTimes, map[classify.Level]MeanTimes, map[classify.Category]MeanTimes) {
	all := &meanAcc{}
	perL := map[classify.Level]*meanAcc{}
	perC := map[classify.Category]*meanAcc{}
	for i := range ts {
		t := &ts[i]
		if t.State == tickets.StateCancelled {
			continue
		}
		l, c := perL[t.Level], perC[t.Category]
		if l == nil {
			l = &meanAcc{}
			perL[t.Level] = l
		}
		if c == nil {
			c = &meanAcc{}
			perC[t.Category] = c
		}
		if at := respondedAt(t); at != nil {
			d := max(at.Sub(t.OpenedAt), 0)
			for _, x := range []*meanAcc{all, l, c} {
				x.a, x.na = x.a+d, x.na+1
			}
		}
		if d, ok := repairTime(t); ok {
			for _, x := range []*meanAcc{all, l, c} {
				x.r, x.nr = x.r+d, x.nr+1
			}
		}
	}
	byL := map[classify.Level]MeanTimes{}
	for k, a := range perL {
		byL[k] = a.times()
	}
	byC := map[classify.Category]MeanTimes{}
	for k, a := range perC {
		byC[k] = a.times()
	}
	return all.times(), byL, byC
}

// meanTimes is meanStats without the per-category split.
func meanTimes(ts []tickets.Ticket) (MeanTimes, map[classify.Level]MeanTimes) {
	all, byL, _ := meanStats(ts)
	return all, byL
}

// timerSection lays timer outcomes out as a table; perLevel adds the level.
func timerSection(sheet, title, titleEN string, ts []TimerStats, perLevel bool) Section {
	s := Section{Sheet: sheet, Title: title, TitleEN: titleEN}
	if perLevel {
		s.Columns = append(s.Columns, Column{Title: "故障等级", TitleEN: "Level", Width: 14})
	}
	s.Columns = append(s.Columns, Column{Title: "时限", TitleEN: "Timer", Width: 14}, Column{Title: "达标", TitleEN: "Met"},
		Column{Title: "超时", TitleEN: "Breached"}, Column{Title: "不适用", TitleEN: "Not applicable"}, Column{Title: "计时中", TitleEN: "Running"},
		Column{Title: "未开始", TitleEN: "Waiting"}, Column{Title: "达标率", TitleEN: "Compliance"},
		Column{Title: "累计超时", TitleEN: "Total overrun", Width: 16}, Column{Title: "最长超时", TitleEN: "Longest overrun", Width: 16})
	for _, t := range ts {
		rate := any(Unknown{})
		if v, ok := t.Compliance(); ok {
			rate = Pct(v)
		}
		var row []any
		if perLevel {
			row = append(row, t.Level.Label())
		}
		row = append(row, t.NameZH+" "+t.Name, t.Met, t.Breached, t.NotApplicable, t.Running, t.Waiting, rate, Dur(t.BreachTotal), Dur(t.BreachMax))
		s.Rows = append(s.Rows, row)
	}
	return s
}
