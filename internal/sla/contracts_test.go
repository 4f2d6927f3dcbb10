package sla

import (
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
)

// TestContractDeadlines holds hand-computed deadlines of the contract clauses
// added with issue 13, each citing its seed file and line. Working days are
// 9:00–17:30 Mon–Fri; 2025-03-07 is a Friday, 2025-03-08 a Saturday.
func TestContractDeadlines(t *testing.T) {
	t.Parallel()
	set, loc := load(t)
	tests := []struct {
		cite, profile    string
		level            classify.Level
		cat              classify.Category
		kind             Kind
		opened, deadline string
	}{
		// seed 001 line 117: level I unresolved at 12 h → emergency plan within 16 h.
		{"001:117", "seed001", classify.LevelI, classify.CategoryRoomIT, Emergency, "2025-03-07 20:00", "2025-03-08 12:00"},
		// seed 001 line 59: unresolved 2 h after opening → escalation (7×24).
		{"001:59", "seed001", classify.LevelI, classify.CategoryRoomIT, Escalation, "2025-03-08 23:30", "2025-03-09 01:30"},
		// seed 001 line 57: 紧急 respond within 15 minutes.
		{"001:57", "seed001b", classify.LevelI, classify.CategoryRoomIT, Respond, "2025-03-08 23:50", "2025-03-09 00:05"},
		// seed 001 line 61: 高级 a solution within 12 h.
		{"001:61", "seed001b", classify.LevelII, classify.CategoryRoomIT, Plan, "2025-03-07 20:00", "2025-03-08 08:00"},
		// seed 001 line 63: 中等/低级 a solution within 2 days (48 h).
		{"001:63", "seed001b", classify.LevelIV, classify.CategoryFibre, Plan, "2025-03-07 20:00", "2025-03-09 20:00"},
		// seed 003 line 72: detention centre, on site within 1 h, 7×24 (a Saturday night).
		{"003:72", "seed003_detention", classify.LevelIII, classify.CategoryRoomIT, OnSite, "2025-03-08 23:30", "2025-03-09 00:30"},
		// seed 003 line 126: other equipment, on site in 2 h on working days:
		// Fri 16:30 → 1 h on Friday, 1 h on Monday → Mon 10:00.
		{"003:126", "seed003_other", classify.LevelII, classify.CategoryRoomIT, OnSite, "2025-03-07 16:30", "2025-03-10 10:00"},
		// seed 003 line 127: solved or a plan in 3 h: Fri 16:30 → 1 h Friday, 2 h Monday → Mon 11:00.
		{"003:127", "seed003_other", classify.LevelII, classify.CategoryFrontEnd, Plan, "2025-03-07 16:30", "2025-03-10 11:00"},
		// seed 004 line 6: service restored within one working day (8.5 h):
		// Fri 15:00 → 2.5 h Friday, 6 h Monday → Mon 15:00.
		{"004:6", "seed004", classify.LevelII, classify.CategoryRoomIT, Restore, "2025-03-07 15:00", "2025-03-10 15:00"},
	}
	for _, tc := range tests {
		p, ok := set.Get(tc.profile)
		if !ok {
			t.Fatalf("%s: no profile %s", tc.cite, tc.profile)
		}
		spec, ok := p.Timer(tc.kind, tc.level, tc.cat)
		if !ok {
			t.Errorf("seed %s: %s has no %s timer for %s/%s", tc.cite, tc.profile, tc.kind, tc.level, tc.cat)
			continue
		}
		st := p.Evaluate(spec, at(loc, tc.opened), nil, at(loc, tc.opened))
		if got := fmtT(loc, st.Deadline); got != tc.deadline {
			t.Errorf("seed %s: %s %s opened %s: deadline %s, want %s", tc.cite, tc.profile, tc.kind, tc.opened, got, tc.deadline)
		}
	}
}

