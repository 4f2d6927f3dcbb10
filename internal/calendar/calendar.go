package calendar

import (
	"errors"
	"fmt"
	"time"
)

// DefaultZone is the time zone calendars use unless told otherwise. Binaries
// import time/tzdata so it resolves on hosts without a zoneinfo database.
const DefaultZone = "Asia/Shanghai"

// maxScanDays bounds the day-by-day scan of Add: no real calendar has ten years
// without a working day; past it Add gives up and returns the far end.
const maxScanDays = 3660

// Calendar is a service calendar: 7×24, or working hours on working days. It is
// immutable and safe for concurrent use.
type Calendar struct {
	name     string
	loc      *time.Location
	always   bool
	open     time.Duration // offset from midnight (wall clock)
	close    time.Duration
	weekdays [7]bool
	holidays *Holidays
	// fixed is true when loc keeps one UTC offset (see fixedOffset): whole
	// working days then all last close−open, and the scans skip them without
	// building instants.
	fixed bool
}

// fixedOffset reports whether loc has no offset change from 1992 to 2100 (the
// span timers are computed in; China dropped DST after 1991).
func fixedOffset(loc *time.Location) bool {
	_, off0 := time.Date(1992, 1, 1, 12, 0, 0, 0, loc).Zone()
	for y := 1992; y <= 2100; y++ {
		for _, m := range []time.Month{time.January, time.April, time.July, time.October} {
			if _, off := time.Date(y, m, 1, 12, 0, 0, 0, loc).Zone(); off != off0 {
				return false
			}
		}
	}
	return true
}

// Always returns a 7×24 calendar: every instant counts.
func Always(name string, loc *time.Location) *Calendar {
	if loc == nil {
		loc = time.UTC
	}
	return &Calendar{name: name, loc: loc, always: true}
}

// WorkingHoursOptions configures a working-hours calendar.
type WorkingHoursOptions struct {
	Name     string
	Location *time.Location // nil means UTC; pass Asia/Shanghai explicitly
	// Open and Close are offsets from midnight, e.g. 9h and 17h30m.
	Open, Close time.Duration
	// Weekdays are the ordinary working days; empty means Monday–Friday.
	Weekdays []time.Weekday
	// Holidays supplies statutory days off and make-up working days; nil means none.
	Holidays *Holidays
}

