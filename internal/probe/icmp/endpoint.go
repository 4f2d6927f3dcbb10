package icmp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

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
