package icmp

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

// Probe states, per echo.
const (
	stateUnsent uint8 = iota
	stateSent
	stateSendFailed
)

// Batch sizes for sendmmsg and recvmmsg.
const (
	sendBatch = 32
	readBatch = 64
)

// run is one PingAll batch. Echo k of target i has index k*len(addrs)+i.
type run struct {
	id    uint32
	start time.Time
	addrs []netip.Addr
	// timeout is the reply timeout of this batch (see Pinger.fit).
	timeout time.Duration
	// Written by the sending goroutine only.
	state   []uint8
	sent    []int64 // nanoseconds since start
	sendErr []error // per target, the last send error
	// recv is written by the readers under Pinger.mu (read-locked), and read by
	// the sender after the run is unregistered: nanoseconds since start + 1,
	// 0 for no reply.
	recv    []int64
	pending atomic.Int64
	done    chan struct{}
}

// resolve marks n echoes as settled without a reply (never sent, send error).
func (r *run) resolve(n int) {
	if n > 0 && r.pending.Add(int64(-n)) == 0 {
		close(r.done)
	}
}

// PingAll sends Options.Count echoes to every address and returns one Stats
// per address, in the same order. It returns when every echo was answered or
// timed out, or when ctx ends (remaining echoes then count as lost and Err is
// set). Addresses may repeat; each occurrence is pinged.
func (p *Pinger) PingAll(ctx context.Context, addrs []netip.Addr) []Stats {
	n := len(addrs)
	if n == 0 {
		return nil
	}
	out := make([]Stats, n)
	if n > MaxTargets {
		for i := range out {
			out[i] = Stats{Addr: addrs[i], LossRatio: 1, Err: fmt.Errorf("icmp: batch of %d addresses exceeds %d", n, MaxTargets)}
		}
		return out
	}
	count := p.opts.Count
	total := n * count
	r := &run{
		id:      p.nextRun.Add(1),
		start:   p.clock.Now(),
		addrs:   addrs,
		state:   make([]uint8, total),
		sent:    make([]int64, total),
		sendErr: make([]error, n),
		recv:    make([]int64, total),
		done:    make(chan struct{}),
	}
	r.pending.Store(int64(total))

	// Per-target endpoint and destination address, built once.
	eps := make([]*endpoint, n)
	dsts := make([]net.Addr, n)
	for i, a := range addrs {
		fam := family(a)
		if !a.IsValid() {
			r.sendErr[i] = fmt.Errorf("icmp: invalid address")
		} else if eps[i] = p.eps[fam]; eps[i] == nil {
			r.sendErr[i] = fmt.Errorf("icmp: no %s socket: %w", [2]string{"IPv4", "IPv6"}[fam], p.epErr[fam])
		} else {
			dsts[i] = eps[i].dst(a)
		}
	}

	p.mu.Lock()
	if p.closed.Load() {
		p.mu.Unlock()
		for i := range out {
			out[i] = Stats{Addr: addrs[i], LossRatio: 1, Err: ErrClosed}
		}
		return out
	}
	p.runs[r.id] = r
	p.mu.Unlock()

	interval, timeout := p.fit(ctx, r.start)
	r.timeout = timeout
	lastSend, cancelled := p.send(ctx, r, eps, dsts, interval)

	if !cancelled {
		deadline := lastSend.Add(timeout)
		timer := p.clock.NewTimer(deadline.Sub(p.clock.Now()))
		select {
		case <-r.done:
		case <-timer.Chan():
		case <-ctx.Done():
			cancelled = true
		}
		timer.Stop()
	}
	end := p.clock.Now()

	p.mu.Lock()
	delete(p.runs, r.id)
	p.mu.Unlock()

	var ctxErr error
	if cancelled {
		ctxErr = ctx.Err()
		if ctxErr == nil {
			ctxErr = ErrClosed
		}
	}
	p.stats(r, end, ctxErr, out)
	return out
}

// send sends every echo of the run, round by round, paced. It returns when
// the last echo went out, and whether ctx ended first.
// fit returns the spacing of rounds and the reply timeout for a batch that
// starts at start: the configured ones, or, when ctx's deadline comes sooner
// than the batch would end ((Count-1)×Interval + Timeout), both shrunk by the
// same factor so the batch ends at 90% of the time left. A probe scheduled
// every 2 s with a 0.6 s timeout thus still sends its 3 echoes and waits for
// the replies, instead of being cut off after the first.
func (p *Pinger) fit(ctx context.Context, start time.Time) (interval, timeout time.Duration) {
	interval, timeout = p.opts.Interval, p.opts.Timeout
	deadline, ok := ctx.Deadline()
	if !ok {
		return interval, timeout
	}
	need := time.Duration(p.opts.Count-1)*interval + timeout
	budget := deadline.Sub(start) * 9 / 10
	if need <= budget || need <= 0 {
		return interval, timeout
	}
	if budget <= 0 {
		return 0, 0
	}
	f := float64(budget) / float64(need)
	return time.Duration(float64(interval) * f), time.Duration(float64(timeout) * f)
}

