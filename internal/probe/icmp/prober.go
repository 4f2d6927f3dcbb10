package icmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
)

// Metric names the Prober emits. The RTT is one metric with a stat label
// (min, avg, max); RTT and jitter are present only when at least one echo
// (for jitter: two) was answered, loss always. Whether an echo came back is
// roomwatch_probe_up{probe="icmp"}, which every check has (a separate
// roomwatch_ping_reachable said the same and cost 10,000 series for 10,000
// cameras; docs/benchmarks.md).
const (
	MetricLossRatio = "roomwatch_ping_loss_ratio"
	MetricRTT       = "roomwatch_ping_rtt_seconds"
	MetricJitter    = "roomwatch_ping_jitter_seconds"
)

// Help texts, shared by the samples and Catalogue.
const (
	helpLoss   = "Fraction of the ICMP echoes of the last probe that got no reply within the timeout (0-1)."
	helpRTT    = "Round-trip time of the answered ICMP echoes of the last probe, by stat (min, avg, max; brief series keep avg only, probes.series)."
	helpJitter = "Mean absolute difference between the round-trip times of consecutive answered echoes of the last probe (full series only, probes.series)."
)

// Catalogue describes every metric the Prober can emit (label values empty),
// for the project's metric catalogue.
func Catalogue() []probe.Sample {
	return []probe.Sample{
		{Name: MetricLossRatio, Help: helpLoss, Type: probe.Gauge},
		{Name: MetricRTT, Help: helpRTT, Type: probe.Gauge, Labels: map[string]string{"stat": ""}},
		{Name: MetricJitter, Help: helpJitter, Type: probe.Gauge, Detail: true},
	}
}

// ErrNoReply is the Result error of a target that answered no echo.
var ErrNoReply = errors.New("no ICMP echo reply")

// Resolver looks up host names; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ probe.Prober = (*Pinger)(nil)

// Probe pings one target: a batch of one. Schedulers with many targets due
// at once should call ProbeAll, which shares the sending and waiting.
func (p *Pinger) Probe(ctx context.Context, target inventory.Target) probe.Result {
	return p.ProbeAll(ctx, []inventory.Target{target})[0]
}

// ProbeAll pings targets as one batch and returns one Result per target, in
// the same order. Target addresses are IPs, optionally with a port (ignored),
// or host names resolved with Options.Resolver.
func (p *Pinger) ProbeAll(ctx context.Context, targets []inventory.Target) []probe.Result {
	out := make([]probe.Result, len(targets))
	addrs := make([]netip.Addr, 0, len(targets))
	pos := make([]int, 0, len(targets))
	start := p.clock.Now()
	for i, t := range targets {
		out[i] = probe.Result{Target: t, Probe: "icmp", Start: start}
		a, err := p.address(ctx, t.Address)
		if err != nil {
			out[i].Err = err
			out[i].Samples = []probe.Sample{lossSample(1)}
			continue
		}
		addrs = append(addrs, a)
		pos = append(pos, i)
	}
	stats := p.PingAll(ctx, addrs)
	// One backing array for every result's samples, and the stat labels
	// shared by all of them (Pinger.stat): no allocation per target but the
	// error of one that did not answer.
	samples := make([]probe.Sample, 0, len(stats)*maxSamples)
	stat := p.stat
	for j, s := range stats {
		r := &out[pos[j]]
		if !s.First.IsZero() {
			r.Start, r.Duration = s.First, s.Last.Sub(s.First)
		}
		samples = fillResult(r, s, samples, stat)
	}
	return out
}

// Expect returns the result ProbeAll gives target when every echo is
// answered, with zero values: the probe command lays its text output out
// from it while the echoes are in flight (exposition.Prepare).
func (p *Pinger) Expect(target inventory.Target) probe.Result {
	r := probe.Result{Target: target, Probe: "icmp", Start: p.clock.Now()}
	fillResult(&r, Stats{Sent: p.opts.Count, Received: p.opts.Count}, nil, p.stat)
	return r
}

// maxSamples is the most samples fillResult adds for one target.
const maxSamples = 5

// rttLabels returns the labels of the min, avg and max RTT samples.
func rttLabels() [3]map[string]string {
	return [3]map[string]string{{"stat": "min"}, {"stat": "avg"}, {"stat": "max"}}
}

// fillResult turns one address's Stats into samples and the result's error.
// The samples are appended to buf (which has room for maxSamples more) and
// r.Samples is that part of it; the extended buf is returned.
func fillResult(r *probe.Result, s Stats, buf []probe.Sample, stat [3]map[string]string) []probe.Sample {
	if cap(buf)-len(buf) < maxSamples {
		buf = make([]probe.Sample, 0, maxSamples)
	}
	from := len(buf)
	buf = append(buf, lossSample(s.LossRatio))
	if s.Reachable() {
		for i, d := range [3]time.Duration{s.RTTMin, s.RTTAvg, s.RTTMax} {
			// The mean is the RTT; min and max are its spread (Detail).
			buf = append(buf, probe.Sample{Name: MetricRTT, Help: helpRTT, Type: probe.Gauge, Labels: stat[i], Value: d.Seconds(), Detail: i != 1})
		}
		if s.Received > 1 {
			buf = append(buf, probe.Sample{Name: MetricJitter, Help: helpJitter, Type: probe.Gauge, Value: s.Jitter.Seconds(), Detail: true})
		}
	}
	// Full slice expression: appending to one result's samples never
	// overwrites the next one's.
	r.Samples = buf[from:len(buf):len(buf)]
	if s.Reachable() {
		return buf
	}
	switch {
	case s.Err != nil:
		r.Err = fmt.Errorf("%w from %s: %w", ErrNoReply, s.Addr, s.Err)
	default:
		r.Err = fmt.Errorf("%w from %s (%d sent)", ErrNoReply, s.Addr, s.Sent)
	}
	return buf
}

func lossSample(loss float64) probe.Sample {
	return probe.Sample{Name: MetricLossRatio, Help: helpLoss, Type: probe.Gauge, Value: loss}
}

// address turns an inventory address (IP, IP:port, [IPv6]:port, host,
// host:port) into an IP.
func (p *Pinger) address(ctx context.Context, s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a, nil
	}
	host := s
	if h, _, err := net.SplitHostPort(s); err == nil {
		host = h
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a, nil
	}
	if host == "" {
		return netip.Addr{}, fmt.Errorf("icmp: empty address")
	}
	ips, err := p.opts.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("icmp: resolve %q: %w", host, err)
	}
	for _, a := range ips { // prefer IPv4, the estate's usual family
		if a.Unmap().Is4() {
			return a.Unmap(), nil
		}
	}
	if len(ips) == 0 {
		return netip.Addr{}, fmt.Errorf("icmp: resolve %q: no addresses", host)
	}
	return ips[0], nil
}
