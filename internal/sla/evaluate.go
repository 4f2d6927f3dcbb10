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
	return EvaluateRun(spec, cal, Run{Started: startedAt, Met: stoppedAt}, now)
}

// runEnd returns where the timer's clock stops: its meeting or ending, else
// now; running is true when neither happened.
func runEnd(r Run, now time.Time) (end time.Time, running bool) {
	var stop *time.Time
	switch {
	case r.Met != nil:
		stop = r.Met
	case r.Ended != nil:
		stop = r.Ended
	}
	if stop == nil {
		return now, true
	}
	if stop.Before(r.Started) {
		return r.Started, false
	}
	return *stop, false
}

// EvaluateRun computes a timer's state at now from its stored run. The
// elapsed time is Counted: pauses and (for a windowed timer) maintenance
// windows move the deadline by the calendar time they take. A running timer
// is breached once it has counted its whole target; a stopped one when it
// counted more than the target by its stop (stopping at the deadline is in
// time). A run that ended without its milestone is breached when it ended
// past the deadline, else not applicable.
func EvaluateRun(spec TimerSpec, cal Calendar, r Run, now time.Time) TimerState {
	end, running := runEnd(r, now)
	pausing, windows := excludedIn(spec, cal, r, end)
	st := TimerState{
		Kind:      spec.Kind,
		Started:   r.Started,
		Deadline:  reach(spec, cal, r, end, spec.Target),
		Running:   running,
		PausedFor: r.Paused + pausing,
		WindowFor: windows,
		Paused:    running && spec.Pausable && r.PausedSince != nil,
	}
	w := warnOffset(spec)
	if w > 0 {
		st.WarnAt = reach(spec, cal, r, end, w)
	}
	st.Elapsed = Counted(spec, cal, r, end)
	st.Remaining = spec.Target - st.Elapsed
	if running {
		// At the deadline instant itself the target is used up: breached.
		st.Breached = st.Elapsed >= spec.Target
	} else {
		st.Breached = st.Elapsed > spec.Target
	}
	if st.Breached {
		st.BreachedBy = st.Elapsed - spec.Target
	}
	if !running && !st.Breached {
		if r.Met != nil {
			st.Met = true
			t := end
			st.MetAt = &t
		} else {
			st.NotApplicable = true
		}
	}
	if w > 0 && st.Elapsed >= w {
		st.Warned = true
	}
	return st
}

// Steps returns every escalation step due at now, in order (see the package
// comment for the rule). A stopped timer has no steps after its stop.
func Steps(spec TimerSpec, cal Calendar, startedAt time.Time, stoppedAt *time.Time, now time.Time) []Step {
	return StepsRun(spec, cal, Run{Started: startedAt, Met: stoppedAt}, now)
}

// StepsRun is Steps for a stored run: a met or ended timer has no steps
// from its stop on, a paused one none from the pause on, and the ended
// pauses and (for a windowed timer) the maintenance windows move the
// warning and the deadline as they move them in EvaluateRun.
func StepsRun(spec TimerSpec, cal Calendar, r Run, now time.Time) []Step {
	var stop *time.Time
	switch {
	case r.Met != nil:
		stop = r.Met
	case r.Ended != nil:
		stop = r.Ended
	}
	if spec.Pausable && r.PausedSince != nil && (stop == nil || r.PausedSince.Before(*stop)) {
		stop = r.PausedSince
	}
	limit := now
	if stop != nil && stop.Before(now) {
		limit = *stop
	}
	// due reports whether an instant counts as passed: for a running timer at
	// or before now; for a stopped one strictly before the stop (meeting a
	// deadline at the deadline instant is in time).
	due := func(at time.Time) bool {
		if stop != nil && !at.Before(*stop) {
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
		if at := reach(spec, cal, r, limit, w); due(at) {
			steps = append(steps, Step{Timer: spec.Kind, Index: 0, Kind: StepWarn, Role: role(0), At: at})
		}
	}
	deadline := reach(spec, cal, r, limit, spec.Target)
	if !due(deadline) {
		return steps
	}
	rl := role(1)
	if rl == "" {
		rl = role(0)
	}
	steps = append(steps, Step{Timer: spec.Kind, Index: 1, Kind: StepBreach, Role: rl, At: deadline})
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
