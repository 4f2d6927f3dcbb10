package probe

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/inventory"
)

// render writes a series as name{a="b",…} value, labels in order.
func render(s Series) string {
	var b strings.Builder
	b.WriteString(s.Name + "{")
	for i, l := range s.Labels {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(l.Name + `="` + l.Value + `"`)
	}
	b.WriteString("} " + strconv.FormatFloat(s.Value, 'g', -1, 64))
	return b.String()
}

func TestResultSeries(t *testing.T) {
	t.Parallel()
	ups := &inventory.Device{Name: "ups-1", DisplayName: "一楼UPS", Class: inventory.ClassUPS, Site: "hq", Vendor: "APC", Room: "1F", Parent: "sw-1"}
	target := inventory.Target{Device: ups, Name: "ups-1", Address: "10.0.0.9"}
	start := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name     string
		r        Result
		failures float64
		want     []string
		invalid  []string
	}{
		{
			name: "answered, with the device's own report and a clashing label",
			r: func() Result {
				r := Result{Target: target, Probe: "snmp", Start: start, Duration: 250 * time.Millisecond}
				r.Add("roomwatch_device_reported", Info, 1, "", map[string]string{"reported_vendor": "apc", "reported_model": "Smart-UPS 1500", "vendor": "clash"})
				r.Add("roomwatch_ups_on_battery", Gauge, 1, "", nil)
				r.Add("roomwatch_ups_on_battery", Gauge, 0, "", nil) // a duplicate: the first wins
				r.Add("roomwatch_ups_input_voltage_volts", Gauge, 221, "", map[string]string{"phase": "1", "empty": ""})
				return r
			}(),
			want: []string{
				`roomwatch_device_info{address="10.0.0.9",class="ups",device="ups-1",display_name="一楼UPS",parent="sw-1",room="1F",site="hq",vendor="APC"} 1`,
				`roomwatch_probe_up{class="ups",device="ups-1",probe="snmp",site="hq",vendor="APC"} 1`,
				`roomwatch_probe_duration_seconds{class="ups",device="ups-1",probe="snmp",site="hq",vendor="APC"} 0.25`,
				`roomwatch_probe_last_run_timestamp_seconds{class="ups",device="ups-1",probe="snmp",site="hq",vendor="APC"} 1.8e+09`,
				`roomwatch_probe_failures_total{class="ups",device="ups-1",probe="snmp",site="hq",vendor="APC"} 0`,
				`roomwatch_device_reported_info{class="ups",device="ups-1",exported_vendor="clash",reported_model="Smart-UPS 1500",reported_vendor="apc",site="hq",vendor="APC"} 1`,
				`roomwatch_ups_on_battery{class="ups",device="ups-1",site="hq",vendor="APC"} 1`,
				`roomwatch_ups_input_voltage_volts{class="ups",device="ups-1",phase="1",site="hq",vendor="APC"} 221`,
			},
		},
		{
			name:     "failed, no device in the inventory entry, invalid samples",
			failures: 3,
			r: func() Result {
				r := Result{Target: inventory.Target{Name: "lone"}, Probe: "tcp", Duration: time.Second, Err: Errorf(ReasonRefused, "port 80: %w", errors.New("refused"))}
				r.Add("bad name", Gauge, 1, "", nil)
				r.Add("roomwatch_x", Gauge, 1, "", map[string]string{"bad-label": "x"})
				return r
			}(),
			want: []string{
				`roomwatch_device_info{device="lone"} 1`,
				`roomwatch_probe_up{device="lone",probe="tcp"} 0`,
				`roomwatch_probe_duration_seconds{device="lone",probe="tcp"} 1`,
				`roomwatch_probe_failures_total{device="lone",probe="tcp"} 3`,
				`roomwatch_probe_error_info{device="lone",probe="tcp",reason="refused"} 1`,
			},
			invalid: []string{`invalid metric name "bad name"`, `metric roomwatch_x: invalid label name "bad-label"`},
		},
		{
			name:     "brief: no duration, last run, failures or detail samples",
			failures: 2,
			r: func() Result {
				cam := &inventory.Device{Name: "cam-7", Class: inventory.ClassCamera, Site: "hq"}
				r := Result{Target: inventory.Target{Device: cam, Name: "cam-7", Address: "10.0.0.7"}, Probe: "icmp", Start: start,
					Duration: 2 * time.Second, Brief: true}
				r.Samples = []Sample{
					{Name: "roomwatch_ping_loss_ratio", Type: Gauge, Value: 0},
					{Name: "roomwatch_ping_rtt_seconds", Type: Gauge, Labels: map[string]string{"stat": "min"}, Value: 0.001, Detail: true},
					{Name: "roomwatch_ping_rtt_seconds", Type: Gauge, Labels: map[string]string{"stat": "avg"}, Value: 0.002},
					{Name: "roomwatch_ping_rtt_seconds", Type: Gauge, Labels: map[string]string{"stat": "max"}, Value: 0.003, Detail: true},
					{Name: "roomwatch_ping_jitter_seconds", Type: Gauge, Value: 0.0005, Detail: true},
				}
				return r
			}(),
			want: []string{
				`roomwatch_device_info{address="10.0.0.7",class="camera",device="cam-7",site="hq"} 1`,
				`roomwatch_probe_up{class="camera",device="cam-7",probe="icmp",site="hq"} 1`,
				`roomwatch_ping_loss_ratio{class="camera",device="cam-7",site="hq"} 0`,
				`roomwatch_ping_rtt_seconds{class="camera",device="cam-7",site="hq",stat="avg"} 0.002`,
			},
		},
		{
			name: "brief and failing: the reason stays",
			r: Result{Target: inventory.Target{Name: "lone"}, Probe: "tcp", Start: start, Duration: time.Second, Brief: true,
				Err: Errorf(ReasonTimeout, "no answer")},
			failures: 1,
			want: []string{
				`roomwatch_device_info{device="lone"} 1`,
				`roomwatch_probe_up{device="lone",probe="tcp"} 0`,
				`roomwatch_probe_error_info{device="lone",probe="tcp",reason="timeout"} 1`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			series, invalid := ResultSeries(tc.r, tc.failures)
			var got []string
			for _, s := range series {
				got = append(got, render(s))
				if s.PerDevice != (s.Name == MetricDeviceInfo) {
					t.Errorf("%s: PerDevice %v", s.Name, s.PerDevice)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("series:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			var gotInvalid []string
			for _, e := range invalid {
				gotInvalid = append(gotInvalid, e.Error())
			}
			if strings.Join(gotInvalid, "\n") != strings.Join(tc.invalid, "\n") {
				t.Errorf("invalid = %q, want %q", gotInvalid, tc.invalid)
			}
		})
	}
}

// TestResultSeriesDuplicatesInLargeResults: a repeated series is left out
// whether it comes among the first series of a result (compared one by one)
// or after linearDedup of them (looked up in a map), and whichever of the
// two its first occurrence was in.
func TestResultSeriesDuplicatesInLargeResults(t *testing.T) {
	t.Parallel()
	target := inventory.Target{Name: "sw-1"}
	port := func(i int) map[string]string { return map[string]string{"port": strconv.Itoa(i)} }
	for _, tc := range []struct {
		name  string
		ports int   // distinct samples
		dups  []int // ports added again, after all of them
	}{
		{"small result", 3, []int{0, 2}},
		{"past the threshold, first occurrence compared one by one", 2 * linearDedup, []int{1}},
		{"past the threshold, first occurrence in the map", 2 * linearDedup, []int{linearDedup + 5, 2*linearDedup - 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := Result{Target: target, Probe: "snmp"}
			for i := range tc.ports {
				r.Add("roomwatch_if_up", Gauge, 1, "", port(i))
			}
			for _, i := range tc.dups {
				r.Add("roomwatch_if_up", Gauge, 0, "", port(i)) // the first wins
			}
			series, _ := ResultSeries(r, 0)
			got := 0
			for _, s := range series {
				if s.Name == "roomwatch_if_up" {
					got++
					if s.Value != 1 {
						t.Errorf("%s: value %v, want the first occurrence's 1", render(s), s.Value)
					}
				}
			}
			if got != tc.ports {
				t.Errorf("%d roomwatch_if_up series, want %d", got, tc.ports)
			}
		})
	}
}
