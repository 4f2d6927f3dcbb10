package sla

import (
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
)

// TestCountedByHand holds hand-computed counted times of seed 001's timers
// with maintenance windows and agreed pauses, each citing its seed line.
// A window holds the repair timers (resolve, escalation, emergency: docs/
// sla.md), not answering; a pause holds the profile's pausable timers
// (resolve, emergency); time under both counts once. The ticket service
// folds an ended pause as Outside(pause, windows); the cases do the same.
func TestCountedByHand(t *testing.T) {
	t.Parallel()
	p, loc := profile(t, "seed001")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		cite     string
		level    classify.Level
		kind     Kind
		opened   string
		windows  [][2]string
		pause    [2]string // an ended pause ("" none)
		met      string
		counted  time.Duration
		status   string
		deadline string
	}{
		// seed 001 line 111: level II resolved within 24 h. Opened Mon 08:00,
		// window 10:00–14:00, paused 12:00–16:00: held 10:00–16:00 (6 h, the
		// overlap once); resolved Tue 14:30 = 30h30m − 6 h = 24h30m counted:
		// breached by 30 min. Deadline: 24 h + 2 h pause outside the window
		// → Tue 10:00, + the 4 h window → Tue 14:00.
		{"001:111", classify.LevelII, Resolve, "2026-10-12 08:00", [][2]string{{"2026-10-12 10:00", "2026-10-12 14:00"}},
			[2]string{"2026-10-12 12:00", "2026-10-12 16:00"}, "2026-10-13 14:30", 24*time.Hour + 30*time.Minute, "breached", "2026-10-13 14:00"},
		// seed 001 line 59: level I unresolved at 2 h escalates. A window holds
		// it, a pause does not (not pausable): window 09:00–10:00, paused
		// 08:30–09:30, resolved 10:30 → 2h30m − 1 h = 1h30m: met; due 11:00.
		{"001:59", classify.LevelI, Escalation, "2026-10-12 08:00", [][2]string{{"2026-10-12 09:00", "2026-10-12 10:00"}},
			[2]string{"2026-10-12 08:30", "2026-10-12 09:30"}, "2026-10-12 10:30", 90 * time.Minute, "met", "2026-10-12 11:00"},
		// seed 001 line 110: level I respond in 30 min; a window over the
		// device does not hold answering: acknowledged at 08:40 → 40 min,
		// breached by 10 min.
		{"001:110", classify.LevelI, Respond, "2026-10-12 08:00", [][2]string{{"2026-10-12 08:00", "2026-10-12 09:00"}},
			[2]string{}, "2026-10-12 08:40", 40 * time.Minute, "breached", "2026-10-12 08:30"},
		// seed 001 line 113: level IV respond in 30 min on working days
		// (9:00–17:30; National Day 1–7 October 2026 off). Opened Wed 30 Sep
		// 17:20, acknowledged Thu 8 Oct 09:15: 10 + 15 = 25 min: met; due
		// Thu 8 Oct 09:20.
		{"001:113", classify.LevelIV, Respond, "2026-09-30 17:20", nil, [2]string{}, "2026-10-08 09:15", 25 * time.Minute, "met", "2026-10-08 09:20"},
	}
	for _, tc := range tests {
		t.Run(tc.cite, func(t *testing.T) {
			spec, ok := p.Timer(tc.kind, tc.level, classify.CategoryRoomIT)
			if !ok {
				t.Fatalf("seed001 has no %s timer for level %s", tc.kind, tc.level)
			}
			cal := p.CalendarOf(spec)
			met := at(tc.met)
			r := Run{Started: at(tc.opened), Met: &met}
			for _, w := range tc.windows {
				r.Windows = append(r.Windows, Interval{at(w[0]), at(w[1])})
			}
			if tc.pause[0] != "" && spec.Pausable {
				var ws []Interval
				if Windowed(spec.Kind) {
					ws = r.Windows
				}
				r.Paused = Outside(cal, at(tc.pause[0]), at(tc.pause[1]), ws)
			}
			if got := Counted(spec, cal, r, met); got != tc.counted {
				t.Errorf("counted %v, want %v", got, tc.counted)
			}
			st := EvaluateRun(spec, cal, r, met.Add(time.Hour))
			if st.Status() != tc.status || st.Elapsed != tc.counted || !st.Deadline.Equal(at(tc.deadline)) {
				t.Errorf("%s, elapsed %v, deadline %s; want %s, %v, %s", st.Status(), st.Elapsed, st.Deadline.In(loc).Format("2006-01-02 15:04"),
					tc.status, tc.counted, tc.deadline)
			}
			if tc.status == "breached" && st.BreachedBy != tc.counted-spec.Target {
				t.Errorf("breached by %v, want %v", st.BreachedBy, tc.counted-spec.Target)
			}
		})
	}
}
