package report

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/report/reporttest"
)

// TestAvailabilityPathsAgree reads availability from the TSDB directly and
// through PromQL range queries (the query-API mode) over the reporttest
// fixture and wants the same numbers from both, for a closed month, a month
// still running, a quarter and a selector that matches nothing.
func TestAvailabilityPathsAgree(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	loc := f.r.o.Location
	month, _ := Month(reporttest.Month, loc)
	quarter, _ := Quarter("2026Q3", loc)
	tests := []struct {
		name     string
		p        Period
		now      time.Time
		selector string
		devices  int
	}{
		{"closed month", month, f.now, "", 6},
		{"month running", month, time.Date(2026, 9, 15, 10, 0, 0, 0, loc), "", 6},
		{"month running, odd instant", month, time.Date(2026, 9, 10, 4, 31, 7, 0, loc), "", 6},
		{"quarter", quarter, f.now, "", 6},
		{"one class", month, f.now, `roomwatch_probe_up{probe="icmp",class="camera"}`, 3},
		{"nothing", month, f.now, `roomwatch_probe_up{probe="none"}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Location: loc, Clock: clockwork.NewFakeClockAt(tc.now), UpSelector: tc.selector}
			viaPromQL, err := New(Sources{Metrics: f.st.PromQL()}, opts)
			if err != nil {
				t.Fatal(err)
			}
			viaTSDB, err := New(Sources{Series: f.st}, opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			want, err := viaPromQL.availability(ctx, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := viaTSDB.availability(ctx, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != tc.devices || len(got) != tc.devices {
				t.Fatalf("devices: PromQL %d, TSDB %d, want %d", len(want), len(got), tc.devices)
			}
			for dev, w := range want {
				g := got[dev]
				if g == nil {
					t.Errorf("%s: missing from the TSDB path", dev)
					continue
				}
				if *g != *w {
					t.Errorf("%s: TSDB %+v, PromQL %+v", dev, *g, *w)
				}
			}
		})
	}
	// A known number, so agreeing on a wrong one fails too: cam-002 is down
	// 5 h of the 720 h month, 150 of 21,600 two-minute samples.
	tsdb, err := New(Sources{Series: f.st}, Options{Location: loc, Clock: clockwork.NewFakeClockAt(f.now)})
	if err != nil {
		t.Fatal(err)
	}
	av, err := tsdb.availability(context.Background(), month)
	if err != nil {
		t.Fatal(err)
	}
	if c := av["cam-002"]; c == nil || c.Samples != 21600 || c.Up != 21450 || c.Down != 5*time.Hour || c.Class != "camera" || c.Site != "north" {
		t.Errorf("cam-002 = %+v, want 21450 up of 21600, down 5h", c)
	}
}

func TestAvailabilityBadSelector(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	month, _ := Month(reporttest.Month, f.r.o.Location)
	r, err := New(Sources{Series: f.st}, Options{Location: f.r.o.Location, Clock: clockwork.NewFakeClockAt(f.now), UpSelector: "up{"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.availability(context.Background(), month); err == nil {
		t.Error("bad selector: no error")
	}
}
