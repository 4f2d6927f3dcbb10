// Package icmp pings fleets of addresses with ICMP echo: several echoes per
// address, giving loss ratio, round-trip times (min/avg/max) and jitter.
//
// One Pinger holds one socket per address family (IPv4, IPv6) and one reader
// goroutine per socket, started before anything is sent. PingAll sends the
// echoes of a whole batch from the calling goroutine, paced to Options.Rate,
// and matches replies by ICMP ID and sequence plus a payload carrying a
// per-Pinger random cookie, the run number and the probe index, so replies to
// other programs (or late replies to an earlier run) never match. No goroutine
// is started per target; every echo has its own timeout, and a batch ends as
// soon as every echo is answered or has timed out.
//
// Sockets: raw ICMP ("privileged", needs root or CAP_NET_RAW) or the Linux
// datagram ICMP socket ("unprivileged", allowed when the process's group is in
// net.ipv4.ping_group_range). ModeAuto tries raw first, then datagram. On raw
// IPv4 sockets the kernel hands every ICMP packet to every raw socket; on Linux
// an ICMP_FILTER lets only echo replies through and a BPF filter only those
// carrying this Pinger's identifier, so another pinger on the host never
// wakes the reader.
//
// Jitter is the mean absolute difference between the round-trip times of
// consecutive answered echoes of one address (RFC 3550's instantaneous
// difference, unsmoothed), zero with fewer than two replies.
package icmp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/net/ipv4"
)

// Mode selects the kind of ICMP socket.
type Mode int

// Socket modes.
const (
	// ModeAuto uses raw sockets when permitted, else datagram sockets.
	ModeAuto Mode = iota
	// ModeRaw uses raw ICMP sockets (root or CAP_NET_RAW).
	ModeRaw
	// ModeDatagram uses unprivileged datagram ICMP sockets (Linux, with the
	// process's group inside net.ipv4.ping_group_range).
	ModeDatagram
)

// String returns the mode's configuration name.
func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeRaw:
		return "raw"
	case ModeDatagram:
		return "datagram"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode parses "auto", "raw" (or "privileged") and "datagram" (or
// "unprivileged").
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return ModeAuto, nil
	case "raw", "privileged":
		return ModeRaw, nil
	case "datagram", "unprivileged", "dgram":
		return ModeDatagram, nil
	}
	return ModeAuto, fmt.Errorf("icmp mode %q: use auto, raw or datagram", s)
}

// Defaults for zero Options fields.
const (
	DefaultCount      = 3
	DefaultInterval   = time.Second
	DefaultTimeout    = time.Second
	DefaultRate       = 50000
	DefaultSize       = 56
	DefaultReadBuffer = 8 << 20
	// MaxTargets bounds one PingAll batch.
	MaxTargets = 1 << 22
)

// Options configures a Pinger. Zero fields take the defaults above.
type Options struct {
	Mode Mode
	// Count is the number of echoes per address and batch.
	Count int
	// Interval separates the rounds of a batch: echo k+1 to an address is sent
	// no sooner than Interval after echo k was.
	Interval time.Duration
	// Timeout is how long each echo waits for its reply; a later reply is loss.
	Timeout time.Duration
	// Rate caps the echoes sent per second by the whole Pinger (all batches
	// together). Negative means unpaced.
	Rate int
	// Size is the echo payload in bytes (at least 16; 56 like ping and fping).
	Size int
	// ReadBuffer is the socket receive buffer asked for, in bytes. As root on
	// Linux it may exceed net.core.rmem_max.
	ReadBuffer int
	Clock      clockwork.Clock
	Logger     *slog.Logger
	// Resolver resolves host names in Probe and ProbeAll (default
	// net.DefaultResolver).
	Resolver Resolver
}

