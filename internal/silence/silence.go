package silence

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// State is a silence's state at a moment, as Alertmanager names it.
type State string

// The states.
const (
	StatePending State = "pending" // starts later
	StateActive  State = "active"  // in force
	StateExpired State = "expired" // over (or expired by hand)
)

// Chinese is the state as the console and the report say it.
func (s State) Chinese() string {
	switch s {
	case StatePending:
		return "未开始"
	case StateActive:
		return "生效中"
	case StateExpired:
		return "已结束"
	}
	return string(s)
}

// Limits of a silence's text.
const (
	maxMatchers = 64
	maxComment  = 4096
	maxCreator  = 256
)

// Silence is one maintenance window.
type Silence struct {
	ID        string // a UUID, set on create
	Matchers  []Matcher
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedBy string
	Comment   string // the reason (原因)
	UpdatedAt time.Time
	// Source is "" for the collector's own silences, else the external
	// Alertmanager's URL the silence was read from.
	Source string
}

// StateAt is the silence's state at t: pending before StartsAt, active up to
// EndsAt (exclusive), expired from EndsAt on.
func (s *Silence) StateAt(t time.Time) State {
	switch {
	case t.Before(s.StartsAt):
		return StatePending
	case t.Before(s.EndsAt):
		return StateActive
	}
	return StateExpired
}

// Matches reports whether the silence covers labels at t: it is active then
// and every matcher matches.
func (s *Silence) Matches(ls map[string]string, at time.Time) bool {
	return s.StateAt(at) == StateActive && matchAll(s.Matchers, ls)
}

// Validate checks a silence as Alertmanager does: at least one matcher, and
// not one that every alert satisfies (a silence of everything must be said
// with a real matcher), an end after the start, who and why.
func (s *Silence) Validate() error {
	if len(s.Matchers) == 0 {
		return fmt.Errorf("%w: at least one matcher is needed", ErrInvalid)
	}
	if len(s.Matchers) > maxMatchers {
		return fmt.Errorf("%w: %d matchers (at most %d)", ErrInvalid, len(s.Matchers), maxMatchers)
	}
	empty := true
	for _, m := range s.Matchers {
		if m.m == nil {
			return fmt.Errorf("%w: matcher %s was not compiled", ErrInvalid, m)
		}
		if !m.Matches(map[string]string{}) {
			empty = false
		}
	}
	if empty {
		return fmt.Errorf("%w: the matchers match every alert (at least one must not match the empty string)", ErrInvalid)
	}
	if s.StartsAt.IsZero() || s.EndsAt.IsZero() {
		return fmt.Errorf("%w: startsAt and endsAt are needed", ErrInvalid)
	}
	if !s.EndsAt.After(s.StartsAt) {
		return fmt.Errorf("%w: endsAt %s is not after startsAt %s", ErrInvalid,
			s.EndsAt.Format(time.RFC3339), s.StartsAt.Format(time.RFC3339))
	}
	if strings.TrimSpace(s.CreatedBy) == "" {
		return fmt.Errorf("%w: createdBy is needed", ErrInvalid)
	}
	if strings.TrimSpace(s.Comment) == "" {
		return fmt.Errorf("%w: a comment (the reason) is needed", ErrInvalid)
	}
	if len(s.Comment) > maxComment || len(s.CreatedBy) > maxCreator {
		return fmt.Errorf("%w: comment over %d or createdBy over %d bytes", ErrInvalid, maxComment, maxCreator)
	}
	return nil
}

// MatchersString is the matchers as amtool shows them, space-separated.
func (s *Silence) MatchersString() string {
	parts := make([]string, len(s.Matchers))
	for i, m := range s.Matchers {
		parts[i] = m.String()
	}
	return strings.Join(parts, " ")
}

// sameMatchers reports whether a and b have the same matchers, in any order.
func sameMatchers(a, b []Matcher) bool {
	key := func(ms []Matcher) []string {
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = m.String()
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}
