package store

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

func TestFutureGuardRefusesSamplesAhead(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir())
	now := time.Now().Truncate(time.Millisecond)
	clock := clockwork.NewFakeClockAt(now)
	m := NewIngestMetrics(nil)
	g := NewFutureGuard(s, FutureGuardOptions{MaxAhead: 10 * time.Minute, Clock: clock, Metrics: m})
	tests := []struct {
		name    string
		t       time.Time
		refused bool
	}{
		{"now", now, false},
		{"past", now.Add(-time.Hour), false},
		{"at the bound", now.Add(10 * time.Minute), false},
		{"just past the bound", now.Add(10*time.Minute + time.Millisecond), true},
		{"a year ahead", now.AddDate(1, 0, 0), true},
	}
	for _, tc := range tests {
		app := g.Source("remote_write").Appender(context.Background())
		ls := labels.FromStrings("__name__", "m", "case", tc.name)
		_, err := app.Append(0, ls, tc.t.UnixMilli(), 1)
		if tc.refused {
			if !errors.Is(err, ErrTooFarInFuture) || !errors.Is(err, storage.ErrOutOfBounds) {
				t.Errorf("%s: err = %v, want ErrTooFarInFuture (an ErrOutOfBounds)", tc.name, err)
			}
		} else if err != nil {
			t.Errorf("%s: err = %v", tc.name, err)
		}
		_, herr := app.AppendHistogram(0, labels.FromStrings("__name__", "h", "case", tc.name), tc.t.UnixMilli(), &histogram.Histogram{Count: 1, Sum: 1, Schema: 0, ZeroCount: 1}, nil)
		if tc.refused != IsTooFarInFuture(herr) {
			t.Errorf("%s: histogram err = %v, refused want %v", tc.name, herr, tc.refused)
		}
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if got := testutil.ToFloat64(m.Dropped.WithLabelValues("remote_write", ReasonTooFarInFuture)); got != 4 {
		t.Errorf("dropped{remote_write,too_far_in_future} = %v, want 4 (2 floats + 2 histograms)", got)
	}
	if got := time.UnixMilli(s.DB().Head().MaxTime()); got.After(now.Add(10 * time.Minute)) {
		t.Errorf("head max time %v moved past the bound", got)
	}
	// The bound follows the clock.
	clock.Advance(time.Hour)
	app := g.Source("scrape").Appender(context.Background())
	if _, err := app.Append(0, labels.FromStrings("__name__", "m", "case", "later"), now.Add(65*time.Minute).UnixMilli(), 1); err != nil {
		t.Errorf("after the clock moved: %v", err)
	}
	_ = app.Commit()
}

// A data directory whose head is a year ahead (written before the guard) still
// opens, says so, and accepts samples of the present, across restarts, with
// nothing deleted.
func TestOpenRecoversHeadInTheFuture(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now().Truncate(time.Millisecond)
	old := now.Add(-time.Hour)
	future := now.Add(aheadForTest)
	{
		s, err := Open(Options{Dir: dir, OutOfOrderWindow: 25 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		app := s.Appender(context.Background())
		mustAppend(t, app, labels.FromStrings("__name__", "up", "job", "a"), old, 1)
		mustAppend(t, app, labels.FromStrings("__name__", "up", "job", "evil"), future, 1)
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
		// Without the recovery, the present is refused.
		app = s.Appender(context.Background())
		if _, err := app.Append(0, labels.FromStrings("__name__", "up", "job", "a"), now.UnixMilli(), 1); !errors.Is(err, storage.ErrTooOldSample) {
			t.Fatalf("before recovery: err = %v, want too old", err)
		}
		_ = app.Rollback()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for i, win := range []time.Duration{25 * time.Hour, 0} {
		var logs bytes.Buffer
		s, err := Open(Options{Dir: dir, OutOfOrderWindow: win, Clock: clockwork.NewFakeClockAt(now),
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "head is in the future") {
			t.Errorf("restart %d: no warning logged:\n%s", i, logs.String())
		}
		ts := now.Add(time.Duration(i) * time.Minute)
		app := s.Appender(context.Background())
		mustAppend(t, app, labels.FromStrings("__name__", "up", "job", "a"), ts, 2)
		mustAppend(t, app, labels.FromStrings("__name__", "up", "job", "new"), ts, 3)
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
		// Compaction must not undo it (the head spans a year).
		start := time.Now()
		if err := s.DB().Compact(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Logf("restart %d: compaction over a head %v wide took %v", i, aheadForTest, time.Since(start))
		// After the head compaction moved its floor, the present still lands.
		app = s.Appender(context.Background())
		mustAppend(t, app, labels.FromStrings("__name__", "up", "job", "a"), ts.Add(30*time.Second), 4)
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
		for _, want := range []struct {
			job string
			at  time.Time
			v   float64
		}{{"a", old, 1}, {"a", ts, 2}, {"a", ts.Add(30 * time.Second), 4}, {"new", ts, 3}, {"evil", future, 1}} {
			if got := sampleAt(t, s, want.job, want.at); got != want.v {
				t.Errorf("restart %d: up{job=%q} at %v = %v, want %v", i, want.job, want.at, got, want.v)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func mustAppend(t *testing.T, app storage.Appender, ls labels.Labels, at time.Time, v float64) {
	t.Helper()
	if _, err := app.Append(0, ls, at.UnixMilli(), v); err != nil {
		t.Fatalf("append %s: %v", ls, err)
	}
}

// sampleAt returns the value of up{job} stored exactly at at, or -1.
func sampleAt(t *testing.T, s *Store, job string, at time.Time) float64 {
	t.Helper()
	q, err := s.Querier(at.UnixMilli(), at.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ss := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, "job", job))
	for ss.Next() {
		it := ss.At().Iterator(nil)
		for it.Next() != 0 {
			if ts, v := it.At(); ts == at.UnixMilli() {
				return v
			}
		}
	}
	if ss.Err() != nil {
		t.Fatal(ss.Err())
	}
	return -1
}

// aheadForTest is how far ahead the stray sample is. The TSDB's head
// compaction walks the empty span 2h at a time (one empty block write each),
// so a year would make Compact take minutes; the recovery does not depend on
// the distance.
// (Measured: 30 days ahead, ~20 s per Compact here.)
const aheadForTest = 3 * 24 * time.Hour
