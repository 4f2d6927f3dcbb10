package sla

import (
	"slices"
	"time"
)

// Interval is a span of time [From, To). A zero To on a pause means it is
// still in progress.
type Interval struct {
	From, To time.Time
}

// Windowed reports whether maintenance windows (计划维护) hold a timer of
// kind k. They hold the clocks of repairing the fault — resolve, restore,
// spare, the escalation of an unresolved fault and the emergency plan —
// because their targets are the contracts' 故障解决时间 (seed 001 lines
// 109–113), 恢复正常运营 (seed 004 line 6) and "unresolved after …" (seed 001
// lines 59 and 117), and during agreed planned work the device is down on
// purpose. They do not hold answering, dispatch, arrival, diagnosis, the
// plan or the report: those are owed to the customer's call (收到客户申告后
// …响应, seed 001 lines 57–61; "2 小时内提交故障处理方案" sits in the 响应时间
// column, lines 110–113) whatever the device is doing. See docs/sla.md.
func Windowed(k Kind) bool {
	switch k {
	case Resolve, Restore, Spare, Escalation, Emergency:
		return true
	}
	return false
}

// exclusions returns the parts of time from r.Started on that do not count
// for the timer beyond the folded pauses (r.Paused): the pause in progress
// (pausable timers), reaching to end, and, for a windowed timer, the
// maintenance windows, reaching to windowsEnd (a zero windowsEnd: whole);
// merged, sorted and clipped.
func exclusions(spec TimerSpec, r Run, end, windowsEnd time.Time) []Interval {
	var xs []Interval
	add := func(from, to, limit time.Time) {
		if from.Before(r.Started) {
			from = r.Started
		}
		if !limit.IsZero() && to.After(limit) {
			to = limit
		}
		if from.Before(to) {
			xs = append(xs, Interval{from, to})
		}
	}
	if spec.Pausable && r.PausedSince != nil {
		add(*r.PausedSince, end, end)
	}
	if Windowed(spec.Kind) {
		for _, w := range r.Windows {
			add(w.From, w.To, windowsEnd)
		}
	}
	return merge(xs)
}

// merge sorts intervals and joins those that overlap or touch.
func merge(xs []Interval) []Interval {
	if len(xs) < 2 {
		return xs
	}
	slices.SortFunc(xs, func(a, b Interval) int { return a.From.Compare(b.From) })
	out := xs[:1]
	for _, x := range xs[1:] {
		last := &out[len(out)-1]
		if !x.From.After(last.To) {
			if x.To.After(last.To) {
				last.To = x.To
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

// Counted returns the time that counts toward a timer's target from its
// start to end, on its calendar: the calendar time elapsed, less the agreed
// pauses (the folded ones, r.Paused, and the one in progress) and, for a
// windowed timer, less the maintenance windows covering the ticket; time
// both paused and under a window is left out once. This is the one
// definition of "counted time": the live timers (deadline, breach) and the
// monthly statistics both use it.
func Counted(spec TimerSpec, cal Calendar, r Run, end time.Time) time.Duration {
	if !end.After(r.Started) {
		return 0
	}
	d := cal.Elapsed(r.Started, end) - r.Paused
	for _, x := range exclusions(spec, r, end, end) {
		d -= cal.Elapsed(x.From, x.To)
	}
	return max(d, 0)
}

// excludedIn returns the calendar time of the pause in progress and of the
// windows within [r.Started, end): what Counted leaves out beyond r.Paused,
// split into pause and window time (window time during the pause is pause).
func excludedIn(spec TimerSpec, cal Calendar, r Run, end time.Time) (paused, windows time.Duration) {
	all := time.Duration(0)
	for _, x := range exclusions(spec, r, end, end) {
		all += cal.Elapsed(x.From, x.To)
	}
	if spec.Pausable && r.PausedSince != nil && end.After(*r.PausedSince) {
		from := *r.PausedSince
		if from.Before(r.Started) {
			from = r.Started
		}
		paused = cal.Elapsed(from, end)
	}
	return paused, all - paused
}

// reach returns the earliest instant at which the timer has counted
// offset, given what is known at end: the folded pauses are taken as
// spent before it, the pause in progress as lasting until end, and each
// exclusion that begins before the instant (a window planned later too)
// moves it by its calendar time.
func reach(spec TimerSpec, cal Calendar, r Run, end time.Time, offset time.Duration) time.Time {
	d := cal.Add(r.Started, offset+r.Paused)
	for _, x := range exclusions(spec, r, end, time.Time{}) {
		if !x.From.Before(d) {
			break
		}
		d = cal.Add(d, cal.Elapsed(x.From, x.To))
	}
	return d
}

// Outside returns the calendar time of [from, to) that none of xs covers:
// what an agreed pause over [from, to) adds to a windowed timer's folded
// pauses (Run.Paused) when xs are the windows covering the ticket.
func Outside(cal Calendar, from, to time.Time, xs []Interval) time.Duration {
	if !to.After(from) {
		return 0
	}
	var in []Interval
	for _, x := range xs {
		f, t := x.From, x.To
		if f.Before(from) {
			f = from
		}
		if t.After(to) {
			t = to
		}
		if f.Before(t) {
			in = append(in, Interval{f, t})
		}
	}
	d := cal.Elapsed(from, to)
	for _, x := range merge(in) {
		d -= cal.Elapsed(x.From, x.To)
	}
	return d
}
