package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
)

// The series limit refuses new series once the head holds MaxSeries, keeps
// appending the series it holds, is counted per source by the FutureGuard,
// and never refuses the write-ahead log replay at reopen, even under a
// lower limit.
func TestSeriesLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	series := func(i int) labels.Labels { return labels.FromStrings("__name__", "m", "i", fmt.Sprint(i)) }
	open := func(limit int) (*Store, *IngestMetrics, *FutureGuard) {
		t.Helper()
		st, err := Open(Options{Dir: dir, MaxSeries: limit})
		if err != nil {
			t.Fatal(err)
		}
		m := NewIngestMetrics(nil)
		return st, m, NewFutureGuard(st, FutureGuardOptions{Metrics: m})
	}
	appendAll := func(g *FutureGuard, ts time.Time, ids ...int) map[int]error {
		t.Helper()
		app := g.Source("scrape").Appender(context.Background())
		errs := map[int]error{}
		for _, i := range ids {
			if _, err := app.Append(0, series(i), ts.UnixMilli(), 1); err != nil {
				errs[i] = err
			}
		}
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
		return errs
	}

	st, m, g := open(3)
	if errs := appendAll(g, now, 0, 1, 2); len(errs) != 0 {
		t.Fatalf("under the limit: %v", errs)
	}
	errs := appendAll(g, now.Add(time.Second), 0, 1, 2, 3, 4)
	if len(errs) != 2 || errs[3] == nil || errs[4] == nil {
		t.Fatalf("at the limit: errors %v, want series 3 and 4 refused", errs)
	}
	var le *SeriesLimitError
	if !errors.Is(errs[3], ErrSeriesLimit) || !errors.As(errs[3], &le) || le.Limit != 3 || !CountedByGuard(errs[3]) {
		t.Errorf("error %v: want a *SeriesLimitError{3} wrapping ErrSeriesLimit", errs[3])
	}
	if got := testutil.ToFloat64(m.Dropped.WithLabelValues("scrape", ReasonSeriesLimit)); got != 2 {
		t.Errorf("dropped{scrape,series_limit} = %v, want 2", got)
	}
	if n := st.DB().Head().NumSeries(); n != 3 {
		t.Errorf("head series = %d, want 3", n)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened under a lower limit: the replay restores all three series,
	// which keep being appended; a new one is still refused.
	st, _, g = open(2)
	defer st.Close()
	if n := st.DB().Head().NumSeries(); n != 3 {
		t.Fatalf("after replay head series = %d, want 3", n)
	}
	errs = appendAll(g, now.Add(2*time.Second), 0, 1, 2, 5)
	if len(errs) != 1 || !IsSeriesLimit(errs[5]) {
		t.Errorf("after reopen: errors %v, want only series 5 refused for the limit", errs)
	}
}
