package sla

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/config"
)

func load(t testing.TB) (*Set, *time.Location) {
	t.Helper()
	cfg := Config{Dir: "../../rules/sla", Holidays: "../../rules/calendars/cn-holidays.yml"}
	l, err := cfg.Load()
	if err != nil {
		t.Fatal(err)
	}
	return l.Set, l.Location
}

func profile(t testing.TB, name string) (*Profile, *time.Location) {
	t.Helper()
	set, loc := load(t)
	p, ok := set.Get(name)
	if !ok {
		t.Fatalf("no profile %s", name)
	}
	return p, loc
}

func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(t time.Time) *time.Time { return &t }

func fmtT(loc *time.Location, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

func kinds(specs []TimerSpec) string {
	var s []string
	for _, sp := range specs {
		s = append(s, fmt.Sprintf("%s=%v@%s", sp.Kind, sp.Target, sp.Calendar))
	}
	return strings.Join(s, " ")
}

func TestProfilesTimers(t *testing.T) {
	t.Parallel()
	set, _ := load(t)
	tests := []struct {
		profile string
		level   classify.Level
		cat     classify.Category
		want    string
	}{
		{"seed001", classify.LevelI, classify.CategoryRoomIT, "respond=30m0s@24x7 plan=2h0m0s@24x7 escalation=2h0m0s@24x7 emergency=16h0m0s@24x7 resolve=12h0m0s@24x7 report=24h0m0s@24x7"},
		{"seed001", classify.LevelIII, classify.CategoryFrontEnd, "respond=30m0s@24x7 plan=2h0m0s@24x7 resolve=48h0m0s@24x7 report=24h0m0s@24x7"},
		{"seed001", classify.LevelIV, classify.CategoryRoomIT, "respond=30m0s@workday plan=2h0m0s@workday resolve=42h30m0s@workday report=24h0m0s@24x7"},
		{"seed002", classify.LevelI, classify.CategoryRoomIT, "respond=5m0s@24x7 dispatch=5m0s@24x7 onsite=10m0s@24x7 diagnose=1h0m0s@24x7 plan=1h0m0s@24x7 resolve=1h0m0s@24x7 spare=26h0m0s@24x7"},
		{"seed002", classify.LevelIII, classify.CategoryFibre, "respond=10m0s@24x7 dispatch=10m0s@24x7 onsite=20m0s@24x7 diagnose=2h0m0s@24x7 plan=2h0m0s@24x7 resolve=1h0m0s@24x7 spare=26h0m0s@24x7"},
		{"seed003", classify.LevelII, classify.CategoryRoomInfra, "onsite=20m0s@24x7 resolve=1h0m0s@24x7 spare=2h0m0s@24x7 repair=48h0m0s@24x7 repair_factory=42h30m0s@workday repair_report=17h0m0s@workday"},
		{"seed003", classify.LevelII, classify.CategoryFrontEnd, "onsite=2h0m0s@workday plan=3h0m0s@workday repair=48h0m0s@24x7 repair_factory=42h30m0s@workday repair_report=17h0m0s@workday"},
		{"seed004", classify.LevelIII, classify.CategoryFibre, "respond=30m0s@24x7 onsite=1h0m0s@24x7 emergency=2h0m0s@24x7 resolve=2h0m0s@24x7 restore=8h30m0s@workday spare=2h0m0s@24x7"},
	}
	for _, tc := range tests {
		p, _ := set.Get(tc.profile)
		if got := kinds(p.Timers(tc.level, tc.cat)); got != tc.want {
			t.Errorf("%s %s %s:\n got %s\nwant %s", tc.profile, tc.level, tc.cat, got, tc.want)
		}
	}
	p, _ := set.Get("seed001")
	rep, ok := p.Timer(Report, classify.LevelII, classify.CategoryRoomIT)
	if !ok || rep.From != FromResolved {
		t.Errorf("seed001 report timer = %+v, want from resolved", rep)
	}
	p4, _ := set.Get("seed004")
	res, _ := p4.Timer(Resolve, classify.LevelI, classify.CategoryRoomIT)
	if res.From != FromOnSite {
		t.Errorf("seed004 resolve from = %s, want onsite", res.From)
	}
	// Seed 001 line 59: only the escalation timer of urgent faults goes up
	// the chain; the plan timer tells the handler.
	plan, _ := p.Timer(Plan, classify.LevelI, classify.CategoryRoomIT)
	if !reflect.DeepEqual(plan.Chain, []Role{Engineer}) || plan.Warn != 0.8 || plan.Every != 0 {
		t.Errorf("seed001 plan = %+v", plan)
	}
	esc, _ := p.Timer(Escalation, classify.LevelI, classify.CategoryRoomIT)
	if !reflect.DeepEqual(esc.Chain, []Role{Engineer, ProjectManager, TechnicalDirector, DeputyGM}) || esc.Warn != 0 || esc.Every != time.Hour {
		t.Errorf("seed001 escalation = %+v", esc)
	}
	if _, ok := p.Timer(Escalation, classify.LevelII, classify.CategoryRoomIT); ok {
		t.Errorf("seed001 level II has an escalation timer; the contract escalates urgent faults only")
	}
}

// TestDeadlines holds hand-computed deadlines; the reasoning is in each comment.
// Working-day calendar: 9:00–17:30 Mon–Fri (8.5 h a day), statutory holidays off,
// make-up days on. 2026-01-09 and 2026-02-13 are Fridays; 2026-02-14 (Sat) is a
// make-up working day; 2026-02-15..23 is the Spring Festival holiday.
func TestDeadlines(t *testing.T) {
	t.Parallel()
	p1, loc := profile(t, "seed001")
	p3, _ := profile(t, "seed003")
	workday := p1.Calendar("workday")
	// Seed 001's level II targets on the working-day calendar.
	l2 := func(k Kind, d time.Duration) TimerSpec {
		return TimerSpec{Kind: k, Target: d, Calendar: "workday", Warn: 0.8}
	}
	type row struct {
		name     string
		spec     TimerSpec
		cal      Calendar
		opened   string
		deadline string
		warnAt   string
	}
	spec := func(p *Profile, k Kind, l classify.Level, c classify.Category) (TimerSpec, Calendar) {
		s, ok := p.Timer(k, l, c)
		if !ok {
			t.Fatalf("%s has no %s timer for %s/%s", p.Name, k, l, c)
		}
		return s, p.CalendarOf(s)
	}
	var rows []row
	add := func(name string, s TimerSpec, c Calendar, opened, deadline, warnAt string) {
		rows = append(rows, row{name, s, c, opened, deadline, warnAt})
	}
	// Level II, opened Fri 17:00, respond 30 min: 17:00→17:30 fits in Friday's
	// window (closes 17:30) → Fri 17:30. Warning at 0.8·30m = 24m → 17:24.
	add("L2 respond Fri 17:00", l2(Respond, 30*time.Minute), workday, "2026-01-09 17:00", "2026-01-09 17:30", "2026-01-09 17:24")
	// Plan 2 h: 30m on Friday, weekend closed, 1h30m on Mon 01-12 → 10:30.
	// Warning at 96m: 30m Fri + 66m Mon → 10:06.
	add("L2 plan Fri 17:00", l2(Plan, 2*time.Hour), workday, "2026-01-09 17:00", "2026-01-12 10:30", "2026-01-12 10:06")
	// Resolve 24 h of working time: 0.5 h Fri + 8.5 h Mon + 8.5 h Tue = 17.5 h;
	// 6.5 h left on Wed 01-14 from 9:00 → 15:30. Warning at 19.2 h: 1.7 h on
	// Wed → 10:42.
	add("L2 resolve Fri 17:00", l2(Resolve, 24*time.Hour), workday, "2026-01-09 17:00", "2026-01-14 15:30", "2026-01-14 10:42")
	// Seed 001 level IV (working-day calendar) opened Fri 2026-02-13 17:00, the
	// last Friday before Spring Festival. Respond: Fri 17:30.
	s, c := spec(p1, Respond, classify.LevelIV, classify.CategoryRoomIT)
	add("seed001 IV respond before Spring Festival", s, c, "2026-02-13 17:00", "2026-02-13 17:30", "2026-02-13 17:24")
	// Plan 2 h: 30m Fri, then the make-up Saturday 02-14 from 9:00 + 1h30m →
	// Sat 10:30. Warning 96m: 66m on Saturday → 10:06.
	s, c = spec(p1, Plan, classify.LevelIV, classify.CategoryRoomIT)
	add("seed001 IV plan on make-up Saturday", s, c, "2026-02-13 17:00", "2026-02-14 10:30", "2026-02-14 10:06")
	// Resolve 5 working days = 42.5 h: 0.5 Fri + 8.5 Sat 02-14 = 9 h; 02-15..23
	// off; Tue 02-24, Wed 25, Thu 26 add 25.5 → 34.5 h; 8 h left on Fri 02-27 →
	// 17:00. Warning at 34 h: 9 h + 8.5 (24th) + 8.5 (25th) = 26 h, 8 h on
	// Thu 02-26 → 17:00.
	s, c = spec(p1, Resolve, classify.LevelIV, classify.CategoryRoomIT)
	add("seed001 IV resolve across Spring Festival", s, c, "2026-02-13 17:00", "2026-02-27 17:00", "2026-02-26 17:00")
	// Seed 001 level I is 7×24: opened on a holiday, 2026-02-16 03:00.
	// Respond 30m → 03:30 (warn 03:24); plan 2h → 05:00 (warn 04:36);
	// resolve 12h → 15:00 (warn at 9h36m → 12:36).
	s, c = spec(p1, Respond, classify.LevelI, classify.CategoryRoomIT)
	add("seed001 I respond on holiday", s, c, "2026-02-16 03:00", "2026-02-16 03:30", "2026-02-16 03:24")
	s, c = spec(p1, Plan, classify.LevelI, classify.CategoryRoomIT)
	add("seed001 I plan on holiday", s, c, "2026-02-16 03:00", "2026-02-16 05:00", "2026-02-16 04:36")
	s, c = spec(p1, Resolve, classify.LevelI, classify.CategoryRoomIT)
	add("seed001 I resolve on holiday", s, c, "2026-02-16 03:00", "2026-02-16 15:00", "2026-02-16 12:36")
	// Report counts from resolution (started = resolved at 14:10): +24h.
	s, c = spec(p1, Report, classify.LevelI, classify.CategoryRoomIT)
	add("seed001 report from resolution", s, c, "2026-02-16 14:10", "2026-02-17 14:10", "2026-02-17 09:22")
	// Seed 003 front-end device (working days) opened Fri 02-13 17:00: on site
	// 2 h → 30m Fri + 1h30m Sat 02-14 (make-up) → 10:30 (warning at 96m:
	// 30m Fri + 66m Sat → 10:06); plan 3 h → 11:30 (warning at 144m: 30m Fri +
	// 114m Sat → 10:54).
	s, c = spec(p3, OnSite, classify.LevelII, classify.CategoryFrontEnd)
	add("seed003 front-end onsite make-up Saturday", s, c, "2026-02-13 17:00", "2026-02-14 10:30", "2026-02-14 10:06")
	s, c = spec(p3, Plan, classify.LevelII, classify.CategoryFrontEnd)
	add("seed003 front-end plan make-up Saturday", s, c, "2026-02-13 17:00", "2026-02-14 11:30", "2026-02-14 10:54")
	// Opened on the make-up Saturday 16:00: 1h30m that day, then the festival
	// (02-15..23) → Tue 02-24 9:00 + 30m = 09:30. Warning at 96m: 90m Sat +
	// 6m Tue → 09:06.
	s, c = spec(p3, OnSite, classify.LevelII, classify.CategoryFrontEnd)
	add("seed003 front-end onsite across festival", s, c, "2026-02-14 16:00", "2026-02-24 09:30", "2026-02-24 09:06")
	// Seed 003 machine-room equipment is 7×24: on site 20 min, fixed 1 h,
	// spare 2 h from Fri 17:00 → 17:20, 18:00, 19:00.
	s, c = spec(p3, OnSite, classify.LevelII, classify.CategoryRoomIT)
	add("seed003 room onsite", s, c, "2026-02-13 17:00", "2026-02-13 17:20", "2026-02-13 17:16")
	s, c = spec(p3, Spare, classify.LevelII, classify.CategoryRoomInfra)
	add("seed003 room spare", s, c, "2026-02-13 17:00", "2026-02-13 19:00", "2026-02-13 18:36")
	// Seed 002 level I: phone response 5 min, on site 10 min, from 23:58 New
	// Year's Eve 2025 → 2026-01-01 00:03 and 00:08 (7×24 crosses the year).
	p2, _ := profile(t, "seed002")
	s, c = spec(p2, Respond, classify.LevelI, classify.CategoryRoomIT)
	add("seed002 I respond across year end", s, c, "2025-12-31 23:58", "2026-01-01 00:03", "2026-01-01 00:02")
	s, c = spec(p2, OnSite, classify.LevelI, classify.CategoryRoomIT)
	add("seed002 I onsite across year end", s, c, "2025-12-31 23:58", "2026-01-01 00:08", "2026-01-01 00:06")

	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			st := Evaluate(r.spec, r.cal, at(loc, r.opened), nil, at(loc, r.opened))
			if got := fmtT(loc, st.Deadline); got != r.deadline {
				t.Errorf("deadline = %s, want %s", got, r.deadline)
			}
			if got := fmtT(loc, st.WarnAt); got != r.warnAt {
				t.Errorf("warn at = %s, want %s", got, r.warnAt)
			}
		})
	}
}

