// Command snmpbench measures the SNMP engine for deploy/dev/bench-snmp.sh.
//
//	snmpbench -mode poll -target 127.0.0.1:1161 -community c -n 10   # wall time and requests per poll
//	snmpbench -mode relay -listen 127.0.0.1:1162 -to 127.0.0.1:1161 -http 127.0.0.1:9999
//	                                                                 # UDP relay counting requests (GET /count)
//	snmpbench -mode responder -rec file.snmprec -ports 1000 -base 21000  # in-memory agents on 1000 ports
//	snmpbench -mode scale -base 21000 -ports 1000 -profiles rules/profiles -profile apc
//	                                                                 # poll 1000 devices once, report wall, CPU, PDUs/s
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/snmp"
	"github.com/roomwatch/roomwatch/internal/snmp/snmptest"
)

type options struct {
	mode, target, community, profiles, profile, listen, to, httpAddr, rec string
	n, ports, base, workers                                               int
	maxRep                                                                uint
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "poll", "poll, relay, responder or scale")
	flag.StringVar(&o.target, "target", "127.0.0.1:1161", "agent address (poll)")
	flag.StringVar(&o.community, "community", "public", "community (poll)")
	flag.StringVar(&o.profiles, "profiles", "rules/profiles", "profile directory")
	flag.StringVar(&o.profile, "profile", "", "profile names for the device (empty: by sysObjectID)")
	flag.IntVar(&o.n, "n", 10, "polls (poll)")
	flag.UintVar(&o.maxRep, "max-repetitions", 0, "GETBULK max-repetitions (0: engine default)")
	flag.StringVar(&o.listen, "listen", "127.0.0.1:0", "relay listen address")
	flag.StringVar(&o.to, "to", "", "relay upstream address")
	flag.StringVar(&o.httpAddr, "http", "127.0.0.1:0", "relay counter HTTP address")
	flag.StringVar(&o.rec, "rec", "", "recording served by the responder")
	flag.IntVar(&o.ports, "ports", 1000, "responder ports / scale devices")
	flag.IntVar(&o.base, "base", 21000, "first responder port")
	flag.IntVar(&o.workers, "workers", 200, "concurrent polls (scale)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch o.mode {
	case "poll":
		err = poll(ctx, o)
	case "relay":
		err = relay(ctx, o)
	case "responder":
		err = responder(ctx, o)
	case "scale":
		err = scale(ctx, o)
	default:
		err = fmt.Errorf("unknown mode %q", o.mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "snmpbench:", err)
		os.Exit(1)
	}
}

func newProber(o options) (*snmp.Prober, error) {
	ps, err := snmp.LoadProfiles(o.profiles)
	if err != nil {
		return nil, err
	}
	return snmp.NewProber(snmp.Options{Profiles: ps, Timeout: 5 * time.Second, Retries: 1,
		MaxRepetitions: uint32(o.maxRep), Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
}

// poll polls one device n times in a row and prints per-poll figures.
func poll(ctx context.Context, o options) error {
	p, err := newProber(o)
	if err != nil {
		return err
	}
	dev := &inventory.Device{Name: "bench", Class: inventory.ClassSwitch, Address: o.target, Profile: o.profile,
		SNMP: &inventory.SNMP{Community: inventory.Secret(o.community)}}
	var total time.Duration
	var samples int
	for i := 0; i < o.n; i++ {
		res := p.Probe(ctx, inventory.Target{Device: dev, Name: dev.Name, Address: o.target})
		if res.Err != nil {
			return res.Err
		}
		total += res.Duration
		samples = len(res.Samples)
	}
	fmt.Printf("polls=%d wall_per_poll_s=%.4f requests_per_poll=%.1f samples=%d\n",
		o.n, total.Seconds()/float64(o.n), float64(p.Requests())/float64(o.n), samples)
	return nil
}

// relay forwards UDP datagrams to o.to and counts those from clients.
func relay(ctx context.Context, o options) error {
	in, err := net.ListenPacket("udp", o.listen)
	if err != nil {
		return err
	}
	up, err := net.ResolveUDPAddr("udp", o.to)
	if err != nil {
		return err
	}
	var count atomic.Int64
	hl, err := net.Listen("tcp", o.httpAddr)
	if err != nil {
		return err
	}
	go http.Serve(hl, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, count.Load()) }))
	fmt.Printf("relay udp=%s http=%s\n", in.LocalAddr(), hl.Addr())
	var mu sync.Mutex
	conns := map[string]*net.UDPConn{}
	go func() { <-ctx.Done(); in.Close() }()
	buf := make([]byte, 65535)
	for {
		n, from, err := in.ReadFrom(buf)
		if err != nil {
			return nil
		}
		count.Add(1)
		mu.Lock()
		c := conns[from.String()]
		if c == nil {
			c, err = net.DialUDP("udp", nil, up)
			if err != nil {
				mu.Unlock()
				continue
			}
			conns[from.String()] = c
			go func(c *net.UDPConn, to net.Addr) {
				b := make([]byte, 65535)
				for {
					n, err := c.Read(b)
					if err != nil {
						return
					}
					_, _ = in.WriteTo(b[:n], to)
				}
			}(c, from)
		}
		mu.Unlock()
		_, _ = c.Write(buf[:n])
	}
}

// responder serves one recording on o.ports consecutive ports.
func responder(ctx context.Context, o options) error {
	pdus, err := snmptest.ReadSnmprec(o.rec)
	if err != nil {
		return err
	}
	views := map[string][]gosnmp.SnmpPDU{"*": pdus}
	var wg sync.WaitGroup
	for i := 0; i < o.ports; i++ {
		r, err := snmptest.NewResponder(fmt.Sprintf("127.0.0.1:%d", o.base+i), views)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = r.Serve(ctx) }()
	}
	fmt.Println("ready")
	wg.Wait()
	return nil
}

// scale polls o.ports devices once with o.workers concurrent polls.
func scale(ctx context.Context, o options) error {
	p, err := newProber(o)
	if err != nil {
		return err
	}
	jobs := make(chan int)
	var failed atomic.Int64
	var samples atomic.Int64
	var wg sync.WaitGroup
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	for w := 0; w < o.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				addr := fmt.Sprintf("127.0.0.1:%d", o.base+i)
				dev := &inventory.Device{Name: fmt.Sprintf("ups-%d", i), Class: inventory.ClassUPS, Address: addr, Profile: o.profile}
				res := p.Probe(ctx, inventory.Target{Device: dev, Name: dev.Name, Address: addr})
				if res.Err != nil {
					failed.Add(1)
				}
				samples.Add(int64(len(res.Samples)))
			}
		}()
	}
	for i := 0; i < o.ports; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	wall := time.Since(start)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()) + time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())
	fmt.Printf("devices=%d failed=%d wall_s=%.3f poller_cpu_s=%.3f requests=%d pdus_per_s=%.0f samples=%d\n",
		o.ports, failed.Load(), wall.Seconds(), cpu.Seconds(), p.Requests(), float64(p.Requests())/wall.Seconds(), samples.Load())
	return nil
}