func (o *Options) setDefaults() error {
	if o.Count == 0 {
		o.Count = DefaultCount
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.Size == 0 {
		o.Size = DefaultSize
	}
	if o.ReadBuffer == 0 {
		o.ReadBuffer = DefaultReadBuffer
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.Mode < ModeAuto || o.Mode > ModeDatagram:
		return fmt.Errorf("icmp: unknown mode %d", int(o.Mode))
	case o.Count < 1 || o.Count > 1000:
		return fmt.Errorf("icmp: count %d: use 1 to 1000", o.Count)
	case o.Interval < 0:
		return fmt.Errorf("icmp: negative interval %v", o.Interval)
	case o.Timeout < 0:
		return fmt.Errorf("icmp: negative timeout %v", o.Timeout)
	case o.Size < minPayloadLen || o.Size > 65000:
		return fmt.Errorf("icmp: size %d: use %d to 65000 bytes", o.Size, minPayloadLen)
	case o.ReadBuffer < 0:
		return fmt.Errorf("icmp: negative read buffer %d", o.ReadBuffer)
	}
	return nil
}

// Stats is what one address answered in one batch.
type Stats struct {
	Addr netip.Addr
	// Sent counts the echoes sent, or tried: a send refused by the kernel (no
	// route) counts as sent and lost. Received counts replies within Timeout.
	Sent, Received int
	// LossRatio is 1 - Received/Sent, 0 to 1 (1 when nothing was sent).
	LossRatio float64
	// Round-trip times over the answered echoes; zero when none answered.
	RTTMin, RTTAvg, RTTMax time.Duration
	// Jitter is the mean absolute difference between the RTTs of consecutive
	// answered echoes (zero with fewer than two replies).
	Jitter time.Duration
	// First is when the first echo went out, Last when the last one was
	// answered or timed out (or the batch was cancelled).
	First, Last time.Time
	// Err says why echoes could not be sent or waited for: no socket for the
	// address family, a send error, or the context ending. It is nil for a
	// target that merely did not answer.
	Err error
}

// Reachable reports whether at least one echo was answered.
func (s Stats) Reachable() bool { return s.Received > 0 }

// Pinger sends ICMP echoes. It is safe for concurrent use; Close it when done.
type Pinger struct {
	opts   Options
	clock  clockwork.Clock
	log    *slog.Logger
	cookie uint64
	id     uint16 // ICMP ID on raw sockets (datagram sockets get the kernel's)
	eps    [2]*endpoint
	epErr  [2]error
	pace   pacer
	// stat are the labels of the min, avg and max RTT samples, shared by
	// every result (Sample.Labels is read-only to its consumers).
	stat [3]map[string]string

	mu      sync.RWMutex
	runs    map[uint32]*run
	nextRun atomic.Uint32

	// foreign counts the packets read that were not replies to this
	// Pinger (another program's, or too late): what the raw socket's
	// identifier filter keeps from the reader.
	foreign atomic.Uint64

	closed    atomic.Bool
	wg        sync.WaitGroup
	realClock bool // Options.Clock is the real clock: kernel receive timestamps may be used
}

// New opens the sockets and starts their readers. It fails when no IPv4
// socket can be opened in the requested mode; an unavailable IPv6 socket only
// makes IPv6 targets fail with Stats.Err.
func New(opts Options) (*Pinger, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	// Kernel receive timestamps are wall-clock times: use them only with
	// clockwork's real clock (Options.Clock nil or clockwork.NewRealClock()).
	realClock := reflect.TypeOf(opts.Clock) == reflect.TypeOf(clockwork.NewRealClock())
	var seed [10]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("icmp: random cookie: %w", err)
	}
	p := &Pinger{
		opts:   opts,
		clock:  opts.Clock,
		log:    opts.Logger,
		cookie: binary.BigEndian.Uint64(seed[:8]),
		id:     binary.BigEndian.Uint16(seed[8:]),
		runs:   map[uint32]*run{},
		stat:   rttLabels(),

		realClock: realClock,
	}
	p.nextRun.Store(binary.BigEndian.Uint32(seed[4:8]))
	if opts.Rate > 0 {
		p.pace.per = time.Second / time.Duration(opts.Rate)
		if p.pace.per == 0 {
			p.pace.per = 1
		}
	}
	for fam := range p.eps {
		ep, err := openEndpoint(fam == 1, opts.Mode, opts.ReadBuffer)
		if err != nil {
			p.epErr[fam] = err
			continue
		}
		if err := ep.filterID(p.id); err != nil {
			p.log.Debug("icmp: no identifier filter on the raw socket; replies to other programs are dropped after reading",
				"family", ep.family(), "err", err)
		}
		p.eps[fam] = ep
		p.log.Debug("icmp socket open", "family", ep.family(), "mode", ep.mode())
	}
	if p.eps[0] == nil {
		if p.eps[1] != nil {
			p.eps[1].close()
		}
		return nil, p.epErr[0]
	}
	if p.epErr[1] != nil {
		p.log.Info("icmp: no IPv6 socket, IPv6 targets will fail", "err", p.epErr[1])
	}
	for _, ep := range p.eps {
		if ep != nil {
			p.wg.Add(1)
			go p.read(ep)
		}
	}
	return p, nil
}

// Mode returns the socket mode in use for IPv4: ModeRaw or ModeDatagram.
func (p *Pinger) Mode() Mode { return p.eps[0].mode() }

// Close closes the sockets and waits for the readers to stop. Batches still
// running end with their remaining echoes lost.
func (p *Pinger) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	var errs []error
	for _, ep := range p.eps {
		if ep != nil {
			errs = append(errs, ep.close())
		}
	}
	p.wg.Wait()
	return errors.Join(errs...)
}

