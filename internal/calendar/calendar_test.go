package calendar

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(DefaultZone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func shippedHolidays(t testing.TB) *Holidays {
	t.Helper()
	h, err := LoadHolidays("../../rules/calendars/cn-holidays.yml")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// workday is seed 001's calendar: 9:00–17:30 Monday–Friday with the statutory
// holidays and make-up days of the shipped data.
func workday(t testing.TB) *Calendar {
	t.Helper()
	c, err := WorkingHours(WorkingHoursOptions{
		Name: "workday", Location: shanghai(t), Open: 9 * time.Hour, Close: 17*time.Hour + 30*time.Minute,
		Holidays: shippedHolidays(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWorkingHoursAdd(t *testing.T) {
	t.Parallel()
	loc := shanghai(t)
	cal := workday(t)
	tests := []struct {
		name  string
		start string
		d     time.Duration
		want  string
	}{
		// Inside one window; ending exactly at closing time is due at 17:30.
		{"same day", "2026-01-09 17:00", 30 * time.Minute, "2026-01-09 17:30"},
		// Fri 17:00 + 2h: 30m on Friday, Sat/Sun closed, 1h30m on Monday.
		{"over weekend", "2026-01-09 17:00", 2 * time.Hour, "2026-01-12 10:30"},
		// Saturday start: the clock waits for Monday 9:00.
		{"start on weekend", "2026-01-10 10:00", 30 * time.Minute, "2026-01-12 09:30"},
		// Before opening: counts from 9:00.
		{"start before opening", "2026-01-12 07:00", 30 * time.Minute, "2026-01-12 09:30"},
		// After closing: counts from 9:00 next day.
		{"start after closing", "2026-01-12 20:00", 30 * time.Minute, "2026-01-13 09:30"},
		// Exactly one whole window.
		{"one window", "2026-01-12 09:00", 8*time.Hour + 30*time.Minute, "2026-01-12 17:30"},
		// Fri 2026-02-13 17:00, the last working day before Spring Festival: 30m
		// on Friday; Sat 02-14 is a make-up working day (调休上班): 1h30m → 10:30.
		{"make-up Saturday before Spring Festival", "2026-02-13 17:00", 2 * time.Hour, "2026-02-14 10:30"},
		// Sat 02-14 17:00: 30m that day, 02-15..02-23 off (9 days), Tue 02-24
		// 9:00 + 1h30m.
		{"across Spring Festival", "2026-02-14 17:00", 2 * time.Hour, "2026-02-24 10:30"},
		// Five working days (5 × 8.5h) from Fri 02-13 9:00: 02-13, 02-14, 02-24,
		// 02-25, 02-26 → ends 02-26 17:30.
		{"five working days over the festival", "2026-02-13 09:00", 42*time.Hour + 30*time.Minute, "2026-02-26 17:30"},
		// Year end: Wed 2025-12-31 17:00, 30m; 2026-01-01..03 off; Sun 01-04 is a
		// make-up day → 01-04 10:30.
		{"year end into make-up Sunday", "2025-12-31 17:00", 2 * time.Hour, "2026-01-04 10:30"},
		// Labour Day 2025: Wed 04-30 17:00, 30m; 05-01..05 off; Tue 05-06 9:30.
		{"labour day 2025", "2025-04-30 17:00", time.Hour, "2025-05-06 09:30"},
		// Sun 2025-01-26 is a make-up day: Sat 01-25 noon → Sun 9:00 + 1h.
		{"make-up Sunday 2025", "2025-01-25 12:00", time.Hour, "2025-01-26 10:00"},
		// National Day 2025: Sat 09-27 closed, Sun 09-28 make-up.
		{"make-up Sunday before National Day", "2025-09-27 10:00", 9 * time.Hour, "2025-09-29 09:30"},
		// 2027 has no data: 2027-01-01 (a Friday) counts as an ordinary weekday.
		{"missing year uses weekdays", "2026-12-31 17:00", time.Hour, "2027-01-01 09:30"},
		// Zero duration is the start itself, even outside hours.
		{"zero", "2026-01-10 10:00", 0, "2026-01-10 10:00"},
		{"negative is zero", "2026-01-10 10:00", -time.Hour, "2026-01-10 10:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := at(loc, tc.start)
			got := cal.Add(start, tc.d)
			if want := at(loc, tc.want); !got.Equal(want) {
				t.Fatalf("Add(%s, %v) = %s, want %s", tc.start, tc.d, got.In(loc).Format("2006-01-02 15:04 Mon"), tc.want)
			}
			if tc.d > 0 {
				if e := cal.Elapsed(start, got); e != tc.d {
					t.Errorf("Elapsed(%s, %s) = %v, want %v", tc.start, tc.want, e, tc.d)
				}
			}
		})
	}
}

func TestWorkingHoursElapsed(t *testing.T) {
	t.Parallel()
	loc := shanghai(t)
	cal := workday(t)
	tests := []struct {
		from, to string
		want     time.Duration
	}{
		{"2026-01-12 10:00", "2026-01-12 11:15", 75 * time.Minute},
		{"2026-01-12 11:00", "2026-01-12 10:00", 0}, // reversed
		{"2026-01-10 00:00", "2026-01-11 23:59", 0}, // weekend
		{"2026-01-09 17:00", "2026-01-12 09:30", time.Hour},
		// A full week Mon 00:00 → next Mon 00:00: 5 × 8.5h.
		{"2026-01-12 00:00", "2026-01-19 00:00", 42*time.Hour + 30*time.Minute},
		// Spring Festival fortnight 02-14 00:00 → 02-28 00:00: 02-14 (make-up),
		// 02-24, 25, 26, 27 → 5 windows.
		{"2026-02-14 00:00", "2026-02-28 00:00", 5 * (8*time.Hour + 30*time.Minute)},
		// The whole of 2026: 261 weekdays − 19 weekday days off + 6 make-up
		// days = 248 working days (see TestWorkingDays2026).
		{"2026-01-01 00:00", "2027-01-01 00:00", 248 * (8*time.Hour + 30*time.Minute)},
	}
	for _, tc := range tests {
		if got := cal.Elapsed(at(loc, tc.from), at(loc, tc.to)); got != tc.want {
			t.Errorf("Elapsed(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

// TestWorkingDays2026 counts 2026's working days from first principles to back
// the yearly figure above: 365 days starting on a Thursday give 261 weekdays;
// the weekday days off are 01-01, 01-02, 02-16..02-20, 02-23, 04-06, 05-01,
// 05-04, 05-05, 06-19, 09-25, 10-01, 10-02, 10-05, 10-06, 10-07 (and 02-15,
// 02-21, 02-22, 01-03, 04-04, 04-05, 05-02, 05-03, 06-20, 06-21, 09-26, 09-27,
// 10-03, 10-04 fall on weekends); make-up days 01-04, 02-14, 02-28, 05-09,
// 09-20, 10-10.
func TestWorkingDays2026(t *testing.T) {
	t.Parallel()
	cal := workday(t)
	weekdayOff := strings.Fields("01-01 01-02 02-16 02-17 02-18 02-19 02-20 02-23 04-06 05-01 05-04 05-05 06-19 09-25 10-01 10-02 10-05 10-06 10-07")
	makeup := 6
	want := 261 - len(weekdayOff) + makeup
	n := 0
	for d := (Date{2026, 1, 1}); d.Year == 2026; d = d.AddDays(1) {
		if cal.IsWorkingDay(d) {
			n++
		}
	}
	if n != want || want != 248 {
		t.Fatalf("working days in 2026 = %d, want %d (= 248)", n, want)
	}
}

func TestAlways(t *testing.T) {
	t.Parallel()
	loc := shanghai(t)
	c := Always("24x7", loc)
	start := at(loc, "2026-02-13 17:00")
	if got, want := c.Add(start, 12*time.Hour), at(loc, "2026-02-14 05:00"); !got.Equal(want) {
		t.Errorf("Add = %v, want %v", got, want)
	}
	if got := c.Elapsed(start, at(loc, "2026-02-16 17:00")); got != 72*time.Hour {
		t.Errorf("Elapsed = %v", got)
	}
	if !c.IsOpen(at(loc, "2026-02-17 03:00")) || !c.Is24x7() {
		t.Error("7×24 calendar closed")
	}
}

// TestDaylightSaving checks that windows follow the wall clock in a zone with
// DST (Shanghai has none, but a calendar may be given another zone).
func TestDaylightSaving(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	c, err := WorkingHours(WorkingHoursOptions{Name: "ny", Location: ny, Open: 9 * time.Hour, Close: 17*time.Hour + 30*time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// Fri 2026-03-06 17:00 EST + 2h → Mon 2026-03-09 10:30 EDT (DST began
	// Sunday 03-08); the weekend's 23-hour day changes nothing.
	start := at(ny, "2026-03-06 17:00")
	got := c.Add(start, 2*time.Hour)
	if want := at(ny, "2026-03-09 10:30"); !got.Equal(want) {
		t.Fatalf("Add = %s, want %s", got, want)
	}
	if e := c.Elapsed(start, got); e != 2*time.Hour {
		t.Fatalf("Elapsed = %v", e)
	}
}

// TestAddElapsedInverse checks Elapsed(s, Add(s, d)) == d and that Add returns
// the earliest such instant, for random starts and durations over 2025–2026.
func TestAddElapsedInverse(t *testing.T) {
	t.Parallel()
	loc := shanghai(t)
	cal := workday(t)
	r := rand.New(rand.NewPCG(1, 2))
	base := at(loc, "2025-01-01 00:00")
	for i := range 5000 {
		start := base.Add(time.Duration(r.Int64N(int64(730 * 24 * time.Hour)))).Truncate(time.Second)
		d := time.Duration(1+r.Int64N(int64(200*time.Hour))).Truncate(time.Second) + time.Second
		end := cal.Add(start, d)
		if e := cal.Elapsed(start, end); e != d {
			t.Fatalf("#%d: Elapsed(%s, Add(.., %v)=%s) = %v", i, start, d, end, e)
		}
		if e := cal.Elapsed(start, end.Add(-time.Second)); e >= d {
			t.Fatalf("#%d: Add(%s, %v) = %s is not the earliest instant", i, start, d, end)
		}
		if !cal.IsOpen(end.Add(-time.Nanosecond)) {
			t.Fatalf("#%d: Add(%s, %v) = %s does not end a working stretch", i, start, d, end)
		}
	}
}

func TestIsOpen(t *testing.T) {
	t.Parallel()
	loc := shanghai(t)
	cal := workday(t)
	tests := map[string]bool{
		"2026-01-12 08:59": false, "2026-01-12 09:00": true, "2026-01-12 17:29": true,
		"2026-01-12 17:30": false, "2026-01-10 10:00": false, "2026-02-14 10:00": true,
		"2026-02-16 10:00": false, "2026-10-10 10:00": true, "2026-10-07 10:00": false,
	}
	for s, want := range tests {
		if got := cal.IsOpen(at(loc, s)); got != want {
			t.Errorf("IsOpen(%s) = %v, want %v", s, got, want)
		}
	}
	if got, want := cal.NextOpen(at(loc, "2026-02-14 18:00")), at(loc, "2026-02-24 09:00"); !got.Equal(want) {
		t.Errorf("NextOpen = %s, want %s", got, want)
	}
}

func TestMissingYears(t *testing.T) {
	t.Parallel()
	h := shippedHolidays(t)
	loc := shanghai(t)
	tests := []struct {
		now  string
		want string
	}{
		{"2025-06-01 00:00", "[]"},
		{"2026-06-01 00:00", "[2027]"},
		{"2027-01-01 00:00", "[2027 2028]"},
		{"2024-12-31 23:00", "[2024]"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(h.MissingYears(at(loc, tc.now))); got != tc.want {
			t.Errorf("MissingYears(%s) = %s, want %s", tc.now, got, tc.want)
		}
	}
	if got := fmt.Sprint(h.Years()); got != "[2025 2026]" {
		t.Errorf("Years = %s", got)
	}
}

func TestParseHolidaysErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"years:\n  2027:\n    holidays:\n      - {name: x, from: 2027-02-30, to: 2027-03-01}\n", "h.yml:4: invalid date \"2027-02-30\""},
		{"years:\n  2027:\n    holidays:\n      - {name: x, from: 2027-02-03, to: 2027-02-01}\n", "to 2027-02-01 is before from"},
		{"years:\n  2027:\n    holidayz: []\n", "h.yml:3: field holidayz not found"},
		{"years:\n  2027:\n    holidays:\n      - {name: x, from: 2026-01-01, to: 2026-01-02}\n", "are not in 2027"},
		{"years:\n  2027:\n    holidays:\n      - {name: a, from: 2027-01-01, to: 2027-01-02}\n      - {name: b, from: 2027-01-05, to: 2027-01-05, workdays: [2027-01-02]}\n", "both a day off and a make-up"},
		{"years:\n  2027:\n    holidays:\n      - {from: 2027-01-01, to: 2027-01-02}\n", "needs a name"},
	}
	for _, tc := range tests {
		_, err := ParseHolidays("h.yml", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseHolidays(%q) error = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestOperatorAddsYear shows a new year takes effect from the data file alone.
func TestOperatorAddsYear(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../rules/calendars/cn-holidays.yml")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "  2027:\n    source: test\n    holidays:\n      - {name: 元旦, from: 2027-01-01, to: 2027-01-03}\n"...)
	h, err := ParseHolidays("cn-holidays.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	if k, name := h.Kind(Date{2027, 1, 1}); k != Off || name != "元旦" {
		t.Errorf("Kind(2027-01-01) = %v %q", k, name)
	}
	if m := h.MissingYears(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)); len(m) != 0 {
		t.Errorf("MissingYears = %v", m)
	}
}

func TestWorkingHoursOptionsErrors(t *testing.T) {
	t.Parallel()
	for _, o := range []WorkingHoursOptions{
		{Name: "a", Open: 18 * time.Hour, Close: 9 * time.Hour},
		{Name: "b", Open: 9 * time.Hour, Close: 25 * time.Hour},
		{Name: "c", Open: 9 * time.Hour, Close: 17 * time.Hour, Weekdays: []time.Weekday{9}},
	} {
		if _, err := WorkingHours(o); err == nil {
			t.Errorf("WorkingHours(%+v) succeeded", o)
		}
	}
}

func FuzzParseHolidays(f *testing.F) {
	if b, err := os.ReadFile("../../rules/calendars/cn-holidays.yml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("years:\n  2027:\n    holidays:\n      - {name: x, from: 2027-01-01, to: 2027-01-03, workdays: [2027-01-04]}\n"))
	f.Add([]byte("years: {1: {holidays: [{name: y, from: 0001-01-01, to: 9999-12-31}]}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHolidays("f.yml", data)
		if err != nil {
			return
		}
		_ = h.MissingYears(time.Now())
	})
}