func TestEvaluateStates(t *testing.T) {
	t.Parallel()
	p, loc := profile(t, "seed001")
	plan, _ := p.Timer(Plan, classify.LevelI, classify.CategoryRoomIT) // 2h 7×24, warn 0.8
	opened := at(loc, "2026-02-16 03:00")
	tests := []struct {
		name, stopped, now string
		status             string
		remaining          time.Duration
		breachedBy         time.Duration
	}{
		{"running early", "", "2026-02-16 03:30", "running", 90 * time.Minute, 0},
		{"warning", "", "2026-02-16 04:40", "warning", 20 * time.Minute, 0},
		{"at deadline is breached", "", "2026-02-16 05:00", "breached", 0, 0},
		{"breached running", "", "2026-02-16 06:30", "breached", -90 * time.Minute, 90 * time.Minute},
		{"met early", "2026-02-16 04:00", "2026-02-16 09:00", "met", time.Hour, 0},
		{"met at deadline", "2026-02-16 05:00", "2026-02-16 09:00", "met", 0, 0},
		{"stopped late", "2026-02-16 05:20", "2026-02-16 09:00", "breached", -20 * time.Minute, 20 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stop *time.Time
			if tc.stopped != "" {
				stop = ptr(at(loc, tc.stopped))
			}
			st := p.Evaluate(plan, opened, stop, at(loc, tc.now))
			if st.Status() != tc.status || st.Remaining != tc.remaining || st.BreachedBy != tc.breachedBy {
				t.Fatalf("state = %s remaining %v breached by %v; want %s %v %v", st.Status(), st.Remaining, st.BreachedBy, tc.status, tc.remaining, tc.breachedBy)
			}
			if st.Met != (st.MetAt != nil) || (st.Met && !st.MetAt.Equal(*stop)) {
				t.Fatalf("Met %v MetAt %v", st.Met, st.MetAt)
			}
			if st.Running != (stop == nil) {
				t.Fatalf("Running = %v", st.Running)
			}
		})
	}
}

