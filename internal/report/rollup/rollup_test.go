package rollup_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/roomwatch/roomwatch/internal/report"
	"github.com/roomwatch/roomwatch/internal/report/reporttest"
	"github.com/roomwatch/roomwatch/internal/report/rollup"
	"github.com/roomwatch/roomwatch/internal/store"
)

// The fixture: 95 days of 5-minute ping results, 2026-09-28 to 2026-12-31,
// for two cameras and a UPS. cam-a is down 10 h on 5 October, ups-1 1 h on
// 20 December.
var (
	loc       = reporttest.Shanghai()
	dataStart = time.Date(2026, 9, 28, 0, 0, 0, 0, loc)
	dataEnd   = time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
	reportAt  = time.Date(2027, 1, 2, 10, 0, 0, 0, loc)
	camDown   = [2]time.Time{time.Date(2026, 10, 5, 0, 0, 0, 0, loc), time.Date(2026, 10, 5, 10, 0, 0, 0, loc)}
	upsDown   = [2]time.Time{time.Date(2026, 12, 20, 9, 0, 0, 0, loc), time.Date(2026, 12, 20, 10, 0, 0, 0, loc)}
)

func buildTSDB(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(store.Options{Dir: filepath.Join(t.TempDir(), "tsdb"), Retention: 400 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	devs := []struct{ name, class string }{{"cam-a", "camera"}, {"cam-b", "camera"}, {"ups-1", "ups"}}
	series := make([]labels.Labels, len(devs))
	for i, d := range devs {
		series[i] = labels.FromStrings("__name__", "roomwatch_probe_up", "class", d.class, "device", d.name, "probe", "icmp", "site", "hq")
	}
	ctx := context.Background()
	app := st.Appender(ctx)
	n := 0
	in := func(ts time.Time, w [2]time.Time) bool { return !ts.Before(w[0]) && ts.Before(w[1]) }
	for ts := dataStart; ts.Before(dataEnd); ts = ts.Add(5 * time.Minute) {
		for i, d := range devs {
			v := 1.0
			if d.name == "cam-a" && in(ts, camDown) || d.name == "ups-1" && in(ts, upsDown) {
				v = 0
			}
			if _, err := app.Append(0, series[i], ts.UnixMilli(), v); err != nil {
				t.Fatal(err)
			}
		}
		if n++; n%1000 == 0 {
			if err := app.Commit(); err != nil {
				t.Fatal(err)
			}
			app = st.Appender(ctx)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	return st
}

func openStore(t *testing.T) *rollup.Store {
	t.Helper()
	s, err := rollup.Open(context.Background(), filepath.Join(t.TempDir(), "rollups.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rollUp runs the job once at now over the TSDB into s.
func rollUp(t *testing.T, s *rollup.Store, st *store.Store, now time.Time) int {
	t.Helper()
	clk := clockwork.NewFakeClockAt(now)
	raw, err := report.New(report.Sources{Series: st}, report.Options{Location: loc, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	j, err := rollup.NewJob(rollup.JobOptions{Store: s, Totals: raw, Location: loc, Clock: clk,
		Earliest: func() (time.Time, bool) { return dataStart, true }})
	if err != nil {
		t.Fatal(err)
	}
	n, err := j.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func quarter(t *testing.T, src report.Sources) *report.Quarterly {
	t.Helper()
	r, err := report.New(src, report.Options{Location: loc, Clock: clockwork.NewFakeClockAt(reportAt)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := report.Quarter("2026Q4", loc)
	if err != nil {
		t.Fatal(err)
	}
	q, err := r.Quarterly(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func classAvail(q *report.Quarterly, month int, class string) (report.ClassAvail, bool) {
	for _, c := range q.Months[month].Classes {
		if c.Class == class {
			return c, true
		}
	}
	return report.ClassAvail{}, false
}

// TestQuarterFromRollups: a quarterly report over 95 days of data gives the
// same availability from the daily roll-ups alone (the raw samples gone),
// from the TSDB alone, and from both (the last month not yet rolled up), and
// the hand-computed numbers.
func TestQuarterFromRollups(t *testing.T) {
	st := buildTSDB(t)
	all := openStore(t)
	// The 95 days of data and 1 January, a whole day with none.
	if n := rollUp(t, all, st, reportAt); n != 96 {
		t.Fatalf("rolled up %d days, want 96", n)
	}
	if n := rollUp(t, all, st, reportAt); n != 0 {
		t.Errorf("a second run rolled up %d days again, want 0", n)
	}
	// Rolled up on 1 December at 09:00: October and November only.
	partial := openStore(t)
	if n, want := rollUp(t, partial, st, time.Date(2026, 12, 1, 9, 0, 0, 0, loc)), 34+30; n != want {
		t.Fatalf("rolled up %d days by 1 December, want %d", n, want)
	}

	raw := quarter(t, report.Sources{Series: st})
	cases := map[string]*report.Quarterly{
		"roll-ups only (raw samples gone)":    quarter(t, report.Sources{Rollups: all}),
		"roll-ups and TSDB":                   quarter(t, report.Sources{Series: st, Rollups: all}),
		"two months rolled up, one from TSDB": quarter(t, report.Sources{Series: st, Rollups: partial}),
	}
	// Hand-computed: October has 31 × 288 = 8,928 samples per device; cam-a
	// misses 120 (10 h); the camera class is the mean of its two devices.
	oct := (8928.0 - 120) / 8928
	wantCam := (oct + 1) / 2
	// December: 31 × 288 samples, ups-1 down 12 (1 h).
	wantUPS := (8928.0 - 12) / 8928
	for name, q := range append2(cases, "TSDB only", raw) {
		t.Run(name, func(t *testing.T) {
			if len(q.Months) != 3 {
				t.Fatalf("%d months, want 3", len(q.Months))
			}
			if c, ok := classAvail(q, 0, "camera"); !ok || c.Devices != 2 || math.Abs(c.Availability-wantCam) > 1e-12 {
				t.Errorf("October cameras = %+v, want 2 devices at %.6f", c, wantCam)
			}
			if c, ok := classAvail(q, 2, "ups"); !ok || c.Devices != 1 || math.Abs(c.Availability-wantUPS) > 1e-12 || c.Down != time.Hour {
				t.Errorf("December UPS = %+v, want %.6f and 1h down", c, wantUPS)
			}
			for mi := range q.Months {
				for _, c := range raw.Months[mi].Classes {
					got, ok := classAvail(q, mi, c.Class)
					if !ok || got != c {
						t.Errorf("%s %s = %+v, the TSDB gives %+v", q.Months[mi].Period.Label, c.Class, got, c)
					}
				}
			}
		})
	}
}

func append2(m map[string]*report.Quarterly, k string, v *report.Quarterly) map[string]*report.Quarterly {
	m[k] = v
	return m
}

// TestRetention: rows older than the retention are pruned; a retention
// under 400 days is refused.
func TestRetention(t *testing.T) {
	st := buildTSDB(t)
	s := openStore(t)
	rollUp(t, s, st, reportAt)
	ctx := context.Background()
	clk := clockwork.NewFakeClockAt(dataStart.AddDate(0, 0, 450))
	raw, err := report.New(report.Sources{Series: st}, report.Options{Location: loc, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rollup.NewJob(rollup.JobOptions{Store: s, Totals: raw, Location: loc, Clock: clk, Retention: 100 * 24 * time.Hour,
		Earliest: func() (time.Time, bool) { return dataStart, true }}); err == nil {
		t.Error("a retention of 100 days was accepted")
	}
	j, err := rollup.NewJob(rollup.JobOptions{Store: s, Totals: raw, Location: loc, Clock: clk, Retention: rollup.MinRetention,
		Earliest: func() (time.Time, bool) { return dataStart, true }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	// 450 days after the first day with 400 days kept: the first 50 are gone.
	got, err := s.Days(ctx, []string{"2026-11-16", "2026-11-17"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["2026-11-16"]; ok {
		t.Error("2026-11-16 (day 50) survived a 400-day retention 450 days on")
	}
	if m, ok := got["2026-11-17"]; !ok || len(m) != 3 {
		t.Errorf("2026-11-17 = %v, want its 3 devices kept", m)
	}
}
