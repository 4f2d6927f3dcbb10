package remotewrite

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

type point struct {
	T int64
	V float64
}

func openTSDB(t testing.TB, dir string, opts *tsdb.Options) *tsdb.DB {
	t.Helper()
	if opts == nil {
		opts = tsdb.DefaultOptions()
	}
	db, err := tsdb.Open(dir, nil, nil, opts, nil)
	if err != nil {
		t.Fatalf("open tsdb: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// querySamples returns every float sample of the series matching sel, keyed
// by the series' label string. sel is a regular expression on the metric name.
func querySamples(t testing.TB, db *tsdb.DB, sel string) map[string][]point {
	t.Helper()
	ms := []*labels.Matcher{labels.MustNewMatcher(labels.MatchRegexp, model.MetricNameLabel, sel)}
	q, err := db.Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	out := map[string][]point{}
	ss := q.Select(context.Background(), true, nil, ms...)
	for ss.Next() {
		s := ss.At()
		key := s.Labels().String()
		it := s.Iterator(nil)
		for it.Next() == chunkenc.ValFloat {
			ts, v := it.At()
			out[key] = append(out[key], point{ts, v})
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
	}
	if ss.Err() != nil {
		t.Fatal(ss.Err())
	}
	return out
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func mustRead(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}
