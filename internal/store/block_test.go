package store

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// TestWriteBlock: a block of 90 moments (past one 60-moment commit) opens in
// the store with every sample in place.
func TestWriteBlock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	start := time.Now().Add(-3 * time.Hour).Truncate(time.Hour)
	ls := labels.FromStrings(model.MetricNameLabel, "block_test", "device", "d1")
	var ref storage.SeriesRef
	err := WriteBlock(context.Background(), dir, start, 90, time.Minute, func(app storage.Appender, ts time.Time) error {
		var err error
		ref, err = app.Append(ref, ls, ts.UnixMilli(), 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.PromQL().Query(context.Background(), `count_over_time(block_test[2h])`, start.Add(89*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if vec := v.(model.Vector); len(vec) != 1 || vec[0].Value != 90 {
		t.Errorf("samples in the block: %v, want 90", vec)
	}
}
