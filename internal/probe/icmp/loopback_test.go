package icmp

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/net/bpf"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// loopbackAddrs returns n addresses 127.x.y.z (z never 0 or 255), from 127.0.0.1.
func loopbackAddrs(n int) []netip.Addr {
	out := make([]netip.Addr, 0, n)
	for i := 0; len(out) < n; i++ {
		out = append(out, netip.AddrFrom4([4]byte{127, byte(i / (254 * 256)), byte(i / 254 % 256), byte(i%254 + 1)}))
	}
	return out
}

// newPinger opens a Pinger for the test and closes it at cleanup.
func newPinger(t *testing.T, opts Options) *Pinger {
	t.Helper()
	p, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// checkAnswered fails unless every stats shows count echoes, all answered,
// with RTTs ordered and below the timeout.
func checkAnswered(t *testing.T, stats []Stats, addrs []netip.Addr, count int, timeout time.Duration) {
	t.Helper()
	if len(stats) != len(addrs) {
		t.Fatalf("got %d stats for %d addresses", len(stats), len(addrs))
	}
	bad := 0
	for i, s := range stats {
		ok := s.Addr == addrs[i] && s.Err == nil && s.Sent == count && s.Received == count && s.LossRatio == 0 &&
			s.Reachable() && 0 < s.RTTMin && s.RTTMin <= s.RTTAvg && s.RTTAvg <= s.RTTMax && s.RTTMax <= timeout &&
			s.Jitter <= s.RTTMax-s.RTTMin && !s.First.IsZero() && !s.Last.Before(s.First)
		if !ok {
			if bad++; bad <= 5 {
				t.Errorf("address %d (%s): %+v", i, addrs[i], s)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d addresses wrong", bad, len(addrs))
	}
}

func TestPingLoopback(t *testing.T) {
	testutil.RequireRoot(t)
	t.Parallel()
	p := newPinger(t, Options{Mode: ModeRaw, Count: 3, Interval: 20 * time.Millisecond, Timeout: 2 * time.Second})
	if p.Mode() != ModeRaw {
		t.Fatalf("mode %v, want raw", p.Mode())
	}
	for _, n := range []int{1, 500} {
		addrs := loopbackAddrs(n)
		stats := p.PingAll(context.Background(), addrs)
		checkAnswered(t, stats, addrs, 3, 2*time.Second)
		t.Logf("%d addresses: first %+v", n, stats[0])
	}
}

func TestCancelledAndClosed(t *testing.T) {
	testutil.RequireRoot(t)
	t.Parallel()
	p, err := New(Options{Mode: ModeAuto, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	addrs := loopbackAddrs(3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, s := range p.PingAll(ctx, addrs) {
		if s.Err != context.Canceled || s.Sent != 0 || s.LossRatio != 1 {
			t.Errorf("cancelled batch: %+v", s)
		}
	}
	if p.PingAll(context.Background(), nil) != nil {
		t.Error("empty batch: want nil")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, s := range p.PingAll(context.Background(), addrs) {
		if s.Err != ErrClosed || s.LossRatio != 1 {
			t.Errorf("closed pinger: %+v", s)
		}
	}
}

func TestKernelTimestampsOnlyWithRealClock(t *testing.T) {
	testutil.RequireRoot(t)
	t.Parallel()
	for _, tt := range []struct {
		clock clockwork.Clock
		want  bool
	}{{nil, true}, {clockwork.NewRealClock(), true}, {clockwork.NewFakeClock(), false}} {
		p := newPinger(t, Options{Mode: ModeRaw, Clock: tt.clock})
		if p.realClock != tt.want {
			t.Errorf("clock %T: kernel timestamps %v, want %v", tt.clock, p.realClock, tt.want)
		}
	}
}

// TestBatchFitsDeadline: a batch whose context ends before Count echoes at
// Interval would all be sent (3 echoes 1 s apart in 1.5 s, as for a device
// probed every few seconds) still sends every echo and gets every reply: the
// rounds and the timeout shrink to fit the deadline.
func TestBatchFitsDeadline(t *testing.T) {
	testutil.RequireRoot(t)
	t.Parallel()
	p := newPinger(t, Options{Mode: ModeAuto, Count: 3, Interval: time.Second, Timeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	addrs := loopbackAddrs(3)
	stats := p.PingAll(ctx, addrs)
	// Need 3 s, budget 90% of 1.5 s: both shrink by 0.45, to 450ms.
	checkAnswered(t, stats, addrs, 3, 450*time.Millisecond)
}

func TestFit(t *testing.T) {
	p := &Pinger{opts: Options{Count: 3, Interval: time.Second, Timeout: time.Second}}
	start := time.Unix(1000, 0)
	for _, tc := range []struct {
		name                      string
		budget                    time.Duration // 0: no deadline
		wantInterval, wantTimeout time.Duration
	}{
		{"no deadline", 0, time.Second, time.Second},
		{"room to spare", 10 * time.Second, time.Second, time.Second},
		{"exactly 90%", 3*time.Second*10/9 + time.Nanosecond, time.Second, time.Second},
		{"shrunk", 2 * time.Second, 600 * time.Millisecond, 600 * time.Millisecond},
		{"past", -time.Second, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.budget != 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, start.Add(tc.budget))
				defer cancel()
			}
			iv, to := p.fit(ctx, start)
			if iv != tc.wantInterval || to != tc.wantTimeout {
				t.Errorf("fit = %v, %v; want %v, %v", iv, to, tc.wantInterval, tc.wantTimeout)
			}
		})
	}
}

// TestRawSocketFiltersOtherPingers: a raw socket gets every ICMP packet of
// the host; the identifier filter keeps another pinger's replies (here a
// second Pinger pinging 300 addresses, as fping or blackbox_exporter beside
// the collector would) out of this Pinger's reader. Without the filter it
// reads and drops each of them (foreign counts them).
func TestRawSocketFiltersOtherPingers(t *testing.T) {
	testutil.RequireRoot(t)
	t.Parallel()
	opts := Options{Mode: ModeRaw, Count: 2, Interval: 10 * time.Millisecond, Timeout: 2 * time.Second}
	quiet := newPinger(t, opts)
	other := newPinger(t, opts)
	if quiet.id == other.id {
		t.Skip("two pingers drew the same random identifier")
	}
	addrs := loopbackAddrs(300)
	checkAnswered(t, other.PingAll(context.Background(), addrs), addrs, 2, 2*time.Second)
	// Its own replies still come in, and nothing of the other's did.
	checkAnswered(t, quiet.PingAll(context.Background(), addrs[:10]), addrs[:10], 2, 2*time.Second)
	if n := quiet.foreign.Load(); n != 0 {
		t.Errorf("the quiet pinger read %d packets not meant for it (the other sent 600 echoes)", n)
	}

	// The check can fail: without the filter the same traffic reaches it.
	bare := newPinger(t, opts)
	if err := bare.eps[0].pc.IPv4PacketConn().SetBPF(acceptAll(t)); err != nil {
		t.Fatal(err)
	}
	checkAnswered(t, other.PingAll(context.Background(), addrs), addrs, 2, 2*time.Second)
	if n := bare.foreign.Load(); n == 0 {
		t.Error("without the filter the pinger read none of the other's replies: the test shows nothing")
	}
}

// acceptAll is a BPF program that lets every packet in.
func acceptAll(t *testing.T) []bpf.RawInstruction {
	t.Helper()
	prog, err := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0xffff}})
	if err != nil {
		t.Fatal(err)
	}
	return prog
}