func (p *Pinger) send(ctx context.Context, r *run, eps []*endpoint, dsts []net.Addr, interval time.Duration) (last time.Time, cancelled bool) {
	n, count := len(r.addrs), p.opts.Count
	ms := make([]ipv4.Message, sendBatch)
	bufs := make([][]byte, sendBatch)
	for j := range ms {
		bufs[j] = make([]byte, icmpHeaderLen+p.opts.Size)
		ms[j].Buffers = [][]byte{bufs[j]}
	}
	idx := make([]int, 0, sendBatch)
	last = r.start
	for k := 0; k < count; k++ {
		if k > 0 {
			if err := p.sleepUntil(ctx, r.start.Add(time.Duration(k)*interval)); err != nil {
				r.resolve((count - k) * n)
				return last, true
			}
		}
		for i := 0; i < n; {
			if ctx.Err() != nil || p.closed.Load() {
				r.resolve((count-k)*n - i)
				return last, true
			}
			// A batch: consecutive targets on the same endpoint.
			ep := eps[i]
			if ep == nil {
				r.state[k*n+i] = stateSendFailed
				r.resolve(1)
				i++
				continue
			}
			idx = idx[:0]
			for ; i < n && len(idx) < sendBatch && eps[i] == ep; i++ {
				idx = append(idx, k*n+i)
			}
			if at := p.pace.reserve(p.clock.Now(), len(idx)); at.After(p.clock.Now()) {
				if err := p.sleepUntil(ctx, at); err != nil {
					r.resolve((count-k)*n - i + len(idx))
					return last, true
				}
			}
			for j, x := range idx {
				marshalEcho(bufs[j], ep.v6, p.id, uint16(x), p.cookie, r.id, uint32(x))
				ms[j].Addr = dsts[x%n]
			}
			now := p.clock.Now()
			last = now
			stamp := int64(now.Sub(r.start))
			for _, x := range idx {
				r.sent[x] = stamp
				r.state[x] = stateSent
			}
			p.writeAll(r, ep, ms[:len(idx)], idx)
		}
	}
	return last, false
}

// writeAll sends a batch, marking echoes the kernel refused as failed.
func (p *Pinger) writeAll(r *run, ep *endpoint, ms []ipv4.Message, idx []int) {
	n := len(r.addrs)
	for off := 0; off < len(ms); {
		w, err := ep.conn.WriteBatch(ms[off:], 0)
		if w > 0 {
			off += w
			continue
		}
		if err == nil { // nothing written, no error: count it as a failure to avoid spinning
			err = fmt.Errorf("icmp: send wrote nothing")
		}
		x := idx[off]
		r.state[x] = stateSendFailed
		r.sendErr[x%n] = err
		r.resolve(1)
		off++
	}
}

// stats computes every target's Stats from the run's timestamps.
func (p *Pinger) stats(r *run, end time.Time, ctxErr error, out []Stats) {
	n, count := len(r.addrs), p.opts.Count
	timeout := int64(r.timeout)
	endNS := int64(end.Sub(r.start))
	rtts := make([]time.Duration, 0, count)
	for i := range out {
		rtts = rtts[:0]
		s := Stats{Addr: r.addrs[i], Err: r.sendErr[i]}
		first, last := int64(-1), int64(0)
		unresolved := false
		for k := 0; k < count; k++ {
			x := k*n + i
			switch r.state[x] {
			case stateUnsent:
				if ctxErr != nil {
					unresolved = true
				}
				continue
			case stateSendFailed:
				s.Sent++
				continue
			}
			s.Sent++
			sent := r.sent[x]
			if first < 0 {
				first = sent
			}
			if rv := r.recv[x]; rv != 0 && rv-1-sent <= timeout {
				rtts = append(rtts, time.Duration(rv-1-sent))
				last = max(last, rv-1)
				continue
			}
			if t := sent + timeout; t > endNS {
				unresolved = true
				last = max(last, endNS)
			} else {
				last = max(last, t)
			}
		}
		if unresolved && s.Err == nil {
			s.Err = ctxErr
		}
		if first >= 0 {
			s.First = r.start.Add(time.Duration(first))
			s.Last = r.start.Add(time.Duration(last))
		}
		fillRTT(&s, rtts)
		out[i] = s
	}
}

// fillRTT sets Received, LossRatio, the RTT summary and jitter from the RTTs
// of the answered echoes, in send order.
func fillRTT(s *Stats, rtts []time.Duration) {
	s.Received = len(rtts)
	s.LossRatio = 1
	if s.Sent > 0 {
		s.LossRatio = float64(s.Sent-s.Received) / float64(s.Sent)
	}
	if len(rtts) == 0 {
		return
	}
	s.RTTMin, s.RTTMax = time.Duration(math.MaxInt64), 0
	var sum, diffs time.Duration
	for j, d := range rtts {
		s.RTTMin = min(s.RTTMin, d)
		s.RTTMax = max(s.RTTMax, d)
		sum += d
		if j > 0 {
			diff := d - rtts[j-1]
			if diff < 0 {
				diff = -diff
			}
			diffs += diff
		}
	}
	s.RTTAvg = sum / time.Duration(len(rtts))
	if len(rtts) > 1 {
		s.Jitter = diffs / time.Duration(len(rtts)-1)
	}
}
