package silence

import (
	"slices"
	"time"
)

// InForce returns the silences (expired ones too, however old) in force at
// some moment of [from, to), by start; a zero to means no end. It answers
// from memory, so the ticket service can ask while it evaluates timers
// (maintenance windows hold the repair timers, internal/sla.Counted).
func (s *Set) InForce(from, to time.Time) []*Silence {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Silence
	for _, x := range s.all {
		if !x.EndsAt.After(x.StartsAt) || !x.EndsAt.After(from) || (!to.IsZero() && !x.StartsAt.Before(to)) {
			continue
		}
		c := *x
		out = append(out, &c)
	}
	slices.SortFunc(out, byStart)
	return out
}
