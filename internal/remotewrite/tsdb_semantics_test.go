package remotewrite

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

// TestTSDBDuplicateSemantics pins down how the embedded TSDB treats replayed
// samples, which the receiver's replay design (docs/ingest.md) relies on.
func TestTSDBDuplicateSemantics(t *testing.T) {
	t.Parallel()
	ls := labels.FromStrings("__name__", "x", "agent", "a")
	tests := []struct {
		name      string
		oooWindow int64
		t         int64
		v         float64
		want      error // nil: accepted (silently, for a duplicate)
		wantCount int   // samples stored afterwards
	}{
		{"identical newest sample", 0, 2000, 2, nil, 2},
		{"identical older sample, no OOO window", 0, 1000, 1, storage.ErrOutOfOrderSample, 2},
		{"same timestamp, other value", 0, 2000, 3, storage.ErrDuplicateSampleForTimestamp, 2},
		{"new older sample, no OOO window", 0, 1500, 1.5, storage.ErrOutOfOrderSample, 2},
		{"identical older sample, OOO window", 3600_000, 1000, 1, nil, 2},
		{"new older sample, OOO window", 3600_000, 1500, 1.5, nil, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tsdb.DefaultOptions()
			opts.OutOfOrderTimeWindow = tc.oooWindow
			db := openTSDB(t, t.TempDir(), opts)
			app := db.Appender(context.Background())
			for _, s := range []struct {
				t int64
				v float64
			}{{1000, 1}, {2000, 2}} {
				if _, err := app.Append(0, ls, s.t, s.v); err != nil {
					t.Fatal(err)
				}
			}
			if err := app.Commit(); err != nil {
				t.Fatal(err)
			}
			app = db.Appender(context.Background())
			_, err := app.Append(0, ls, tc.t, tc.v)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Append(%d, %v) = %v, want %v", tc.t, tc.v, err, tc.want)
			}
			if err := app.Commit(); err != nil {
				t.Fatal(err)
			}
			got := querySamples(t, db, "x")
			if n := len(got[ls.String()]); n != tc.wantCount {
				t.Errorf("stored %d samples, want %d: %v", n, tc.wantCount, got)
			}
		})
	}
}

// TestTSDBOldReplayNeedsOOOWindow: once the head has moved on (other series
// keep arriving), a sample more than an hour older than the head's newest is
// out of bounds unless the TSDB has an out-of-order window. A collector that
// takes agent replays after long outages must set
// OutOfOrderTimeWindow >= the agents' buffer MaxAge (docs/ingest.md).
func TestTSDBOldReplayNeedsOOOWindow(t *testing.T) {
	t.Parallel()
	const hour = int64(3600_000)
	now := int64(100) * hour
	for _, tc := range []struct {
		window int64
		want   error
	}{
		{0, storage.ErrOutOfBounds},
		{24 * hour, nil},
	} {
		opts := tsdb.DefaultOptions()
		opts.OutOfOrderTimeWindow = tc.window
		db := openTSDB(t, t.TempDir(), opts)
		app := db.Appender(context.Background())
		if _, err := app.Append(0, labels.FromStrings("__name__", "probe_up", "device", "sw1"), now, 1); err != nil {
			t.Fatal(err)
		}
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
		app = db.Appender(context.Background())
		_, err := app.Append(0, labels.FromStrings("__name__", "node_load1", "agent", "web1"), now-3*hour, 0.5)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("window %dh: 3h-old sample of a new series: %v, want %v", tc.window/hour, err, tc.want)
		}
		_ = app.Commit()
	}
}
