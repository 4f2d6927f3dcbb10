package sla

import (
	"math"
	"time"
)

// Calendar is the calendar arithmetic Evaluate needs; *calendar.Calendar
// implements it.
type Calendar interface {
	// Add returns the instant at which d of calendar time has elapsed since start.
	Add(start time.Time, d time.Duration) time.Time
	// Elapsed returns the calendar time between from and to.
	Elapsed(from, to time.Time) time.Duration
}

// warnOffset is the warning point in calendar time, rounded to the second.
func warnOffset(spec TimerSpec) time.Duration {
	if spec.Warn <= 0 || spec.Warn >= 1 {
		return 0
	}
	d := time.Duration(math.Round(float64(spec.Target) * spec.Warn))
	return d.Round(time.Second)
}

// Evaluate computes a timer's state at now from stored timestamps: startedAt is
// the time of the spec's anchor event, stoppedAt the time the timer's goal was
// reached (nil while running). A stop before the start counts as at the start.
func Evaluate(spec TimerSpec, cal Calendar, startedAt time.Time, stoppedAt *time.Time, now time.Time) TimerState {
	st := TimerState{
		Kind:     spec.Kind,
		Started:  startedAt,
		Deadline: cal.Add(startedAt, spec.Target),
	}
	if w := warnOffset(spec); w > 0 {
		st.WarnAt = cal.Add(startedAt, w)
	}
	end := now
	if stoppedAt != nil {
		end = *stoppedAt
		if end.Before(startedAt) {
			end = startedAt
		}
	} else {
		st.Running = true
	}
	st.Elapsed = cal.Elapsed(startedAt, end)
	st.Remaining = spec.Target - st.Elapsed
	if st.Running {
		// At the deadline instant itself the target is used up: breached.
		st.Breached = !now.Before(st.Deadline)
	} else {
		// Stopping at the deadline instant is in time.
		st.Breached = end.After(st.Deadline)
	}
	if st.Breached {
		st.BreachedBy = cal.Elapsed(st.Deadline, end)
	}
	if !st.Running && !st.Breached {
		st.Met = true
		t := end
		st.MetAt = &t
	}
	if st.Running && !st.WarnAt.IsZero() && !now.Before(st.WarnAt) {
		st.Warned = true
	}
	if !st.Running && !st.WarnAt.IsZero() && !end.Before(st.WarnAt) {
		st.Warned = true
	}
	return st
}

// Steps returns every escalation step due at now, in order (see the package
// comment for the rule). A stopped timer has no steps after its stop.
func Steps(spec TimerSpec, cal Calendar, startedAt time.Time, stoppedAt *time.Time, now time.Time) []Step {
	limit := now
	if stoppedAt != nil && stoppedAt.Before(now) {
		limit = *stoppedAt
	}
	// due reports whether an instant counts as passed: for a running timer at
	// or before now; for a stopped one strictly before the stop (meeting a
	// deadline at the deadline instant is in time).
	due := func(at time.Time) bool {
		if stoppedAt != nil && !at.Before(*stoppedAt) {
			return false
		}
		return !at.After(limit)
	}
	var steps []Step
	role := func(i int) Role {
		if i < len(spec.Chain) {
			return spec.Chain[i]
		}
		return ""
	}
	if w := warnOffset(spec); w > 0 && len(spec.Chain) > 0 {
		if at := cal.Add(startedAt, w); due(at) {
			steps = append(steps, Step{Timer: spec.Kind, Index: 0, Kind: StepWarn, Role: role(0), At: at})
		}
	}
	deadline := cal.Add(startedAt, spec.Target)
	if !due(deadline) {
		return steps
	}
	r := role(1)
	if r == "" {
		r = role(0)
	}
	steps = append(steps, Step{Timer: spec.Kind, Index: 1, Kind: StepBreach, Role: r, At: deadline})
	if spec.Every <= 0 {
		return steps
	}
	for k := 1; k+1 < len(spec.Chain); k++ {
		at := cal.Add(deadline, time.Duration(k)*spec.Every)
		if !due(at) {
			break
		}
		steps = append(steps, Step{Timer: spec.Kind, Index: k + 1, Kind: StepEscalate, Role: role(k + 1), At: at})
	}
	return steps
}

// Due returns the latest step due at now (the one to act on), ok=false if none.
func Due(spec TimerSpec, cal Calendar, startedAt time.Time, stoppedAt *time.Time, now time.Time) (Step, bool) {
	s := Steps(spec, cal, startedAt, stoppedAt, now)
	if len(s) == 0 {
		return Step{}, false
	}
	return s[len(s)-1], true
}

// Next returns the next step that will fall due after now while the timer runs,
// ok=false when none remains or the timer stopped. A scheduler sleeps until
// Next.At (on its injected clock) and re-evaluates from the store.
func Next(spec TimerSpec, cal Calendar, startedAt time.Time, stoppedAt *time.Time, now time.Time) (Step, bool) {
	if stoppedAt != nil {
		return Step{}, false
	}
	done := len(Steps(spec, cal, startedAt, nil, now))
	// Look far ahead: every step lies within Target + len(Chain)·Every.
	horizon := cal.Add(startedAt, spec.Target+time.Duration(len(spec.Chain)+1)*spec.Every+time.Second)
	all := Steps(spec, cal, startedAt, nil, horizon)
	if done >= len(all) {
		return Step{}, false
	}
	return all[done], true
}
