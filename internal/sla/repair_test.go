package sla

import (
	"testing"

	"github.com/roomwatch/roomwatch/internal/classify"
)

// TestRepairTimers: seed 003 line 696–699, 故障设备修理: "更换下来的故障设备在 2 日内
// 进行维修，在 5 个工作日后修理解决。若需送厂家修理，自更换后 2个工作日内报业主确认。"
// Local repair (送修) is back within 2 days on 7×24; a factory repair (返厂)
// within 5 working days and reported within 2 working days, on the workday
// calendar (9:00–17:30, statutory holidays off, make-up days on). 2026-02-14
// is a make-up working day and 02-15..23 the Spring Festival holiday.
func TestRepairTimers(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"seed003", "seed003_other", "seed003_detention"} {
		p, loc := profile(t, name)
		tests := []struct {
			kind     Kind
			out      string // repair_out
			deadline string
		}{
			{Repair, "2026-03-02 10:00", "2026-03-04 10:00"},
			{Repair, "2026-02-13 17:00", "2026-02-15 17:00"}, // 7×24: the holiday does not stop it
			// Mon 10:00 + 42.5 working hours: Mon 7.5 h, Tue–Fri 34 h, Mon 1 h → Mon 10:00.
			{RepairFactory, "2026-03-02 10:00", "2026-03-09 10:00"},
			// Fri 17:00: 0.5 h Fri, Sat 02-14 (make-up) 8.5 h, holiday to 02-23, then 4 days.
			{RepairFactory, "2026-02-13 17:00", "2026-02-27 17:00"},
			{RepairReport, "2026-03-06 15:00", "2026-03-10 15:00"}, // Fri 15:00: 2.5 h Fri, Mon 8.5 h, Tue 6 h
			{RepairReport, "2026-02-13 17:00", "2026-02-24 17:00"},
		}
		for _, tc := range tests {
			spec, ok := p.Timer(tc.kind, classify.LevelII, classify.CategoryRoomIT)
			if !ok || spec.From != FromRepairOut {
				t.Fatalf("%s: timer %s = %+v, %v; want one from repair_out", name, tc.kind, spec, ok)
			}
			st := p.Evaluate(spec, at(loc, tc.out), nil, at(loc, tc.out))
			if got := fmtT(loc, st.Deadline); got != tc.deadline {
				t.Errorf("%s %s out %s: deadline %s, want %s", name, tc.kind, tc.out, got, tc.deadline)
			}
		}
	}
}