// ErrClosed is returned in Stats.Err by a Pinger that was closed.
var ErrClosed = errors.New("icmp: pinger closed")

// family returns 0 for IPv4 (and IPv4-mapped IPv6) and 1 for IPv6.
func family(a netip.Addr) int {
	if a.Is4() || a.Is4In6() {
		return 0
	}
	return 1
}

// pacer spaces the sends of all batches of a Pinger to its rate.
type pacer struct {
	mu   sync.Mutex
	per  time.Duration // 0: unpaced
	next time.Time
}

// maxCatchUp is how far behind schedule the pacer lets senders catch up in a
// burst: timers overshoot, and on a busy host the sender wakes up late, by
// more than the 0.64 ms between two batches of 32 at the default rate. Late
// time beyond it is lost for good, so it bounds bursts (1,000 echoes at the
// default rate) and keeps the average rate. At 2 ms, a probe of 10,000
// cameras at load 22 on two cores took 0.5 s longer paced than unpaced
// (3.99 against 3.45 s, docs/benchmarks.md): each of a round's 312 wake-ups
// lost what it was late by beyond 2 ms.
const maxCatchUp = 20 * time.Millisecond

// reserve books n send slots and returns when the first may be used.
func (pc *pacer) reserve(now time.Time, n int) time.Time {
	if pc.per == 0 {
		return now
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if floor := now.Add(-maxCatchUp); pc.next.Before(floor) {
		pc.next = floor
	}
	t := pc.next
	pc.next = pc.next.Add(time.Duration(n) * pc.per)
	return t
}

// sleepUntil waits on the injected clock until t, or until ctx ends.
func (p *Pinger) sleepUntil(ctx context.Context, t time.Time) error {
	d := t.Sub(p.clock.Now())
	if d <= 0 {
		return ctx.Err()
	}
	timer := p.clock.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.Chan():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// read is the reader goroutine of one socket.
func (p *Pinger) read(ep *endpoint) {
	defer p.wg.Done()
	ms := make([]ipv4.Message, readBatch)
	bufLen := icmpHeaderLen + p.opts.Size + 60 + 1 // + IPv4 header with options, +1 to spot oversize
	// Kernel receive times are wall-clock times: used with the real clock
	// only (a fake clock in tests keeps every timestamp on itself).
	stamps := ep.stamps && p.realClock
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, bufLen)}
		if stamps {
			ms[i].OOB = make([]byte, rxTimestampSpace)
		}
	}
	var lastErr string
	for {
		n, err := ep.conn.ReadBatch(ms, 0)
		if err != nil {
			if p.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			if s := err.Error(); s != lastErr {
				p.log.Warn("icmp read", "family", ep.family(), "err", err)
				lastErr = s
			}
			continue
		}
		now := p.clock.Now()
		p.mu.RLock()
		var last *run
		for j := range ms[:n] {
			at := now
			if stamps {
				// Sane when at most a second before the reader woke (a
				// wall-clock step makes it otherwise).
				if kt, ok := rxTimestamp(ms[j].OOB[:ms[j].NN]); ok {
					if d := now.Sub(kt); d >= 0 && d < time.Second {
						at = kt
					}
				}
			}
			last = p.deliver(ep, &ms[j], at, last)
		}
		p.mu.RUnlock()
	}
}

// deliver matches one received packet to its run and probe. It is called with
// p.mu read-locked; cached is the run the previous packet matched.
func (p *Pinger) deliver(ep *endpoint, m *ipv4.Message, now time.Time, cached *run) *run {
	e, src4, ok := parseEcho(m.Buffers[0][:m.N], ep.v6, ep.raw && !ep.v6)
	if !ok || e.cookie != p.cookie || (ep.raw && e.id != p.id) {
		p.foreign.Add(1)
		return cached
	}
	r := cached
	if r == nil || r.id != e.run {
		if r = p.runs[e.run]; r == nil {
			return cached
		}
	}
	if int64(e.index) >= int64(len(r.recv)) || uint16(e.index) != e.seq {
		return r
	}
	want := r.addrs[int(e.index)%len(r.addrs)]
	var from netip.Addr
	if ep.raw && !ep.v6 {
		from = netip.AddrFrom4(src4)
	} else {
		from = addrOf(m.Addr)
	}
	if from.Unmap() != want.Unmap() {
		return r
	}
	if r.recv[e.index] != 0 {
		return r // duplicate
	}
	r.recv[e.index] = int64(now.Sub(r.start)) + 1
	if r.pending.Add(-1) == 0 {
		close(r.done)
	}
	return r
}

// addrOf returns the IP address of a *net.IPAddr or *net.UDPAddr.
func addrOf(a net.Addr) netip.Addr {
	var ip net.IP
	switch a := a.(type) {
	case *net.IPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	default:
		return netip.Addr{}
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr.Unmap()
}