// WorkingHours returns a calendar that counts only [Open, Close) on working days.
// A working day is a weekday in Weekdays that is not a day off, or a make-up
// working day.
func WorkingHours(o WorkingHoursOptions) (*Calendar, error) {
	if o.Open < 0 || o.Close > 24*time.Hour || o.Close <= o.Open {
		return nil, fmt.Errorf("calendar %s: working hours %s–%s: open must be before close within one day", o.Name, clock(o.Open), clock(o.Close))
	}
	c := &Calendar{name: o.Name, loc: o.Location, open: o.Open, close: o.Close, holidays: o.Holidays}
	if c.loc == nil {
		c.loc = time.UTC
	}
	c.fixed = fixedOffset(c.loc)
	wd := o.Weekdays
	if len(wd) == 0 {
		wd = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	for _, d := range wd {
		if d < time.Sunday || d > time.Saturday {
			return nil, errors.New("calendar " + o.Name + ": invalid weekday")
		}
		c.weekdays[d] = true
	}
	return c, nil
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// Name returns the calendar's name.
func (c *Calendar) Name() string { return c.name }

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Is24x7 reports whether every instant counts.
func (c *Calendar) Is24x7() bool { return c.always }

// Holidays returns the holiday data (nil for 7×24 or none).
func (c *Calendar) Holidays() *Holidays { return c.holidays }

// String describes the calendar, e.g. "workday (09:00–17:30 Mon–Fri, holidays)".
func (c *Calendar) String() string {
	if c.always {
		return c.name + " (7×24)"
	}
	return fmt.Sprintf("%s (%s–%s)", c.name, clock(c.open), clock(c.close))
}

// IsWorkingDay reports whether the date is a working day of the calendar.
func (c *Calendar) IsWorkingDay(d Date) bool {
	if c.always {
		return true
	}
	return c.working(d, d.Weekday())
}

// working is IsWorkingDay with the weekday already known.
func (c *Calendar) working(d Date, wd time.Weekday) bool {
	if c.holidays != nil && len(c.holidays.days) > 0 {
		switch c.holidays.days[d] {
		case Off:
			return false
		case Workday:
			return true
		}
	}
	return c.weekdays[wd]
}

// next returns the following civil date without time.Date.
func next(d Date) Date {
	d.Day++
	if d.Day > daysIn(d.Year, d.Month) {
		d.Day = 1
		d.Month++
		if d.Month > time.December {
			d.Month = time.January
			d.Year++
		}
	}
	return d
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.April, time.June, time.September, time.November:
		return 30
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return 31
}

// window returns the working window of date d as instants, ok=false when the
// day has none. Wall-clock times are used, so a DST change shifts the window
// with the clock rather than by a fixed offset from midnight.
func (c *Calendar) window(d Date) (from, to time.Time, ok bool) {
	if !c.IsWorkingDay(d) {
		return time.Time{}, time.Time{}, false
	}
	from = wall(d, c.open, c.loc)
	to = wall(d, c.close, c.loc)
	return from, to, true
}

func wall(d Date, off time.Duration, loc *time.Location) time.Time {
	h := int(off / time.Hour)
	m := int(off % time.Hour / time.Minute)
	s := int(off % time.Minute / time.Second)
	ns := int(off % time.Second)
	return time.Date(d.Year, d.Month, d.Day, h, m, s, ns, loc)
}

// IsOpen reports whether the instant t counts as calendar time.
func (c *Calendar) IsOpen(t time.Time) bool {
	if c.always {
		return true
	}
	from, to, ok := c.window(DateOf(t.In(c.loc)))
	return ok && !t.Before(from) && t.Before(to)
}

// Add returns the earliest instant at which d of calendar time has elapsed since
// start. Add(start, 0) is start. For d > 0 on a working-hours calendar the result
// lies in a working window or at its close (a timer ending exactly at 17:30 is due
// at 17:30, not at 9:00 the next working day). A negative d is treated as 0.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return start
	}
	if c.always {
		return start.Add(d)
	}
	t := start.In(c.loc)
	day := DateOf(t)
	wd := t.Weekday()
	full := c.close - c.open
	// The first day may be partial; build its window exactly.
	if from, to, ok := c.window(day); ok && to.After(t) {
		if from.Before(t) {
			from = t
		}
		if avail := to.Sub(from); d <= avail {
			return from.Add(d).In(start.Location())
		}
		d -= to.Sub(from)
	}
	for range maxScanDays {
		day, wd = next(day), (wd+1)%7
		if !c.working(day, wd) {
			continue
		}
		if c.fixed && d > full {
			d -= full // a whole working day, skipped without building instants
			continue
		}
		from, to, _ := c.window(day)
		if avail := to.Sub(from); d <= avail {
			return from.Add(d).In(start.Location())
		}
		d -= to.Sub(from)
	}
	return day.In(c.loc).In(start.Location())
}

// Elapsed returns the calendar time between from and to; zero when to is not
// after from.
func (c *Calendar) Elapsed(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if c.always {
		return to.Sub(from)
	}
	f, t := from.In(c.loc), to.In(c.loc)
	first, last := DateOf(f), DateOf(t)
	// partial adds the overlap of [f, t] with one day's window.
	var sum time.Duration
	partial := func(day Date) {
		ws, we, ok := c.window(day)
		if !ok {
			return
		}
		if ws.Before(f) {
			ws = f
		}
		if we.After(t) {
			we = t
		}
		if we.After(ws) {
			sum += we.Sub(ws)
		}
	}
	partial(first)
	if first == last {
		return sum
	}
	full := c.close - c.open
	wd := f.Weekday()
	for day := next(first); day != last; day = next(day) {
		wd = (wd + 1) % 7
		if !c.working(day, wd) {
			continue
		}
		if c.fixed {
			sum += full
			continue
		}
		ws, we, _ := c.window(day)
		sum += we.Sub(ws)
	}
	partial(last)
	return sum
}

// NextOpen returns t when the calendar is open at t, else the start of the next
// working window (used to show "clock resumes at …").
func (c *Calendar) NextOpen(t time.Time) time.Time {
	if c.always || c.IsOpen(t) {
		return t
	}
	lt := t.In(c.loc)
	day := DateOf(lt)
	for range maxScanDays {
		if from, to, ok := c.window(day); ok && to.After(lt) {
			if from.Before(lt) {
				return t
			}
			return from.In(t.Location())
		}
		day = day.AddDays(1)
	}
	return day.In(c.loc).In(t.Location())
}
