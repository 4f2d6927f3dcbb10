package icmp

import (
	"net"
	"syscall"

	xicmp "golang.org/x/net/icmp"
	"golang.org/x/sys/unix"
)

// setReadBuffer asks for a receive buffer of n bytes: SO_RCVBUFFORCE (root may
// exceed net.core.rmem_max), else SO_RCVBUF. Best effort.
func setReadBuffer(pc *xicmp.PacketConn, n int) {
	sc, ok := any(pcConn(pc)).(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) != nil {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		}
	})
}

// pcConn returns the net.PacketConn under an icmp.PacketConn.
func pcConn(pc *xicmp.PacketConn) net.PacketConn {
	if c := pc.IPv4PacketConn(); c != nil {
		return c.PacketConn
	}
	if c := pc.IPv6PacketConn(); c != nil {
		return c.PacketConn
	}
	return nil
}
