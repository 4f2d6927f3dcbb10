package icmp

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/roomwatch/roomwatch/internal/testutil"
)

// socketlessPinger has what deliver needs, without sockets.
func socketlessPinger(r *run) *Pinger {
	return &Pinger{cookie: 0xfeedface, id: 0x4242, runs: map[uint32]*run{r.id: r}}
}

func newTestRun(addrs []netip.Addr, count int) *run {
	r := &run{id: 77, start: time.Unix(1000, 0), addrs: addrs, recv: make([]int64, len(addrs)*count), done: make(chan struct{})}
	r.pending.Store(int64(len(r.recv)))
	return r
}

// packet builds an echo reply as a raw IPv4 socket delivers it.
func packet(src netip.Addr, id, seq uint16, cookie uint64, runID, index uint32) []byte {
	b := make([]byte, icmpHeaderLen+DefaultSize)
	marshalEcho(b, false, id, seq, cookie, runID, index)
	return reply(b, false, ipv4Header(src.As4(), 5, 1))
}

func TestDeliverMatchesOnlyOwnReplies(t *testing.T) {
	a0, a1 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")
	raw := &endpoint{raw: true}
	tests := []struct {
		name string
		pkt  []byte
		want int // index recorded, -1 none
	}{
		{"match", packet(a1, 0x4242, 3, 0xfeedface, 77, 3), 3},
		{"other cookie", packet(a1, 0x4242, 3, 0xfeedfacf, 77, 3), -1},
		{"other ID", packet(a1, 0x4243, 3, 0xfeedface, 77, 3), -1},
		{"sequence does not match index", packet(a1, 0x4242, 2, 0xfeedface, 77, 3), -1},
		{"unknown run", packet(a1, 0x4242, 3, 0xfeedface, 78, 3), -1},
		{"index past the run", packet(a1, 0x4242, 4, 0xfeedface, 77, 4), -1},
		{"huge index", packet(a1, 0x4242, 0xffff, 0xfeedface, 77, 0xffffffff), -1},
		{"wrong source", packet(a0, 0x4242, 3, 0xfeedface, 77, 3), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRun([]netip.Addr{a0, a1}, 2)
			p := socketlessPinger(r)
			m := ipv4.Message{Buffers: [][]byte{tt.pkt}, N: len(tt.pkt)}
			p.deliver(raw, &m, r.start.Add(5*time.Millisecond), nil)
			for i, v := range r.recv {
				if want := i == tt.want; (v != 0) != want {
					t.Errorf("recv[%d] = %d, want set=%v", i, v, want)
				}
			}
			if tt.want >= 0 {
				if got := r.recv[tt.want]; got != int64(5*time.Millisecond)+1 {
					t.Errorf("recorded %d", got)
				}
				// A duplicate is ignored: pending drops once.
				p.deliver(raw, &m, r.start.Add(9*time.Millisecond), nil)
				if r.pending.Load() != 3 || r.recv[tt.want] != int64(5*time.Millisecond)+1 {
					t.Errorf("duplicate counted: pending %d, recv %d", r.pending.Load(), r.recv[tt.want])
				}
			}
		})
	}
}

func FuzzDeliver(f *testing.F) {
	a := netip.MustParseAddr("127.0.0.1")
	f.Add(packet(a, 0x4242, 1, 0xfeedface, 77, 1), true, false)
	f.Add(packet(a, 0x4242, 0, 0xfeedface, 77, 0)[20:], false, false)
	f.Add([]byte{0x45}, true, true)
	f.Fuzz(func(t *testing.T, b []byte, raw, v6 bool) {
		r := newTestRun([]netip.Addr{a, netip.IPv6Loopback()}, 3)
		p := socketlessPinger(r)
		m := ipv4.Message{Buffers: [][]byte{b}, N: len(b), Addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}}
		p.deliver(&endpoint{raw: raw, v6: v6}, &m, r.start, nil)
		if n := r.pending.Load(); n < int64(len(r.recv))-1 {
			t.Errorf("one packet resolved %d echoes", int64(len(r.recv))-n)
		}
	})
}

// TestConcurrentPingers runs two Pingers, and two batches on one of them, at
// once: on raw sockets every reply reaches every socket, and each batch must
// still count exactly its own.
func TestConcurrentPingers(t *testing.T) {
	testutil.RequireRoot(t)
	t.Parallel()
	opts := Options{Mode: ModeRaw, Count: 3, Interval: 5 * time.Millisecond, Timeout: 2 * time.Second}
	p1, p2 := newPinger(t, opts), newPinger(t, opts)
	addrs := append(loopbackAddrs(300), netip.IPv6Loopback())
	var wg sync.WaitGroup
	for _, p := range []*Pinger{p1, p1, p2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			checkAnswered(t, p.PingAll(context.Background(), addrs), addrs, 3, 2*time.Second)
		}()
	}
	wg.Wait()
}
