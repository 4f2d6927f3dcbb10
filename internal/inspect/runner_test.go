package inspect_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/store"
)

// TestRunnerConcurrentItemsKeepOrder runs 8 items 3 at a time over a real
// store and checks rows come out in template order, then inventory order,
// with one progress report per item ending at the totals.
func TestRunnerConcurrentItemsKeepOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := time.Date(2026, 5, 20, 0, 30, 0, 0, time.UTC)
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inv := &inventory.Inventory{Sites: []inventory.Site{{Name: "central"}}}
	app := st.Appender(ctx)
	for i := range 5 {
		name := fmt.Sprintf("dev-%d", i)
		inv.Devices = append(inv.Devices, inventory.Device{Name: name, Class: inventory.ClassServer, Address: fmt.Sprintf("127.0.0.%d", i+1), Site: "central"})
		if _, err := app.Append(0, labels.FromStrings("__name__", "runner_test_value", "device", name), at.Add(-time.Minute).UnixMilli(), float64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	var y strings.Builder
	y.WriteString("name: many\ntitle: 多项\nrhythm: on_demand\nitems:\n")
	for i := range 8 {
		fmt.Fprintf(&y, "  - {id: item_%d, name: 项%d, name_en: Item %d, metric: {query: 'runner_test_value + %d', abnormal: '> 100'}}\n", i, i, i, i)
	}
	tmpl, err := inspect.ParseTemplate("many.yml", []byte(y.String()))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := inspect.OpenStore(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer recs.Close()
	var reports []inspect.Progress
	r, err := inspect.NewRunner(inspect.Options{Querier: st.PromQL(), Inventory: inv, Store: recs, Concurrency: 3,
		Clock: clockwork.NewFakeClockAt(at), Progress: func(p inspect.Progress) { reports = append(reports, p) }})
	if err != nil {
		t.Fatal(err)
	}
	in, err := r.Run(ctx, tmpl, inspect.RunOptions{At: at, Trigger: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Rows) != 40 {
		t.Fatalf("%d rows, want 40", len(in.Rows))
	}
	for k, row := range in.Rows {
		item, dev := k/5, k%5
		if row.Item != fmt.Sprintf("item_%d", item) || row.Device != fmt.Sprintf("dev-%d", dev) ||
			row.Value == nil || *row.Value != float64(item+dev) || row.Verdict != inspect.Normal {
			t.Fatalf("row %d = %s/%s %v %s, want item_%d/dev-%d = %d", k, row.Item, row.Device, row.Value, row.Verdict, item, dev, item+dev)
		}
	}
	if len(reports) != 8 {
		t.Fatalf("%d progress reports, want 8", len(reports))
	}
	for i, p := range reports {
		if p.ItemsDone != i+1 || p.Items != 8 || p.Checks != 40 || p.Devices != 5 || p.ChecksDone != 5*(i+1) {
			t.Errorf("report %d: %+v", i, p)
		}
	}
	back, err := recs.Get(ctx, in.ID)
	if err != nil || len(back.Rows) != 40 || back.Rows[7].Name != "项1" || back.Rows[7].Evidence.Query != "runner_test_value + 1" {
		t.Errorf("stored record: %v %+v", err, back.Rows[7])
	}

	// A cancelled run stores nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.Run(cctx, tmpl, inspect.RunOptions{At: at}); err == nil {
		t.Error("cancelled run succeeded")
	}
	if l, _ := recs.List(ctx, inspect.Filter{}); len(l) != 1 {
		t.Errorf("%d records after a cancelled run, want 1", len(l))
	}
}