// TestSteps checks the escalation rule on seed 001's level I escalation timer
// (seed 001 line 59: unresolved 2 h after opening → project manager →
// technical director → deputy GM; no warning, every 1 h), opened 03:00:
// breach 05:00 project manager; 06:00 technical director; 07:00 deputy GM;
// nothing after.
func TestSteps(t *testing.T) {
	t.Parallel()
	p, loc := profile(t, "seed001")
	esc, _ := p.Timer(Escalation, classify.LevelI, classify.CategoryRoomIT)
	opened := at(loc, "2026-02-16 03:00")
	show := func(steps []Step) string {
		var s []string
		for _, st := range steps {
			s = append(s, fmt.Sprintf("%s:%s:%s@%s", st.Key(), st.Kind, st.Role, st.At.In(loc).Format("15:04")))
		}
		return strings.Join(s, " ")
	}
	all := "escalation/1:breach:project_manager@05:00 escalation/2:escalate:technical_director@06:00 escalation/3:escalate:deputy_gm@07:00"
	tests := []struct {
		stopped, now, want, due, next string
	}{
		{"", "2026-02-16 04:59", "", "", "escalation/1"},
		{"", "2026-02-16 05:00", "escalation/1:breach:project_manager@05:00", "escalation/1", "escalation/2"},
		{"", "2026-02-16 06:30", "escalation/1:breach:project_manager@05:00 escalation/2:escalate:technical_director@06:00", "escalation/2", "escalation/3"},
		// A collector down from 03:10 to 23:00 catches up with every step.
		{"", "2026-02-16 23:00", all, "escalation/3", ""},
		// Resolved at the 2 h instant: nothing was due.
		{"2026-02-16 05:00", "2026-02-16 23:00", "", "", ""},
		{"2026-02-16 05:20", "2026-02-16 23:00", "escalation/1:breach:project_manager@05:00", "escalation/1", ""},
		{"2026-02-16 04:00", "2026-02-16 23:00", "", "", ""},
	}
	for _, tc := range tests {
		var stop *time.Time
		if tc.stopped != "" {
			stop = ptr(at(loc, tc.stopped))
		}
		now := at(loc, tc.now)
		if got := show(p.Steps(esc, opened, stop, now)); got != tc.want {
			t.Errorf("Steps(stop %q, now %s):\n got %s\nwant %s", tc.stopped, tc.now, got, tc.want)
		}
		cal := p.CalendarOf(esc)
		d, ok := Due(esc, cal, opened, stop, now)
		if got := map[bool]string{true: d.Key(), false: ""}[ok]; got != tc.due {
			t.Errorf("Due(stop %q, now %s) = %q, want %q", tc.stopped, tc.now, got, tc.due)
		}
		n, ok := Next(esc, cal, opened, stop, now)
		if got := map[bool]string{true: n.Key(), false: ""}[ok]; got != tc.next {
			t.Errorf("Next(stop %q, now %s) = %q, want %q", tc.stopped, tc.now, got, tc.next)
		}
	}
}

