// Package calendar does SLA time arithmetic on service calendars: 7×24 (every
// instant counts) and working hours (e.g. 9:00–17:30 Monday–Friday) that follow the
// Chinese statutory holidays and make-up working days (放假调休) read from a yearly
// data file (rules/calendars/cn-holidays.yml), so an operator adds a year without a
// new release.
//
// Add(start, d) is the instant at which d of calendar time has elapsed since start;
// Elapsed(from, to) is the calendar time between two instants. Both work in the
// calendar's time zone (Asia/Shanghai by default) on wall-clock dates and skip whole
// days, so a long span costs one step per day, not per minute.
package calendar

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
)

// Date is a civil date (no time zone), written "2026-02-15" in YAML.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("invalid date %q: use YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// String formats the date as "2006-01-02".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// In returns midnight of the date in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the date n days later (n may be negative).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// UnmarshalYAML parses a date and reports the line of a bad one.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return config.Errorf(n, "expected a date such as 2026-02-15")
	}
	v, err := ParseDate(n.Value)
	if err != nil {
		return config.Errorf(n, "%v", err)
	}
	*d = v
	return nil
}

// MarshalYAML writes the date as "2006-01-02".
func (d Date) MarshalYAML() (any, error) { return d.String(), nil }

// DayKind says how the holiday data treats a date.
type DayKind int

// Day kinds.
const (
	Ordinary DayKind = iota // no entry: the weekday rule applies
	Off                     // statutory day off (放假)
	Workday                 // make-up working day (调休上班)
)

// Holiday is one holiday of a year in the data file.
type Holiday struct {
	Name string `yaml:"name"`    // Chinese name, e.g. 春节
	En   string `yaml:"name_en"` // English name
	// From and To are the first and last day off (both included; weekend days
	// inside the span included).
	From Date `yaml:"from"`
	To   Date `yaml:"to"`
	// Workdays are the make-up working days (Saturdays or Sundays) that belong to it.
	Workdays []Date `yaml:"workdays"`
}

// Year is one year's schedule.
type Year struct {
	// Source names the notice the data comes from.
	Source   string    `yaml:"source"`
	Holidays []Holiday `yaml:"holidays"`
}

// HolidayFile is the format of rules/calendars/cn-holidays.yml.
type HolidayFile struct {
	Years map[int]Year `yaml:"years"`
}

// Validate checks ranges and that every date lies in its year.
func (f *HolidayFile) Validate() error {
	for y, yr := range f.Years {
		if y < 1900 || y > 9999 {
			return &config.LineError{Msg: fmt.Sprintf("year %d out of range", y)}
		}
		for _, h := range yr.Holidays {
			if h.Name == "" {
				return &config.LineError{Msg: fmt.Sprintf("%d: a holiday needs a name", y)}
			}
			if h.To.Before(h.From) {
				return &config.LineError{Msg: fmt.Sprintf("%d %s: to %s is before from %s", y, h.Name, h.To, h.From)}
			}
			if h.From.Year != y && h.To.Year != y {
				return &config.LineError{Msg: fmt.Sprintf("%d %s: days off %s..%s are not in %d", y, h.Name, h.From, h.To, y)}
			}
			if n := h.From.AddDays(31); n.Before(h.To) {
				return &config.LineError{Msg: fmt.Sprintf("%d %s: span %s..%s longer than 31 days", y, h.Name, h.From, h.To)}
			}
		}
	}
	return nil
}

// Holidays answers, for any date, whether it is a statutory day off, a make-up
// working day or ordinary. It is immutable and safe for concurrent use.
type Holidays struct {
	days  map[Date]DayKind
	names map[Date]string
	years map[int]bool
}

// NoHolidays is an empty holiday set (weekday rule only).
func NoHolidays() *Holidays {
	return &Holidays{days: map[Date]DayKind{}, names: map[Date]string{}, years: map[int]bool{}}
}

// ParseHolidays parses holiday data; name is used in error messages.
func ParseHolidays(name string, data []byte) (*Holidays, error) {
	var f HolidayFile
	if err := config.Decode(name, data, &f); err != nil {
		return nil, fmt.Errorf("parse holidays: %w", err)
	}
	return NewHolidays(f)
}

// LoadHolidays reads a holiday data file.
func LoadHolidays(path string) (*Holidays, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load holidays: %w", err)
	}
	return ParseHolidays(path, data)
}

// NewHolidays builds the lookup from decoded data. A date both off and a
// make-up working day is an error.
func NewHolidays(f HolidayFile) (*Holidays, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	h := NoHolidays()
	for y, yr := range f.Years {
		h.years[y] = true
		for _, hol := range yr.Holidays {
			for d := hol.From; !hol.To.Before(d); d = d.AddDays(1) {
				if err := h.set(d, Off, hol.Name); err != nil {
					return nil, err
				}
			}
			for _, d := range hol.Workdays {
				if err := h.set(d, Workday, hol.Name+"调休"); err != nil {
					return nil, err
				}
			}
		}
	}
	return h, nil
}

func (h *Holidays) set(d Date, k DayKind, name string) error {
	if old, ok := h.days[d]; ok && old != k {
		return fmt.Errorf("holidays: %s is both a day off and a make-up working day (%s, %s)", d, h.names[d], name)
	}
	h.days[d] = k
	h.names[d] = name
	return nil
}

// Kind returns how the data treats d, and the holiday's name when not Ordinary.
func (h *Holidays) Kind(d Date) (DayKind, string) {
	if h == nil {
		return Ordinary, ""
	}
	return h.days[d], h.names[d]
}

// Years returns the years the data covers, ascending.
func (h *Holidays) Years() []int {
	var ys []int
	for y := range h.years {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// MissingYears returns which of now's year and the next year have no data, so
// the caller can warn that the holiday calendar needs its yearly update. The
// year is taken in now's location.
func (h *Holidays) MissingYears(now time.Time) []int {
	var miss []int
	for _, y := range []int{now.Year(), now.Year() + 1} {
		if h == nil || !h.years[y] {
			miss = append(miss, y)
		}
	}
	return miss
}
