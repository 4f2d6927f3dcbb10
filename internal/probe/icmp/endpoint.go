package icmp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/net/bpf"
	xicmp "golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchConn is the batch I/O both ipv4.PacketConn and ipv6.PacketConn offer
// (recvmmsg/sendmmsg on Linux, one message per call elsewhere).
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// endpoint is one ICMP socket.
type endpoint struct {
	v6, raw bool
	stamps  bool // the kernel stamps received packets (SO_TIMESTAMPNS)
	pc      *xicmp.PacketConn
	conn    batchConn
}

func (ep *endpoint) family() string {
	if ep.v6 {
		return "ipv6"
	}
	return "ipv4"
}

func (ep *endpoint) mode() Mode {
	if ep.raw {
		return ModeRaw
	}
	return ModeDatagram
}

func (ep *endpoint) close() error { return ep.pc.Close() }

// dst returns the destination socket address for a, as the socket kind wants it.
func (ep *endpoint) dst(a netip.Addr) net.Addr {
	ip := net.IP(a.Unmap().AsSlice())
	if ep.raw {
		return &net.IPAddr{IP: ip, Zone: a.Zone()}
	}
	return &net.UDPAddr{IP: ip, Zone: a.Zone()}
}

// openEndpoint opens the ICMP socket of one family in the given mode.
func openEndpoint(v6 bool, mode Mode, readBuffer int) (*endpoint, error) {
	var rawErr error
	if mode == ModeAuto || mode == ModeRaw {
		ep, err := listen(v6, true, readBuffer)
		if err == nil || mode == ModeRaw {
			return ep, err
		}
		rawErr = err
	}
	ep, err := listen(v6, false, readBuffer)
	if err != nil && rawErr != nil {
		return nil, fmt.Errorf("%w; and %w", rawErr, err)
	}
	return ep, err
}

func listen(v6, raw bool, readBuffer int) (*endpoint, error) {
	network, address, kind := "ip4:icmp", "0.0.0.0", "raw"
	switch {
	case v6 && raw:
		network, address = "ip6:ipv6-icmp", "::"
	case v6:
		network, address, kind = "udp6", "::", "datagram"
	case !raw:
		network, kind = "udp4", "datagram"
	}
	pc, err := xicmp.ListenPacket(network, address)
	if err != nil {
		err = fmt.Errorf("icmp: open %s %s socket: %w", kind, map[bool]string{false: "IPv4", true: "IPv6"}[v6], err)
		switch {
		case raw && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)):
			err = fmt.Errorf("%w (raw sockets need root or CAP_NET_RAW)", err)
		case !raw && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)):
			err = fmt.Errorf("%w (datagram ICMP needs the process's group inside sysctl net.ipv4.ping_group_range)", err)
		}
		return nil, err
	}
	ep := &endpoint{v6: v6, raw: raw, pc: pc}
	if v6 {
		c := pc.IPv6PacketConn()
		ep.conn = c
		if raw {
			var f ipv6.ICMPFilter
			f.SetAll(true)
			f.Accept(ipv6.ICMPTypeEchoReply)
			_ = c.SetICMPFilter(&f) // best effort: the reader filters anyway
		}
	} else {
		c := pc.IPv4PacketConn()
		ep.conn = c
		if raw {
			var f ipv4.ICMPFilter
			f.SetAll(true)
			f.Accept(ipv4.ICMPTypeEchoReply)
			_ = c.SetICMPFilter(&f) // Linux only; elsewhere the reader filters
		}
	}
	setReadBuffer(pc, readBuffer)
	ep.stamps = enableRxTimestamps(pc)
	return ep, nil
}

// echoReplyFilter returns the classic BPF program that lets only ICMP echo
// replies carrying id into a raw socket. A raw socket gets every ICMP
// packet of the host, and ICMP_FILTER only narrows that to echo replies:
// beside another pinger (fping, blackbox_exporter, a monitoring agent) each
// of its replies would wake the reader to be read and thrown away, which
// measured doubled serve's CPU per sweep of 10,000 cameras beside a looping
// fping (docs/benchmarks.md). iputils ping filters the same way. IPv4 raw
// sockets see the IP header, IPv6 ones start at the ICMPv6 header.
func echoReplyFilter(v6 bool, id uint16) ([]bpf.RawInstruction, error) {
	var prog []bpf.Instruction
	if v6 {
		prog = []bpf.Instruction{
			bpf.LoadAbsolute{Off: 4, Size: 2}, // ICMPv6 identifier
		}
	} else {
		prog = []bpf.Instruction{
			bpf.LoadMemShift{Off: 0},          // X = the IP header's length
			bpf.LoadIndirect{Off: 4, Size: 2}, // ICMP identifier
		}
	}
	prog = append(prog,
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(id), SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff}, // the whole packet (ICMP replies are small)
		bpf.RetConstant{Val: 0},      // not ours: dropped in the kernel
	)
	return bpf.Assemble(prog)
}

// bpfSetter attaches a BPF program to a socket: ipv4.PacketConn and
// ipv6.PacketConn, an endpoint's conn.
type bpfSetter interface {
	SetBPF(filter []bpf.RawInstruction) error
}

// filterID attaches echoReplyFilter to a raw endpoint; best effort (Linux
// only), since deliver checks the identifier anyway.
func (ep *endpoint) filterID(id uint16) error {
	if !ep.raw {
		return nil // datagram sockets: the kernel demultiplexes by identifier
	}
	prog, err := echoReplyFilter(ep.v6, id)
	if err != nil {
		return err
	}
	if c, ok := ep.conn.(bpfSetter); ok {
		return c.SetBPF(prog)
	}
	return nil
}