// TestStepsWorkingCalendar: escalation steps are measured in calendar time, so
// on the working-day calendar they pause overnight. Seed 003's other-equipment
// plan (3 h, warn 0.8, every 1 h, working days; seed 003 line 126) opened Fri
// 2026-02-13 17:00: 30 min on Friday, then Sat 02-14 (a make-up working day)
// from 09:00: warning at 2h24m → 10:54, breach at 3 h → 11:30, TD at 12:30,
// deputy GM at 13:30.
func TestStepsWorkingCalendar(t *testing.T) {
	t.Parallel()
	p, loc := profile(t, "seed003_other")
	plan, _ := p.Timer(Plan, classify.LevelIV, classify.CategoryRoomIT)
	steps := p.Steps(plan, at(loc, "2026-02-13 17:00"), nil, at(loc, "2026-02-28 00:00"))
	var got []string
	for _, s := range steps {
		got = append(got, string(s.Role)+"@"+fmtT(loc, s.At))
	}
	want := []string{"engineer@2026-02-14 10:54", "project_manager@2026-02-14 11:30", "technical_director@2026-02-14 12:30", "deputy_gm@2026-02-14 13:30"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("steps = %v, want %v", got, want)
	}
}

// TestRestartLosesNothing: state is a pure function of stored timestamps; a
// second, fresh load of the profiles (a restart) gives the same answers.
func TestRestartLosesNothing(t *testing.T) {
	t.Parallel()
	p1, loc := profile(t, "seed003")
	p2, _ := profile(t, "seed003")
	opened, now := at(loc, "2026-02-13 17:00"), at(loc, "2026-02-24 09:10")
	for _, s := range p1.Timers(classify.LevelII, classify.CategoryFrontEnd) {
		a, b := p1.Evaluate(s, opened, nil, now), p2.Evaluate(s, opened, nil, now)
		if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(p1.Steps(s, opened, nil, now), p2.Steps(s, opened, nil, now)) {
			t.Fatalf("%s differs after reload: %+v vs %+v", s.Kind, a, b)
		}
		if !a.Breached && s.From == FromOpened {
			t.Errorf("%s should be breached at %s: %+v", s.Kind, now, a)
		}
	}
}

