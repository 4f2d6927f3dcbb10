package calendar

import (
	"math/rand/v2"
	"testing"
	"time"
)

// naiveAdd is the obvious implementation, one minute at a time: the anchor the
// benchmarks compare with and an independent oracle for the tests. start and d
// must be whole minutes.
func naiveAdd(c *Calendar, start time.Time, d time.Duration) time.Time {
	t := start
	for d > 0 {
		if c.IsOpen(t) {
			d -= time.Minute
		}
		t = t.Add(time.Minute)
	}
	return t
}

// naiveElapsed counts open minutes between whole-minute instants.
func naiveElapsed(c *Calendar, from, to time.Time) time.Duration {
	var sum time.Duration
	for t := from; t.Before(to); t = t.Add(time.Minute) {
		if c.IsOpen(t) {
			sum += time.Minute
		}
	}
	return sum
}

// TestAgainstMinuteOracle compares Add and Elapsed with the minute-stepping
// oracle on random whole-minute inputs, in Shanghai (with holidays) and New
// York (DST, no holidays).
func TestAgainstMinuteOracle(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	nyCal, err := WorkingHours(WorkingHoursOptions{Name: "ny", Location: ny, Open: 8 * time.Hour, Close: 18 * time.Hour,
		Weekdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}})
	if err != nil {
		t.Fatal(err)
	}
	cals := []*Calendar{workday(t), nyCal}
	r := rand.New(rand.NewPCG(7, 11))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 150 {
		c := cals[i%2]
		start := base.Add(time.Duration(r.IntN(730*24*60)) * time.Minute).In(c.Location())
		d := time.Duration(1+r.IntN(40*60)) * time.Minute
		want := naiveAdd(c, start, d)
		if got := c.Add(start, d); !got.Equal(want) {
			t.Fatalf("%s: Add(%s, %v) = %s, oracle %s", c.Name(), start, d, got, want)
		}
		end := start.Add(time.Duration(r.IntN(20*24*60)) * time.Minute)
		if got, want := c.Elapsed(start, end), naiveElapsed(c, start, end); got != want {
			t.Fatalf("%s: Elapsed(%s, %s) = %v, oracle %v", c.Name(), start, end, got, want)
		}
	}
}

// Side-by-side benchmarks: roomwatch's day-skipping arithmetic against the
// minute-stepping anchor on the same inputs (deploy/dev/bench-sla.sh prints the
// ratio).
func BenchmarkCalendar(b *testing.B) {
	cal := workday(b)
	loc := shanghai(b)
	start := at(loc, "2026-02-13 17:00")
	fiveDays := 42*time.Hour + 30*time.Minute
	yearFrom, yearTo := at(loc, "2026-01-01 00:00"), at(loc, "2027-01-01 00:00")
	b.Run("add-5-working-days/roomwatch", func(b *testing.B) {
		for b.Loop() {
			cal.Add(start, fiveDays)
		}
	})
	b.Run("add-5-working-days/minute-step", func(b *testing.B) {
		for b.Loop() {
			naiveAdd(cal, start, fiveDays)
		}
	})
	b.Run("elapsed-1-year/roomwatch", func(b *testing.B) {
		for b.Loop() {
			cal.Elapsed(yearFrom, yearTo)
		}
	})
	b.Run("elapsed-1-year/minute-step", func(b *testing.B) {
		for b.Loop() {
			naiveElapsed(cal, yearFrom, yearTo)
		}
	})
}