// TestRunPauseAndEnd: a pause moves the deadline by its calendar time, an
// end before the deadline is not applicable and after it breached.
func TestRunPauseAndEnd(t *testing.T) {
	t.Parallel()
	p, loc := profile(t, "seed003_other")
	plan, _ := p.Timer(Plan, classify.LevelII, classify.CategoryRoomIT) // 3 h working time, pausable
	cal := p.CalendarOf(plan)
	opened := at(loc, "2025-03-07 16:30") // Friday
	tests := []struct {
		name     string
		run      Run
		now      string
		status   string
		deadline string
	}{
		// No pause: 1 h Friday + 2 h Monday → Mon 11:00; at Mon 10:30 2.5 h are
		// used, past the 0.8 warning point (2h24m).
		{"no pause", Run{Started: opened}, "2025-03-10 10:30", "warning", "2025-03-10 11:00"},
		// Pauses that are over took 1 h of working time: deadline Mon 12:00;
		// at Mon 10:00 1.5 h are used.
		{"pauses of 1h", Run{Started: opened, Paused: time.Hour}, "2025-03-10 10:00", "running", "2025-03-10 12:00"},
		// A pause in progress since Fri 17:00 at Mon 10:00: 0.5 h Friday + 1 h
		// Monday = 1.5 h paused → deadline Mon 12:30, status paused.
		{"pause in progress", Run{Started: opened, PausedSince: ptr(at(loc, "2025-03-07 17:00"))}, "2025-03-10 10:00", "paused", "2025-03-10 12:30"},
		{"ended before deadline", Run{Started: opened, Ended: ptr(at(loc, "2025-03-10 10:00"))}, "2025-03-12 10:00", "not_applicable", "2025-03-10 11:00"},
		{"ended after deadline", Run{Started: opened, Ended: ptr(at(loc, "2025-03-10 11:30"))}, "2025-03-12 10:00", "breached", "2025-03-10 11:00"},
	}
	for _, tc := range tests {
		st := EvaluateRun(plan, cal, tc.run, at(loc, tc.now))
		if st.Status() != tc.status || fmtT(loc, st.Deadline) != tc.deadline {
			t.Errorf("%s: status %s deadline %s, want %s %s", tc.name, st.Status(), fmtT(loc, st.Deadline), tc.status, tc.deadline)
		}
	}
}

// TestSelection: profiles chosen by site, category, class and label; the
// first matching rule wins, else the default.
func TestSelection(t *testing.T) {
	t.Parallel()
	set, _ := load(t)
	def, _ := set.Get("seed003")
	sel, err := NewSelection(set, def, []SelectRule{
		{Profile: "seed003_detention", Match: Match{Sites: []string{"看守所", "拘留所"}}},
		{Profile: "seed003_other", Match: Match{Classes: []string{"router"}, Labels: map[string]string{"site_type": "station"}}},
		{Profile: "seed003_other", Match: Match{Categories: []classify.Category{classify.CategoryFrontEnd}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    Facts
		want string
	}{
		{"detention centre", Facts{Site: "看守所", Class: "switch", Category: classify.CategoryRoomIT}, "seed003_detention"},
		{"station router", Facts{Site: "城关派出所", Class: "router", Labels: map[string]string{"site_type": "station"}}, "seed003_other"},
		{"county router", Facts{Site: "县局机房", Class: "router", Labels: map[string]string{"site_type": "county"}}, "seed003"},
		{"checkpoint", Facts{Site: "G107 卡口", Category: classify.CategoryFrontEnd}, "seed003_other"},
		{"machine room UPS", Facts{Site: "县局机房", Class: "ups", Category: classify.CategoryRoomInfra}, "seed003"},
	}
	for _, tc := range tests {
		if got, _ := sel.TimersFor(tc.f); got != tc.want {
			t.Errorf("%s: profile %s, want %s", tc.name, got, tc.want)
		}
	}
	if _, err := NewSelection(set, def, []SelectRule{{Profile: "nope"}}); err == nil {
		t.Error("unknown profile in select: no error")
	}
}
