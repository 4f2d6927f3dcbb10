package deliver

import (
	"time"

	"github.com/roomwatch/roomwatch/internal/report"
)

// dueOn reports whether the job runs on the calendar day of d.
func (j *Job) dueOn(d time.Time) bool {
	switch j.Kind {
	case report.KindDaily:
		return true
	case report.KindParts:
		return d.Weekday() == time.Monday
	case report.KindMonthly:
		return d.Day() == j.Day
	case report.KindQuarterly:
		return d.Day() == j.Day && (d.Month()-1)%3 == 0
	}
	return false
}

// atOn is the job's time of day on d's date, in loc.
func (j *Job) atOn(d time.Time, loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), j.hour, j.mm, 0, 0, loc)
}

// next is the first due time after t.
func (j *Job) next(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	for d := t; ; d = d.AddDate(0, 0, 1) {
		if at := j.atOn(d, loc); j.dueOn(d) && at.After(t) {
			return at
		}
	}
}

// prev is the latest due time at or before t.
func (j *Job) prev(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	for d := t; ; d = d.AddDate(0, 0, -1) {
		if at := j.atOn(d, loc); j.dueOn(d) && !at.After(t) {
			return at
		}
	}
}
