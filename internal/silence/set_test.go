package silence

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

var t0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

func openSet(t *testing.T, path string, clk clockwork.Clock) *Set {
	t.Helper()
	st, err := OpenStore(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := NewSet(context.Background(), Options{Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustMatchers(t *testing.T, in ...string) []Matcher {
	t.Helper()
	ms, err := ParseMatchers(in)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func window(t *testing.T, start, end time.Time, in ...string) Silence {
	return Silence{Matchers: mustMatchers(t, in...), StartsAt: start, EndsAt: end, CreatedBy: "li.gong", Comment: "UPS 维护"}
}

func TestSetLifecycleSurvivesReopen(t *testing.T) {
	t.Parallel()
	clk := clockwork.NewFakeClockAt(t0)
	path := filepath.Join(t.TempDir(), "silences.db")
	s := openSet(t, path, clk)
	ctx := context.Background()
	id, err := s.Put(ctx, window(t, t0.Add(time.Hour), t0.Add(3*time.Hour), `device="ups1"`))
	if err != nil {
		t.Fatal(err)
	}
	ls := map[string]string{"device": "ups1", "alertname": "UPSOnBattery"}
	if _, ok := s.Silenced(ls, t0); ok {
		t.Fatal("a pending window silenced")
	}
	if got, ok := s.Silenced(ls, t0.Add(90*time.Minute)); !ok || got != id {
		t.Fatalf("in the window: %q %v", got, ok)
	}
	if _, ok := s.Silenced(ls, t0.Add(3*time.Hour)); ok {
		t.Fatal("silenced at its end (the end is exclusive)")
	}
	// A second set on the same file (a restart) knows it.
	s2 := openSet(t, path, clk)
	got, err := s2.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if !got.StartsAt.Equal(t0.Add(time.Hour)) || got.MatchersString() != `device="ups1"` || got.StateAt(t0) != StatePending {
		t.Fatalf("reloaded: %+v", got)
	}
	clk.Advance(2 * time.Hour)
	if err := s2.Expire(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s2.Expire(ctx, id); !errors.Is(err, ErrExpired) {
		t.Fatalf("second expire: %v", err)
	}
	if _, ok := s2.Silenced(ls, clk.Now()); ok {
		t.Fatal("silenced after expire")
	}
	s3 := openSet(t, path, clk)
	if g, _ := s3.Get(id); g.StateAt(clk.Now()) != StateExpired || !g.EndsAt.Equal(clk.Now()) {
		t.Fatalf("expire not stored: %+v", g)
	}
	between, err := s3.Between(ctx, t0, t0.Add(24*time.Hour))
	if err != nil || len(between) != 1 {
		t.Fatalf("Between: %v %v", between, err)
	}
	if err := s3.Expire(ctx, "no-such-id"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestSetPutRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		// first is stored at t0, then the clock moves by after and edit is posted with first's ID.
		first   Silence
		after   time.Duration
		edit    func(s Silence) Silence
		wantErr error
		sameID  bool
		check   func(t *testing.T, s *Set, firstID, id string)
	}{
		{name: "pending: change times in place", first: window(t, t0.Add(time.Hour), t0.Add(2*time.Hour), `device="a"`),
			edit:   func(s Silence) Silence { s.StartsAt, s.EndsAt = t0.Add(90*time.Minute), t0.Add(5*time.Hour); return s },
			sameID: true},
		{name: "pending: new matchers replace it", first: window(t, t0.Add(time.Hour), t0.Add(2*time.Hour), `device="a"`),
			edit: func(s Silence) Silence { s.Matchers = mustMatchers(t, `device="b"`); return s },
			check: func(t *testing.T, s *Set, firstID, id string) {
				if old, _ := s.Get(firstID); old.StateAt(t0.Add(time.Hour)) != StateExpired {
					t.Fatalf("old one not ended: %+v", old)
				}
			}},
		{name: "active: extend the end in place", first: window(t, t0, t0.Add(time.Hour), `device="a"`), after: 10 * time.Minute,
			edit: func(s Silence) Silence { s.EndsAt = t0.Add(4 * time.Hour); return s }, sameID: true,
			check: func(t *testing.T, s *Set, _, id string) {
				if g, _ := s.Get(id); !g.StartsAt.Equal(t0) || !g.EndsAt.Equal(t0.Add(4*time.Hour)) {
					t.Fatalf("edited: %+v", g)
				}
			}},
		{name: "active: new matchers replace it", first: window(t, t0, t0.Add(time.Hour), `device="a"`), after: 10 * time.Minute,
			edit: func(s Silence) Silence { s.Matchers = mustMatchers(t, `device="b"`); return s },
			check: func(t *testing.T, s *Set, firstID, id string) {
				old, _ := s.Get(firstID)
				if old.StateAt(t0.Add(10*time.Minute)) != StateExpired {
					t.Fatalf("old one not expired: %+v", old)
				}
				if n, _ := s.Get(id); n.StateAt(t0.Add(10*time.Minute)) != StateActive {
					t.Fatalf("new one: %+v", n)
				}
			}},
		{name: "expired: a new window instead", first: window(t, t0, t0.Add(time.Hour), `device="a"`), after: 2 * time.Hour,
			edit: func(s Silence) Silence { s.EndsAt = t0.Add(5 * time.Hour); return s },
			check: func(t *testing.T, s *Set, firstID, id string) {
				if old, _ := s.Get(firstID); !old.EndsAt.Equal(t0.Add(time.Hour)) {
					t.Fatalf("the expired window changed: %+v", old)
				}
				if n, _ := s.Get(id); !n.StartsAt.Equal(t0.Add(2*time.Hour)) || !n.EndsAt.Equal(t0.Add(5*time.Hour)) {
					t.Fatalf("new window: %+v", n)
				}
			}},
		{name: "unknown id", first: window(t, t0, t0.Add(time.Hour), `device="a"`),
			edit: func(s Silence) Silence { s.ID = "5e2b6c0e-0000-4000-8000-000000000000"; return s }, wantErr: ErrNotFound},
		{name: "end before start", first: window(t, t0, t0.Add(time.Hour), `device="a"`),
			edit: func(s Silence) Silence { s.ID, s.EndsAt = "", t0.Add(-time.Minute); return s }, wantErr: ErrInvalid},
		{name: "matches everything", first: window(t, t0, t0.Add(time.Hour), `device="a"`),
			edit: func(s Silence) Silence { s.ID, s.Matchers = "", mustMatchers(t, `device=~".*"`); return s }, wantErr: ErrInvalid},
		{name: "no comment", first: window(t, t0, t0.Add(time.Hour), `device="a"`),
			edit: func(s Silence) Silence { s.ID, s.Comment = "", " "; return s }, wantErr: ErrInvalid},
		{name: "new starting in the past starts now", first: window(t, t0, t0.Add(time.Hour), `device="a"`), after: time.Minute,
			edit: func(s Silence) Silence { s.ID = ""; return s },
			check: func(t *testing.T, s *Set, _, id string) {
				if g, _ := s.Get(id); !g.StartsAt.Equal(t0.Add(time.Minute)) {
					t.Fatalf("start %v, want now", g.StartsAt)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := clockwork.NewFakeClockAt(t0)
			s := openSet(t, filepath.Join(t.TempDir(), "s.db"), clk)
			firstID, err := s.Put(ctx, tc.first)
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(tc.after)
			first, _ := s.Get(firstID)
			id, err := s.Put(ctx, tc.edit(first))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (id == firstID) != tc.sameID {
				t.Fatalf("id %s vs first %s, same wanted %v", id, firstID, tc.sameID)
			}
			if tc.check != nil {
				tc.check(t, s, firstID, id)
			}
		})
	}
}

func BenchmarkSilenced(b *testing.B) {
	clk := clockwork.NewFakeClockAt(t0)
	st, err := OpenStore(context.Background(), filepath.Join(b.TempDir(), "s.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s, err := NewSet(context.Background(), Options{Store: st, Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 50 { // 50 windows, none matching
		ms, _ := ParseMatchers([]string{`site="branch` + string(rune('a'+i%26)) + `"`, `class=~"camera|nvr"`})
		if _, err := s.Put(context.Background(), Silence{Matchers: ms, StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "x", Comment: "y"}); err != nil {
			b.Fatal(err)
		}
	}
	ls := map[string]string{"alertname": "CameraOffline", "device": "cam1", "site": "hq", "class": "camera"}
	b.ResetTimer()
	for range b.N {
		if _, ok := s.Silenced(ls, t0); ok {
			b.Fatal("matched")
		}
	}
}

// TestSilencedWhileWriting asks Silenced from several goroutines while
// windows are created and expired (run with -race).
func TestSilencedWhileWriting(t *testing.T) {
	t.Parallel()
	clk := clockwork.NewFakeClockAt(t0)
	s := openSet(t, filepath.Join(t.TempDir(), "s.db"), clk)
	ctx := context.Background()
	done := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			ls := map[string]string{"device": "ups1"}
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
					s.Silenced(ls, t0)
				}
			}
		}()
	}
	for range 20 {
		id, err := s.Put(ctx, window(t, t0, t0.Add(time.Hour), `device="ups1"`))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Expire(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := s.Silenced(map[string]string{"device": "ups1"}, t0); ok {
		t.Fatal("silenced after every window expired")
	}
}