func TestParseProfileErrors(t *testing.T) {
	t.Parallel()
	base := "name: x\ntitle: 测试\ncalendars:\n  24x7: {type: 24x7}\ndefaults: {calendar: 24x7}\ntimers:\n"
	tests := []struct{ in, want string }{
		{base + "  - {kind: respnd, target: 5m}\n", `p.yml:7: timer kind "respnd"`},
		{base + "  - {kind: respond, target: 5m, calendar: workday}\n", `p.yml:7: timer respond: unknown calendar "workday"`},
		{base + "  - {kind: respond, target: 5m, warn: 1.5}\n", "p.yml:7: timer respond: warn must be a fraction"},
		{base + "  - {kind: respond, target: 5m, levels: [V]}\n", `p.yml:7: invalid fault level "V"`},
		{base + "  - {kind: respond, target: 5m, categories: [garden]}\n", `p.yml:7: invalid equipment category "garden"`},
		{base + "  - {kind: respond, target: soon}\n", `p.yml:7: invalid duration "soon"`},
		{base + "  - {kind: respond}\n", "p.yml:7: timer respond: target must be a positive duration"},
		{base + "  - {kind: respond, target: 5m, form: opened}\n", "p.yml:7: field form not found"},
		{base + "  - {kind: respond, target: 5m, from: arrival}\n", `p.yml:7: timer respond: from "arrival"`},
		{"name: x\ntitle: t\ncalendars:\n  w: {type: working_hours, open: \"9am\", close: \"17:30\"}\ntimers:\n  - {kind: respond, target: 5m, calendar: w}\n", `p.yml:4: calendar w: open: invalid time of day "9am"`},
		{"name: x\ntitle: t\ncalendars:\n  w: {type: office}\ntimers:\n  - {kind: respond, target: 5m, calendar: w}\n", `p.yml:4: calendar type "office"`},
		{"title: t\ncalendars:\n  a: {type: 24x7}\ntimers:\n  - {kind: respond, target: 5m, calendar: a}\n", "profile needs a name"},
	}
	for _, tc := range tests {
		_, err := ParseProfile("p.yml", []byte(tc.in), LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseProfile(%q)\n error = %v\n  want %q", tc.in, err, tc.want)
		}
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	cfg := Config{Profile: "seed009", Dir: "../../rules/sla", Holidays: "../../rules/calendars/cn-holidays.yml"}
	if _, err := cfg.Load(); err == nil || !strings.Contains(err.Error(), `profile "seed009" not found`) {
		t.Errorf("Load error = %v", err)
	}
	bad := Config{TimeZone: "Mars/Olympus"}
	if err := bad.Validate(); err == nil {
		t.Error("bad time zone accepted")
	}
	cfg.Profile = "seed003"
	l, err := cfg.Load()
	if err != nil {
		t.Fatal(err)
	}
	if l.Active.Name != "seed003" || l.Location.String() != "Asia/Shanghai" {
		t.Errorf("active %s in %s", l.Active.Name, l.Location)
	}
	if got := fmt.Sprint(l.MissingHolidayYears(time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC))); got != "[2027 2028]" {
		// 20:00 UTC on 12-31 is already 2027-01-01 in Shanghai.
		t.Errorf("MissingHolidayYears = %s", got)
	}
}

