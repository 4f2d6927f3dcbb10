//go:build unix

// Command pingbench pings a list of addresses once with the roomwatch ICMP
// pinger and prints wall time, CPU, max RSS and loss, for side-by-side runs
// against fping (deploy/dev/bench-icmp.sh). It is a development tool, not part
// of the collector.
//
//	pingbench -n 10000                 # 127.0.0.1 onwards, 10,000 loopback addresses
//	pingbench -f targets.txt -count 3  # one address per line
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/roomwatch/roomwatch/internal/probe/icmp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pingbench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		file     = flag.String("f", "", "file of addresses, one per line")
		n        = flag.Int("n", 0, "ping n loopback addresses from 127.0.0.1 (skipping .0 and .255)")
		count    = flag.Int("count", 3, "echoes per address")
		interval = flag.Duration("interval", 10*time.Millisecond, "between echoes to one address")
		timeout  = flag.Duration("timeout", time.Second, "per echo")
		rate     = flag.Int("rate", 0, "echoes per second (0: the pinger's default; <0 unpaced)")
		mode     = flag.String("mode", "auto", "auto, raw or datagram")
		verbose  = flag.Bool("v", false, "print every address's stats")
	)
	flag.Parse()
	m, err := icmp.ParseMode(*mode)
	if err != nil {
		return err
	}
	var addrs []netip.Addr
	switch {
	case *file != "":
		if addrs, err = readAddrs(*file); err != nil {
			return err
		}
	case *n > 0:
		addrs = loopback(*n)
	default:
		return fmt.Errorf("give -f FILE or -n N")
	}
	p, err := icmp.New(icmp.Options{Mode: m, Count: *count, Interval: *interval, Timeout: *timeout, Rate: *rate,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	defer p.Close()

	start := time.Now()
	stats := p.PingAll(context.Background(), addrs)
	wall := time.Since(start)

	var sent, recv, lossy int
	var maxRTT time.Duration
	for _, s := range stats {
		sent += s.Sent
		recv += s.Received
		if s.Received < s.Sent {
			lossy++
		}
		maxRTT = max(maxRTT, s.RTTMax)
		if *verbose {
			fmt.Printf("%s sent=%d recv=%d loss=%.2f min=%v avg=%v max=%v jitter=%v err=%v\n",
				s.Addr, s.Sent, s.Received, s.LossRatio, s.RTTMin, s.RTTAvg, s.RTTMax, s.Jitter, s.Err)
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return err
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("targets=%d mode=%s sent=%d received=%d lossy_targets=%d max_rtt=%v wall=%.3fs cpu=%.3fs user=%.3fs sys=%.3fs maxrss_kb=%d\n",
		len(addrs), p.Mode(), sent, recv, lossy, maxRTT, wall.Seconds(), cpu.Seconds(),
		time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds(), ru.Maxrss)
	return nil
}

func readAddrs(name string) ([]netip.Addr, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []netip.Addr
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, a)
	}
	return out, sc.Err()
}

func loopback(n int) []netip.Addr {
	out := make([]netip.Addr, 0, n)
	for i := 0; len(out) < n; i++ {
		out = append(out, netip.AddrFrom4([4]byte{127, byte(i / (254 * 256)), byte(i / 254 % 256), byte(i%254 + 1)}))
	}
	return out
}
