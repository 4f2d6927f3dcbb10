package exposition

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
)

// fleetResults is n ping results shaped like the icmp check's (the fleet of
// deploy/dev/bench-fleet.sh).
func fleetResults(n int) []probe.Result {
	cam := &inventory.Device{Name: "cams", Class: inventory.ClassCamera, Site: "hq", Range: "x"}
	start := time.Now()
	stat := [3]map[string]string{{"stat": "min"}, {"stat": "avg"}, {"stat": "max"}}
	out := make([]probe.Result, n)
	for i := range out {
		a := fmt.Sprintf("127.0.%d.%d", i/256, i%256)
		r := probe.Result{Target: inventory.Target{Device: cam, Name: "cams/" + a, Address: a}, Probe: "icmp", Start: start, Duration: 2 * time.Second}
		r.Add("roomwatch_ping_loss_ratio", probe.Gauge, 0, "loss", nil)
		for k := range stat {
			r.Add("roomwatch_ping_rtt_seconds", probe.Gauge, 0.0001, "rtt", stat[k])
		}
		r.Add("roomwatch_ping_jitter_seconds", probe.Gauge, 0.00001, "jit", nil)
		out[i] = r
	}
	return out
}

// BenchmarkWriteTextFleet: the text output of the probe command for 10,000
// cameras.
func BenchmarkWriteTextFleet(b *testing.B) {
	rs := fleetResults(10000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteText(io.Discard, rs); err != nil {
			b.Fatal(err)
		}
	}
}
