package silence

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
)

// Errors of a Set.
var (
	ErrNotFound = errors.New("silence not found")
	ErrExpired  = errors.New("silence already expired")
)

// Options configure a Set.
type Options struct {
	Store  *Store // required: where silences are kept
	Clock  clockwork.Clock
	Logger *slog.Logger
	// ListRetention is how long an expired silence stays in List's answer
	// (the store keeps it for the reports); default 7 days.
	ListRetention time.Duration
}

// Set is the collector's own silences: durable in the Store, answered from
// memory. Silenced is lock-free (an atomic snapshot of the silences not yet
// expired when it was taken), so the ticket pipeline can ask per alert.
type Set struct {
	o    Options
	mu   sync.Mutex // serialises writes
	all  map[string]*Silence
	live atomic.Pointer[[]*Silence] // not expired at the last write, by start
}

// NewSet loads the store's silences.
func NewSet(ctx context.Context, o Options) (*Set, error) {
	if o.Store == nil {
		return nil, errors.New("silence: a Store is required")
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ListRetention <= 0 {
		o.ListRetention = 7 * 24 * time.Hour
	}
	ss, err := o.Store.All(ctx)
	if err != nil {
		return nil, err
	}
	s := &Set{o: o, all: make(map[string]*Silence, len(ss))}
	for _, x := range ss {
		s.all[x.ID] = x
	}
	s.rebuild()
	return s, nil
}

// rebuild takes a new snapshot for Silenced; with mu held (or before use).
func (s *Set) rebuild() {
	now := s.o.Clock.Now()
	live := make([]*Silence, 0, len(s.all))
	for _, x := range s.all {
		if x.StateAt(now) != StateExpired {
			live = append(live, x)
		}
	}
	slices.SortFunc(live, byStart)
	s.live.Store(&live)
}

func byStart(a, b *Silence) int {
	if c := a.StartsAt.Compare(b.StartsAt); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// Silenced returns the first silence (by start) active at `at` whose
// matchers select labels.
func (s *Set) Silenced(ls map[string]string, at time.Time) (string, bool) {
	for _, x := range *s.live.Load() {
		if x.Matches(ls, at) {
			return x.ID, true
		}
	}
	return "", false
}

// Prune drops silences expired since the last write from Silenced's
// snapshot (they never match anyway; this only keeps the loop short).
func (s *Set) Prune() {
	s.mu.Lock()
	s.rebuild()
	s.mu.Unlock()
}

// Put creates a silence (ID empty) or changes one, as Alertmanager's POST
// /api/v2/silences does, and returns its ID once it is stored durably:
//   - a new silence starting in the past starts now; one ending in the past is refused;
//   - a pending silence may change anything; an active one its end and
//     comment only (same matchers and start), else it is expired and a new
//     silence with a new ID replaces it; an expired one is never changed (a
//     new silence is made instead), and an unknown ID is ErrNotFound.
func (s *Set) Put(ctx context.Context, in Silence) (string, error) {
	now := s.o.Clock.Now().Truncate(time.Millisecond)
	in.StartsAt, in.EndsAt = in.StartsAt.Truncate(time.Millisecond).UTC(), in.EndsAt.Truncate(time.Millisecond).UTC()
	in.Source = ""
	s.mu.Lock()
	defer s.mu.Unlock()
	var prev *Silence
	if in.ID != "" {
		p, ok := s.all[in.ID]
		if !ok {
			return "", fmt.Errorf("%w: %s", ErrNotFound, in.ID)
		}
		prev = p
		if prev.StateAt(now) == StateExpired {
			// As Alertmanager: an expired window is never changed; the
			// post makes a new one (amtool import re-posts old IDs).
			prev, in.ID = nil, ""
		}
	}
	if prev != nil && prev.StateAt(now) == StateActive && in.StartsAt.Before(now) {
		in.StartsAt = prev.StartsAt // an edit of a running window keeps its start
	}
	if prev == nil && in.StartsAt.Before(now) {
		in.StartsAt = now
	}
	if err := in.Validate(); err != nil {
		return "", err
	}
	if in.EndsAt.Before(now) {
		return "", fmt.Errorf("%w: endsAt %s is in the past", ErrInvalid, in.EndsAt.Format(time.RFC3339))
	}
	in.UpdatedAt = now
	inPlace := prev != nil && sameMatchers(prev.Matchers, in.Matchers) &&
		(prev.StateAt(now) == StatePending || prev.StartsAt.Equal(in.StartsAt))
	var old *Silence
	if prev != nil && !inPlace {
		// Replace: the old one ends now (a pending one never started), in
		// the same transaction as the new one is stored.
		o := *prev
		if o.StateAt(now) == StatePending {
			o.StartsAt = now
		}
		o.EndsAt, o.UpdatedAt = now, now
		old = &o
		in.ID = ""
		if in.StartsAt.Before(now) {
			in.StartsAt = now
		}
	}
	if in.ID == "" {
		in.ID = uuid.NewString()
	}
	put := []*Silence{&in}
	if old != nil {
		put = append(put, old)
	}
	if err := s.o.Store.Put(ctx, put...); err != nil {
		return "", err
	}
	if old != nil {
		s.all[old.ID] = old
	}
	s.all[in.ID] = &in
	s.rebuild()
	s.o.Logger.Info("silence stored", "id", in.ID, "matchers", in.MatchersString(),
		"starts", in.StartsAt, "ends", in.EndsAt, "by", in.CreatedBy)
	return in.ID, nil
}

// Expire ends a silence now (a pending one is ended before it starts).
func (s *Set) Expire(ctx context.Context, id string) error {
	now := s.o.Clock.Now().Truncate(time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.all[id]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	st := p.StateAt(now)
	if st == StateExpired {
		return fmt.Errorf("%w: %s", ErrExpired, id)
	}
	x := *p
	if st == StatePending {
		x.StartsAt = now
	}
	x.EndsAt, x.UpdatedAt = now, now
	if err := s.o.Store.Put(ctx, &x); err != nil {
		return err
	}
	s.all[id] = &x
	s.rebuild()
	s.o.Logger.Info("silence expired", "id", id)
	return nil
}

// Get returns a copy of one silence.
func (s *Set) Get(id string) (Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.all[id]
	if !ok {
		return Silence{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return *p, nil
}

// List returns copies of the silences not expired, or expired less than
// ListRetention ago, by start.
func (s *Set) List() []Silence {
	now := s.o.Clock.Now()
	s.mu.Lock()
	out := make([]Silence, 0, len(s.all))
	for _, x := range s.all {
		if x.StateAt(now) == StateExpired && now.Sub(x.EndsAt) > s.o.ListRetention {
			continue
		}
		out = append(out, *x)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Silence) int { return byStart(&a, &b) })
	return out
}

// Active returns copies of the silences active now, by start.
func (s *Set) Active() []Silence {
	now := s.o.Clock.Now()
	var out []Silence
	for _, x := range *s.live.Load() {
		if x.StateAt(now) == StateActive {
			out = append(out, *x)
		}
	}
	return out
}

// Between returns the silences in force at some moment of [start, end),
// from the store (expired ones included, however old), for reports.
func (s *Set) Between(ctx context.Context, start, end time.Time) ([]*Silence, error) {
	return s.o.Store.Between(ctx, start, end)
}
