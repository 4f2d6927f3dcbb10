package icmp

import (
	"encoding/binary"
	"net"
	"syscall"
	"time"

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

// enableRxTimestamps asks the kernel to stamp every received packet
// (SO_TIMESTAMPNS), so RTTs exclude the time replies wait in the socket.
func enableRxTimestamps(pc *xicmp.PacketConn) bool {
	sc, ok := any(pcConn(pc)).(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return false
	}
	return true
}

// rxTimestampSpace is the control-message room one SO_TIMESTAMPNS needs.
var rxTimestampSpace = unix.CmsgSpace(16)

// rxTimestamp returns the kernel's receive time from a packet's control
// messages.
func rxTimestamp(oob []byte) (time.Time, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:]))
			return time.Unix(sec, nsec), true
		}
	}
	return time.Time{}, false
}
