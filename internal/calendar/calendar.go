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
	switch k, _ := c.holidays.Kind(d); k {
	case Off:
		return false
	case Workday:
		return true
	}
	return c.weekdays[d.Weekday()]
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
	for range maxScanDays {
		if from, to, ok := c.window(day); ok && to.After(t) {
			if from.Before(t) {
				from = t
			}
			if avail := to.Sub(from); d <= avail {
				return from.Add(d).In(start.Location())
			} else {
				d -= avail
			}
		}
		day = day.AddDays(1)
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
	var sum time.Duration
	last := DateOf(t)
	for day := DateOf(f); !last.Before(day); day = day.AddDays(1) {
		ws, we, ok := c.window(day)
		if !ok {
			continue
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
