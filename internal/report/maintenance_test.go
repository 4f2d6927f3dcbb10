package report

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/report/reporttest"
	"github.com/roomwatch/roomwatch/internal/silence"
)

// TestAvailabilityLeavesMaintenanceOut: windows over cam-002's 5 h outage
// (by device) and ups1's 30 min one (by class, two overlapping windows) take
// that time out of their availability on both read paths; a window naming an
// alertname does not count; the monthly report lists the windows.
func TestAvailabilityLeavesMaintenanceOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	loc := f.r.o.Location
	month, _ := Month(reporttest.Month, loc)
	ctx := context.Background()
	st, err := silence.OpenStore(ctx, filepath.Join(t.TempDir(), "silences.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Windows set ahead of time, on a clock in August.
	set, err := silence.NewSet(ctx, silence.Options{Store: st, Clock: clockwork.NewFakeClockAt(time.Date(2026, 8, 1, 0, 0, 0, 0, loc))})
	if err != nil {
		t.Fatal(err)
	}
	add := func(start, end time.Time, ms ...string) {
		t.Helper()
		m, err := silence.ParseMatchers(ms)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := set.Put(ctx, silence.Silence{Matchers: m, StartsAt: start, EndsAt: end, CreatedBy: "li.gong", Comment: "计划维护"}); err != nil {
			t.Fatal(err)
		}
	}
	at := func(d, h, m int) time.Time { return time.Date(2026, 9, d, h, m, 0, 0, loc) }
	add(at(10, 2, 0), at(10, 7, 0), `device="cam-002"`)
	add(at(20, 13, 30), at(20, 14, 15), `class="ups"`)
	add(at(20, 14, 0), at(20, 15, 0), `class="ups"`, `site="hq"`)
	add(at(5, 0, 0), at(6, 0, 0), `device="core-sw1"`, `alertname="PortDown"`) // alerts only

	var results []map[string]*DeviceAvail
	for _, src := range []Sources{{Series: f.st, Silences: set}, {Metrics: f.st.PromQL(), Silences: set}} {
		r, err := New(src, Options{Location: loc, Clock: clockwork.NewFakeClockAt(f.now)})
		if err != nil {
			t.Fatal(err)
		}
		av, err := r.availability(ctx, month)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, av)
		cam, ups, sw := av["cam-002"], av["ups1"], av["core-sw1"]
		if cam.Availability != 1 || cam.Down != 0 || cam.Excluded != 5*time.Hour || cam.Samples != 21600-150 {
			t.Errorf("cam-002 %+v, want 100%%, 5 h excluded", *cam)
		}
		if ups.Availability != 1 || ups.Down != 0 || ups.Excluded != 90*time.Minute {
			t.Errorf("ups1 %+v, want 100%%, 90 min excluded", *ups)
		}
		if sw.Excluded != 0 || sw.Samples != 21600 {
			t.Errorf("core-sw1 %+v: an alertname window was taken out", *sw)
		}
		m, err := r.Monthly(ctx, month)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Windows) != 4 {
			t.Fatalf("monthly lists %d windows, want 4", len(m.Windows))
		}
		doc := m.Document(r)
		var found bool
		for _, s := range doc.Sections {
			if s.Sheet == "计划维护" {
				found = len(s.Rows) == 4 && s.Rows[0][3] == `device="core-sw1" alertname="PortDown"`
			}
		}
		if !found {
			t.Error("the monthly report has no maintenance section with the 4 windows")
		}
	}
	for dev, a := range results[0] {
		if b := results[1][dev]; b == nil || *a != *b {
			t.Errorf("%s: TSDB %+v, PromQL %+v", dev, *a, b)
		}
	}
}
