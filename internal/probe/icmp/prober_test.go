package icmp

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// hosts is a fixed name table standing in for DNS.
type hosts map[string][]netip.Addr

func (h hosts) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := h[host]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("lookup %s: no such host", host)
}

// render prints samples one per line, sorted, as name{labels} value.
func render(samples []probe.Sample) string {
	var lines []string
	for _, s := range samples {
		var ls []string
		for k, v := range s.Labels {
			ls = append(ls, fmt.Sprintf("%s=%q", k, v))
		}
		sort.Strings(ls)
		kind := string(s.Type)
		if s.Detail {
			kind += ", detail"
		}
		lines = append(lines, fmt.Sprintf("%s{%s} %g  # %s: %s", s.Name, strings.Join(ls, ","), s.Value, kind, s.Help))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

func TestResultSamplesGolden(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name string
		s    Stats
	}{
		{"answered", Stats{Addr: netip.MustParseAddr("10.0.0.1"), Sent: 3, Received: 3, LossRatio: 0, RTTMin: 1 * ms, RTTAvg: 2 * ms, RTTMax: 4 * ms, Jitter: 1500 * time.Microsecond}},
		{"one reply", Stats{Addr: netip.MustParseAddr("10.0.0.2"), Sent: 3, Received: 1, LossRatio: 2.0 / 3, RTTMin: 3 * ms, RTTAvg: 3 * ms, RTTMax: 3 * ms}},
		{"silent", Stats{Addr: netip.MustParseAddr("10.0.0.3"), Sent: 3, LossRatio: 1}},
		{"send refused", Stats{Addr: netip.MustParseAddr("10.0.0.4"), Sent: 3, LossRatio: 1, Err: errors.New("sendmmsg: invalid argument")}},
	}
	// All results fill one buffer, as ProbeAll does, with room for fewer
	// than all of them so that it also starts a new one; they are rendered
	// only after every one was filled, so an overlap would show.
	rs := make([]probe.Result, len(cases))
	buf := make([]probe.Sample, 0, 3*maxSamples)
	for i, c := range cases {
		buf = fillResult(&rs[i], c.s, buf, rttLabels())
		rs[i].Samples = append(rs[i].Samples, probe.Sample{Name: "appended_by_a_consumer"})
	}
	var b strings.Builder
	for i, c := range cases {
		r := rs[i]
		r.Samples = r.Samples[:len(r.Samples)-1]
		fmt.Fprintf(&b, "## %s\nerr: %v\n%s", c.name, r.Err, render(r.Samples))
	}
	fmt.Fprintf(&b, "## catalogue\n%s", render(Catalogue()))
	golden := filepath.Join("testdata", "samples.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("samples differ from %s (go test -update rewrites it):\n%s", golden, b.String())
	}
}

func TestProberLoopback(t *testing.T) {
	testutil.RequireRoot(t)
	t.Parallel()
	const timeout = 2 * time.Second
	p := newPinger(t, Options{Mode: ModeRaw, Count: 2, Interval: 10 * time.Millisecond, Timeout: timeout,
		Resolver: hosts{"nvr-1.local": {netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.9")}}})
	dev := &inventory.Device{Name: "cam", Class: "camera"}
	targets := []inventory.Target{
		{Device: dev, Name: "cam/127.0.0.1", Address: "127.0.0.1"},
		{Device: dev, Name: "snmp", Address: "127.0.0.2:161"},
		{Device: dev, Name: "v6", Address: "[::1]:554"},
		{Device: dev, Name: "by-name", Address: "nvr-1.local"},
		{Device: dev, Name: "unknown", Address: "no-such-host"},
		{Device: dev, Name: "empty", Address: ""},
	}
	results := p.ProbeAll(context.Background(), targets)
	if len(results) != len(targets) {
		t.Fatalf("%d results for %d targets", len(results), len(targets))
	}
	for i, r := range results[:4] {
		if r.Err != nil || r.Probe != "icmp" || r.Target.Name != targets[i].Name || r.Start.IsZero() || r.Duration < 0 {
			t.Errorf("%s: %+v", targets[i].Name, r)
			continue
		}
		got := map[string]float64{}
		for _, s := range r.Samples {
			got[s.Name+s.Labels["stat"]] = s.Value
		}
		if got[MetricLossRatio] != 0 || len(r.Samples) != 5 ||
			!(0 < got[MetricRTT+"min"] && got[MetricRTT+"min"] <= got[MetricRTT+"avg"] && got[MetricRTT+"avg"] <= got[MetricRTT+"max"] && got[MetricRTT+"max"] <= timeout.Seconds()) {
			t.Errorf("%s: samples %v", targets[i].Name, got)
		}
	}
	// Expect is the shape of an answered target's result (the probe
	// command's prepared output relies on it), not of an unanswered one.
	for i, r := range results {
		if got, want := probe.SameShape(r, p.Expect(targets[i])), i < 4; got != want {
			t.Errorf("%s: SameShape(result, Expect) = %v, want %v", targets[i].Name, got, want)
		}
	}
	for i, r := range results[4:] {
		if r.Err == nil || len(r.Samples) != 1 || r.Samples[0].Name != MetricLossRatio || r.Samples[0].Value != 1 {
			t.Errorf("%s: want an error with loss 1: %+v", targets[4+i].Name, r)
		}
	}
	// The single-target path is the same batch of one.
	if r := p.Probe(context.Background(), targets[2]); r.Err != nil || r.Samples[0].Name != MetricLossRatio || r.Samples[0].Value != 0 {
		t.Errorf("Probe(::1): %+v", r)
	}
}
