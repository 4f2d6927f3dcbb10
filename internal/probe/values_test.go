package probe

import (
	"errors"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/inventory"
)

// TestResultValues holds ResultValues to ResultSeries: every series' value is
// the one at its Source, with invalid and duplicate samples left out of the
// series but not of the values.
func TestResultValues(t *testing.T) {
	t.Parallel()
	cam := &inventory.Device{Name: "cam-1", Class: inventory.ClassCamera, Site: "hq", Room: "2F"}
	target := inventory.Target{Device: cam, Name: "cam-1", Address: "10.0.0.7"}
	start := time.Unix(1_800_000_000, 500_000_000)
	ok := Result{Target: target, Probe: "icmp", Start: start, Duration: 2*time.Second + 300*time.Microsecond}
	ok.Add("roomwatch_ping_loss_ratio", Gauge, 0, "loss", nil)
	ok.Add("roomwatch_ping_rtt_seconds", Gauge, 0.0003, "rtt", map[string]string{"stat": "min"})
	ok.Add("bad name", Gauge, 7, "", nil)
	ok.Add("roomwatch_ping_rtt_seconds", Gauge, 0.0009, "rtt", map[string]string{"stat": "min"}) // duplicate
	ok.Add("roomwatch_ping_rtt_seconds", Gauge, 0.0005, "rtt", map[string]string{"stat": "max"})
	failed := Result{Target: target, Probe: "tcp", Start: start, Duration: time.Second, Err: Errorf(ReasonTimeout, "no answer")}
	noStart := Result{Target: inventory.Target{Name: "bare", Address: "10.0.0.8"}, Probe: "http"}
	brief := ok
	brief.Brief = true
	brief.Samples = append([]Sample(nil), ok.Samples...)
	brief.Samples[1].Detail = true // min: left out, max stays
	briefFailed := failed
	briefFailed.Brief = true
	for _, tc := range []struct {
		name     string
		r        Result
		failures float64
		series   int
	}{
		{"answered, with an invalid and a duplicate sample", ok, 0, 8},
		{"failing", failed, 3, 6},
		{"no start, no device", noStart, 1, 4},
		// device info, up, loss, the second min (not a detail: its value
		// at its own Source) and max; the invalid one is not a series.
		{"brief", brief, 0, 5},
		{"brief and failing", briefFailed, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			series, _ := ResultSeries(tc.r, tc.failures)
			vals := ResultValues(nil, tc.r, tc.failures)
			if len(series) != tc.series {
				t.Fatalf("%d series, want %d", len(series), tc.series)
			}
			for _, s := range series {
				if s.Source < 0 || s.Source >= len(vals) {
					t.Fatalf("%s: Source %d outside %d values", s.Name, s.Source, len(vals))
				}
				if vals[s.Source] != s.Value {
					t.Errorf("%s: value at Source %d is %v, series has %v", render(s), s.Source, vals[s.Source], s.Value)
				}
			}
		})
	}
}

func TestSameShape(t *testing.T) {
	t.Parallel()
	cam := &inventory.Device{Name: "cam-1", Class: inventory.ClassCamera, Site: "hq"}
	base := func() Result {
		r := Result{Target: inventory.Target{Device: cam, Name: "cam-1", Address: "10.0.0.7"}, Probe: "icmp",
			Start: time.Unix(1_800_000_000, 0), Duration: time.Second}
		r.Add("roomwatch_ping_loss_ratio", Gauge, 0, "loss", nil)
		r.Add("roomwatch_ping_rtt_seconds", Gauge, 0.001, "rtt", map[string]string{"stat": "avg"})
		return r
	}
	for _, tc := range []struct {
		name   string
		change func(*Result)
		same   bool
	}{
		{"other values and start", func(r *Result) {
			r.Start, r.Duration, r.Samples[0].Value, r.Samples[1].Value = r.Start.Add(time.Minute), 3*time.Second, 0.5, 0.002
		}, true},
		{"a copy of the labels", func(r *Result) { r.Samples[1].Labels = map[string]string{"stat": "avg"} }, true},
		{"another label value", func(r *Result) { r.Samples[1].Labels = map[string]string{"stat": "max"} }, false},
		{"a sample fewer", func(r *Result) { r.Samples = r.Samples[:1] }, false},
		{"another help", func(r *Result) { r.Samples[0].Help = "other" }, false},
		{"failed", func(r *Result) { r.Err = errors.New("down") }, false},
		{"no start", func(r *Result) { r.Start = time.Time{} }, false},
		{"another check", func(r *Result) { r.Probe = "tcp" }, false},
		{"another address", func(r *Result) { r.Target.Address = "10.0.0.9" }, false},
		{"another device", func(r *Result) { r.Target.Device = &inventory.Device{Name: "cam-1"} }, false},
		{"brief", func(r *Result) { r.Brief = true }, false},
		{"a detail sample", func(r *Result) { r.Samples[1].Detail = true }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := base(), base()
			tc.change(&b)
			if got := SameShape(a, b); got != tc.same {
				t.Errorf("SameShape = %v, want %v", got, tc.same)
			}
		})
	}
	e1, e2 := base(), base()
	e1.Err, e2.Err = Errorf(ReasonTimeout, "a"), Errorf(ReasonTimeout, "b")
	if !SameShape(e1, e2) {
		t.Error("two failures of one reason: not the same shape")
	}
	e2.Err = Errorf(ReasonRefused, "b")
	if SameShape(e1, e2) {
		t.Error("failures of two reasons: the same shape")
	}
}