func FuzzParseProfile(f *testing.F) {
	for _, n := range []string{"seed001", "seed002", "seed003", "seed004"} {
		if b, err := os.ReadFile("../../rules/sla/" + n + ".yml"); err == nil {
			f.Add(b)
		}
	}
	hol := calendar.NoHolidays()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile("f.yml", data, LoadOptions{Holidays: hol, Location: time.UTC})
		if err != nil {
			return
		}
		now := time.Date(2026, 2, 13, 17, 0, 0, 0, time.UTC)
		for _, l := range classify.Levels() {
			for _, c := range classify.Categories() {
				for _, s := range p.Timers(l, c) {
					p.Evaluate(s, now, nil, now.Add(time.Hour))
					p.Steps(s, now, nil, now.Add(time.Hour))
				}
			}
		}
	})
}

func TestConfigDecode(t *testing.T) {
	t.Parallel()
	var c Config
	if err := config.Decode("c.yml", []byte("profile: seed002\n"), &c); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Config{Profile: "seed002", Dir: "rules/sla", Holidays: "rules/calendars/cn-holidays.yml", TimeZone: "Asia/Shanghai"}) {
		t.Errorf("defaults not filled: %+v", c)
	}
	if err := config.Decode("c.yml", []byte("profile: a\nprofle: b\n"), &Config{}); err == nil || !strings.Contains(err.Error(), "c.yml:2: field profle not found") {
		t.Errorf("unknown key: %v", err)
	}
}
