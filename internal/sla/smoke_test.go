package sla

import (
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/classify"
)

func TestShippedProfilesLoad(t *testing.T) {
	hol, err := calendar.LoadHolidays("../../rules/calendars/cn-holidays.yml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := LoadProfiles("../../rules/sla", LoadOptions{Holidays: hol})
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Names(); len(got) != 4 {
		t.Fatalf("profiles = %v", got)
	}
	if _, err := classify.Load("../../rules/fault-levels.yml"); err != nil {
		t.Fatal(err)
	}
	p, _ := set.Get("seed001")
	for _, s := range p.Timers(classify.LevelII, classify.CategoryRoomIT) {
		st := p.Evaluate(s, time.Date(2026, 2, 13, 17, 0, 0, 0, time.UTC), nil, time.Date(2026, 2, 13, 17, 10, 0, 0, time.UTC))
		t.Logf("%s %v %+v", s.Kind, s.Target, st.Deadline)
	}
}
