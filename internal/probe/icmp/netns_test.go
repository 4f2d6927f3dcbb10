package icmp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// The tests below run the pinger inside a network namespace they create, by
// re-executing the test binary there (ip netns exec NS <test binary>
// -test.run=^TestInNetns$) with scenarioEnv naming the scenario. Inside,
// 127.0.0.0/8 answers as usual, and the namespace has:
//   - rwv0/rwv1, a veth pair; 198.18.0.2 has a static neighbour entry whose
//     MAC nobody owns, and 198.18.1.0/24 is routed via it: echoes to those
//     addresses leave rwv0 and are dropped by rwv1, silently (dead targets);
//   - a blackhole route for 198.19.0.0/16: the kernel refuses the send.
// No packet leaves the namespace.

const scenarioEnv = "ROOMWATCH_ICMP_NETNS_SCENARIO"

// deadAddrs are silent inside the test namespace.
func deadAddrs(n int) []netip.Addr {
	out := make([]netip.Addr, n)
	for i := range out {
		out[i] = netip.AddrFrom4([4]byte{198, 18, 1, byte(i + 1)})
	}
	return out
}

var blackholeAddr = netip.MustParseAddr("198.19.0.1")

// netnsSetup builds the namespace's network (see the comment above).
var netnsSetup = [][]string{
	{"link", "set", "lo", "up"},
	{"link", "add", "rwv0", "type", "veth", "peer", "name", "rwv1"},
	{"link", "set", "rwv0", "up"},
	{"link", "set", "rwv1", "up"},
	{"addr", "add", "198.18.0.1/24", "dev", "rwv0"},
	{"neigh", "add", "198.18.0.2", "lladdr", "02:00:5e:00:53:02", "dev", "rwv0", "nud", "permanent"},
	{"route", "add", "198.18.1.0/24", "via", "198.18.0.2"},
	{"route", "add", "blackhole", "198.19.0.0/16"},
}

// scenarios run inside the namespace; each asserts on its own.
var scenarios = map[string]func(t *testing.T){
	"dead":            scenarioDead,
	"mixed":           scenarioMixed,
	"fakeclock":       scenarioFakeClock,
	"datagram":        scenarioDatagram,
	"datagram-denied": scenarioDatagramDenied,
}

// TestInNetns is the scenario runner inside the namespace; on its own it skips.
func TestInNetns(t *testing.T) {
	name := os.Getenv(scenarioEnv)
	if name == "" {
		t.Skip("runs only re-executed inside a test network namespace")
	}
	f, ok := scenarios[name]
	if !ok {
		t.Fatalf("unknown scenario %q", name)
	}
	f(t)
}

// inNetns creates a namespace, applies setup and sysctls, and runs scenario
// inside it, failing t with the inner output when the scenario fails.
func inNetns(t *testing.T, scenario string, sysctls ...string) {
	t.Helper()
	testutil.RequireRoot(t)
	ipBin := testutil.LookBinary(t, "ip")
	var b [4]byte
	_, _ = rand.Read(b[:])
	ns := "rwtest-icmp-" + hex.EncodeToString(b[:])
	if out, err := exec.Command(ipBin, "netns", "add", ns).CombinedOutput(); err != nil {
		testutil.Missing(t, "cannot create a network namespace: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(ipBin, "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", ns, err, out)
		}
	})
	for _, args := range netnsSetup {
		if out, err := exec.Command(ipBin, append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip -n %s %s: %v: %s", ns, strings.Join(args, " "), err, out)
		}
	}
	for _, s := range sysctls {
		if out, err := exec.Command(ipBin, "netns", "exec", ns, "sysctl", "-q", "-w", s).CombinedOutput(); err != nil {
			t.Fatalf("sysctl %s in %s: %v: %s", s, ns, err, out)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ipBin, "netns", "exec", ns, self, "-test.run=^TestInNetns$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), scenarioEnv+"="+scenario)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestInNetns") {
		t.Fatalf("scenario %s in %s: %v\n%s", scenario, ns, err, out)
	}
	t.Logf("scenario %s:\n%s", scenario, out)
}

func TestDeadTargets(t *testing.T)         { t.Parallel(); inNetns(t, "dead") }
func TestMixedBatch(t *testing.T)          { t.Parallel(); inNetns(t, "mixed") }
func TestTimeoutsOnFakeClock(t *testing.T) { t.Parallel(); inNetns(t, "fakeclock") }

// TestDatagramMode checks the unprivileged path: datagram ICMP sockets with
// ping_group_range opened to every group, in the namespace only (the sysctl is
// per namespace), forced even though the test runs as root.
func TestDatagramMode(t *testing.T) {
	t.Parallel()
	inNetns(t, "datagram", "net.ipv4.ping_group_range=0 2147483647")
}

// TestDatagramModeDenied checks the error when ping_group_range excludes us.
func TestDatagramModeDenied(t *testing.T) {
	t.Parallel()
	inNetns(t, "datagram-denied", "net.ipv4.ping_group_range=1 0")
}

// checkDead fails unless every stats shows count echoes sent, none answered,
// and no error.
func checkDead(t *testing.T, stats []Stats, count int) {
	t.Helper()
	for _, s := range stats {
		if s.Sent != count || s.Received != 0 || s.LossRatio != 1 || s.Reachable() || s.Err != nil || s.RTTMax != 0 || s.Jitter != 0 {
			t.Errorf("dead %s: %+v", s.Addr, s)
		}
	}
}

