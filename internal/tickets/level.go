package tickets

import (
	"fmt"
	"time"

	"github.com/roomwatch/roomwatch/internal/sla"
)

// raiseLevel raises t to level when level is worse (I is the worst) than
// t's, for an alert joining its incident: an event says so, and the timers
// are re-derived from the SLA policy for the new level and the ticket's
// category. Timers keep their start and met times (the incident began when
// the ticket opened, so the stricter target counts from then); kinds the new
// level adds start at the opening when anchored there. The caller saves t.
func (s *Service) raiseLevel(tx *auditTx, t *Ticket, level Level, now time.Time, actor, why string) error {
	if !level.Valid() || !t.Level.Valid() || level >= t.Level {
		return nil
	}
	from := t.Level
	t.Level = level
	profile, specs := s.o.Policy.TimersFor(s.facts(t))
	t.Profile = profile
	for _, sp := range specs {
		if tm := t.Timer(string(sp.Kind)); tm != nil {
			tm.Spec, tm.SpecChanged = sp, true
			continue
		}
		nt := Timer{Spec: sp, SpecChanged: true}
		if sp.From == sla.FromOpened || sp.From == "" {
			at := t.OpenedAt
			nt.StartedAt = &at
		}
		t.Timers = append(t.Timers, nt)
	}
	return tx.AddEvent(t.ID, Event{At: now, Actor: actor, Kind: EventLevel,
		Note: fmt.Sprintf("级别由 %s 级升为 %s 级，时限按新级别重算 level raised %s→%s, timers re-derived: %s", from, level, from, level, why)})
}
