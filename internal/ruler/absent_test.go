package ruler

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/value"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/store"
)

// TestResolveForLackOfData: a UPS on battery fires; its series then go stale
// (the SNMP agent fell silent, as the probe sink writes staleness markers) and
// the rule manager resolves the alert: the resolve is marked data-absent.
// When fresh data shows mains power, a normal resolve follows. A condition
// cleared by fresh data resolves normally from the start.
func TestResolveForLackOfData(t *testing.T) {
	t.Parallel()
	s, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rf := filepath.Join(t.TempDir(), "r.yml")
	if err := os.WriteFile(rf, []byte(`groups:
- name: power
  interval: 200ms
  rules:
  - alert: UPSOnBattery
    expr: roomwatch_ups_on_battery == 1
    for: 500ms
    labels: {family: power}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	sink := &recSink{}
	r, err := New(Options{Files: []string{rf}, Engine: s.Engine(), Queryable: s, Appendable: s, Sink: sink,
		Interval: 200 * time.Millisecond, ResendDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	silent := `roomwatch_ups_on_battery{device="ups-1",class="ups"}`
	cleared := `roomwatch_ups_on_battery{device="ups-2",class="ups"}`
	f := &feeder{val: map[string]float64{silent: 1, cleared: 1}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); f.run(ctx, t, s) }()
	go func() { defer wg.Done(); _ = r.Run(ctx) }()
	defer wg.Wait()
	defer cancel()

	// find returns the newest alert sent for device in the given state.
	find := func(device string, resolved bool) (alert.Alert, bool) {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		now := time.Now()
		for i := len(sink.alerts) - 1; i >= 0; i-- {
			a := sink.alerts[i]
			if a.Labels["device"] == device && (a.Status(now) == alert.StatusResolved) == resolved {
				return a, true
			}
		}
		return alert.Alert{}, false
	}
	for _, d := range []string{"ups-1", "ups-2"} {
		waitFor(t, d+" firing", 20*time.Second, func() bool { _, ok := find(d, false); return ok })
	}
	f.set(silent, math.Float64frombits(value.StaleNaN))
	f.set(cleared, 0)
	waitFor(t, "both resolved", 20*time.Second, func() bool {
		_, a := find("ups-1", true)
		_, b := find("ups-2", true)
		return a && b
	})
	if a, _ := find("ups-1", true); !a.DataAbsent() {
		t.Errorf("ups-1 (series stale) resolved without the data-absent mark: %v", a.Annotations)
	}
	if a, _ := find("ups-2", true); a.DataAbsent() {
		t.Errorf("ups-2 (fresh 0) resolved marked data-absent: %v", a.Annotations)
	}
	// Fresh data on mains: a normal resolve for ups-1 follows.
	f.set(silent, 0)
	waitFor(t, "ups-1 normal resolve", 20*time.Second, func() bool {
		a, ok := find("ups-1", true)
		return ok && !a.DataAbsent()
	})
	// Resends of the old resolve stay normal from then on.
	time.Sleep(time.Second)
	if a, _ := find("ups-1", true); a.DataAbsent() {
		t.Errorf("a resend after the normal resolve is marked data-absent again")
	}
}