func scenarioDead(t *testing.T) {
	p := newPinger(t, Options{Mode: ModeRaw, Count: 2, Interval: 10 * time.Millisecond, Timeout: 300 * time.Millisecond})
	stats := p.PingAll(context.Background(), deadAddrs(20))
	checkDead(t, stats, 2)
}

func scenarioMixed(t *testing.T) {
	const count, timeout = 3, 500 * time.Millisecond
	p := newPinger(t, Options{Mode: ModeRaw, Count: count, Interval: 50 * time.Millisecond, Timeout: timeout})
	live := loopbackAddrs(300)
	dead := deadAddrs(50)
	// Interleave: live, dead, live, dead…, then the blackholed address.
	var addrs []netip.Addr
	for i := range live {
		addrs = append(addrs, live[i])
		if i < len(dead) {
			addrs = append(addrs, dead[i])
		}
	}
	addrs = append(addrs, blackholeAddr)
	// The context is far longer than the batch needs: dead targets must end by
	// their own timeouts (an Err of context.DeadlineExceeded would show they
	// stalled the batch until the context ended).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	stats := p.PingAll(ctx, addrs)
	t.Logf("batch of %d took %v", len(addrs), time.Since(start))
	if len(stats) != len(addrs) {
		t.Fatalf("%d stats for %d addresses", len(stats), len(addrs))
	}
	var gotLive, gotDead []Stats
	var liveAddrs []netip.Addr
	for i, s := range stats {
		if s.Addr != addrs[i] {
			t.Fatalf("stats %d is for %s, want %s", i, s.Addr, addrs[i])
		}
		switch {
		case s.Addr == blackholeAddr:
			if s.Sent != count || s.Received != 0 || s.LossRatio != 1 || !errors.Is(s.Err, syscall.EINVAL) {
				t.Errorf("blackholed %s: %+v (want loss 1 and the kernel's EINVAL)", s.Addr, s)
			}
		case s.Addr.As4()[0] == 127:
			gotLive = append(gotLive, s)
			liveAddrs = append(liveAddrs, s.Addr)
		default:
			gotDead = append(gotDead, s)
		}
	}
	checkAnswered(t, gotLive, liveAddrs, count, timeout)
	checkDead(t, gotDead, count)
	if len(gotDead) != len(dead) {
		t.Errorf("%d dead results, want %d", len(gotDead), len(dead))
	}
	for _, s := range gotDead {
		// The last echo went out after the first one and waited the full timeout.
		if d := s.Last.Sub(s.First); d < timeout {
			t.Errorf("dead %s: resolved %v after its first echo, before its timeout", s.Addr, d)
		}
	}
}

// scenarioFakeClock drives every timer of a batch of dead targets with a fake
// clock: the batch ends exactly when the last echo's timeout passes on that
// clock, and no real time is waited for.
func scenarioFakeClock(t *testing.T) {
	clock := clockwork.NewFakeClock()
	const count, interval, timeout = 3, time.Second, 5 * time.Second
	p := newPinger(t, Options{Mode: ModeRaw, Count: count, Interval: interval, Timeout: timeout, Rate: -1, Clock: clock})
	addrs := deadAddrs(10)
	done := make(chan []Stats)
	go func() { done <- p.PingAll(context.Background(), addrs) }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, step := range []time.Duration{interval, interval, timeout - time.Nanosecond, time.Nanosecond} {
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatalf("pinger never waited on the clock: %v", err)
		}
		select {
		case <-done:
			t.Fatalf("batch ended before the clock reached the last timeout")
		default:
		}
		clock.Advance(step)
	}
	var stats []Stats
	select {
	case stats = <-done:
	case <-ctx.Done():
		t.Fatal("batch did not end when the last echo timed out")
	}
	checkDead(t, stats, count)
	for _, s := range stats {
		if got, want := s.Last.Sub(s.First), (count-1)*interval+timeout; got != want {
			t.Errorf("%s: Last-First = %v, want %v", s.Addr, got, want)
		}
	}
}

func scenarioDatagram(t *testing.T) {
	const count, timeout = 3, 500 * time.Millisecond
	p := newPinger(t, Options{Mode: ModeDatagram, Count: count, Interval: 20 * time.Millisecond, Timeout: timeout})
	if p.Mode() != ModeDatagram {
		t.Fatalf("mode %v, want datagram", p.Mode())
	}
	live := append(loopbackAddrs(200), netip.IPv6Loopback())
	stats := p.PingAll(context.Background(), append(append([]netip.Addr{}, live...), deadAddrs(5)...))
	checkAnswered(t, stats[:len(live)], live, count, timeout)
	checkDead(t, stats[len(live):], count)
}

func scenarioDatagramDenied(t *testing.T) {
	_, err := New(Options{Mode: ModeDatagram})
	if err == nil || !strings.Contains(err.Error(), "ping_group_range") {
		t.Fatalf("New(datagram) with ping_group_range \"1 0\": err = %v, want one naming ping_group_range", err)
	}
	t.Logf("error as users see it: %v", err)
}
