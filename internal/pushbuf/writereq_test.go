package pushbuf

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/prometheus/prometheus/prompb"

	"github.com/roomwatch/roomwatch/internal/registry"
)

// TestWriteRequestMatchesPrompb decodes the hand-encoded WriteRequest with
// Prometheus' own prompb, alone and with two encodings concatenated (how the
// sender batches records).
func TestWriteRequestMatchesPrompb(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  WriteRequest
	}{
		{"empty", WriteRequest{}},
		{"one series", WriteRequest{Timeseries: []TimeSeries{{
			Labels:  []Label{{Name: "__name__", Value: "node_load1"}, {Name: "agent", Value: "web1"}},
			Samples: []Sample{{Value: 0.25, Timestamp: 1_700_000_000_123}},
		}}}},
		{"odd values", WriteRequest{Timeseries: []TimeSeries{
			{Labels: []Label{{Name: "__name__", Value: "a"}, {Name: "site", Value: "城关"}, {Name: "empty", Value: ""}}, Samples: []Sample{{Value: 0, Timestamp: 0}, {Value: -1, Timestamp: -5}}},
			{Labels: []Label{{Name: "__name__", Value: "b"}}, Samples: []Sample{{Value: math.Inf(1), Timestamp: math.MaxInt64}, {Value: -math.MaxFloat64, Timestamp: 1}}},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := tt.req.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			for _, copies := range []int{1, 2} {
				var raw []byte
				for range copies {
					raw = append(raw, data...)
				}
				var got prompb.WriteRequest
				if err := got.Unmarshal(raw); err != nil {
					t.Fatalf("prompb cannot decode %d copies: %v", copies, err)
				}
				var want []prompb.TimeSeries
				for range copies {
					for _, s := range tt.req.Timeseries {
						ps := prompb.TimeSeries{}
						for _, l := range s.Labels {
							ps.Labels = append(ps.Labels, prompb.Label{Name: l.Name, Value: l.Value})
						}
						for _, x := range s.Samples {
							ps.Samples = append(ps.Samples, prompb.Sample{Value: x.Value, Timestamp: x.Timestamp})
						}
						want = append(want, ps)
					}
				}
				if len(got.Timeseries) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got.Timeseries, want)) {
					t.Errorf("%d copies: prompb decoded\n%+v\nwant\n%+v", copies, got.Timeseries, want)
				}
			}
		})
	}
}

// TestAgentInfoMatchesRegistry keeps AgentInfo's JSON in step with what the
// collector's registry decodes.
func TestAgentInfoMatchesRegistry(t *testing.T) {
	t.Parallel()
	in := AgentInfo{Hostname: "web1", IPs: []string{"10.0.0.5", "fd00::5"}, OS: "linux", Platform: "kylin",
		Kernel: "4.19.90", Site: "城关", Version: "1.2.3"}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var reg registry.Info
	if err := json.Unmarshal(data, &reg); err != nil {
		t.Fatal(err)
	}
	back, err := json.Marshal(reg)
	if err != nil {
		t.Fatal(err)
	}
	if string(back) != string(data) {
		t.Errorf("registry.Info round trip changed the body:\n%s\n%s", data, back)
	}
	if rt, at := reflect.TypeOf(reg).NumField(), reflect.TypeOf(in).NumField(); rt != at {
		t.Errorf("registry.Info has %d fields, AgentInfo %d", rt, at)
	}
}
