package report

import (
	"errors"
	"testing"
	"time"
)

// TestWeek pins ISO weeks: Monday to Sunday, week 1 holds 4 January, and a
// week 53 only in years that have one.
func TestWeek(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	tests := []struct {
		in, start, label string
		bad              bool
	}{
		{in: "2026-W49", start: "2026-11-30", label: "2026-W49"},
		{in: "2026-w01", start: "2025-12-29", label: "2026-W01"},
		{in: "2026-W53", start: "2026-12-28", label: "2026-W53"}, // 2026 has 53 weeks
		{in: "2027-W53", bad: true},
		{in: "2026-W00", bad: true},
		{in: "2026W49", bad: true},
		{in: "2026-W4", bad: true},
	}
	for _, tc := range tests {
		p, err := Week(tc.in, loc)
		if tc.bad {
			if !errors.Is(err, ErrBadPeriod) {
				t.Errorf("Week(%q) = %v, %v; want ErrBadPeriod", tc.in, p, err)
			}
			continue
		}
		if err != nil || p.Start.Format("2006-01-02") != tc.start || p.End.Sub(p.Start) != 7*24*time.Hour || p.Label != tc.label || p.Start.Weekday() != time.Monday {
			t.Errorf("Week(%q) = %s..%s %q (%v), want from Monday %s", tc.in, p.Start, p.End, p.Label, err, tc.start)
		}
	}
	if p, err := PeriodOf(KindParts, "", time.Date(2026, 12, 6, 10, 0, 0, 0, loc), loc); err != nil || p.Label != "2026-W48" {
		t.Errorf("last week on Sunday 2026-12-06 = %q (%v), want 2026-W48", p.Label, err)
	}
}
