//go:build !linux

package icmp

import (
	"time"

	xicmp "golang.org/x/net/icmp"
)

// setReadBuffer asks for a receive buffer of n bytes. Best effort.
func setReadBuffer(pc *xicmp.PacketConn, n int) {
	if c := pc.IPv4PacketConn(); c != nil {
		if b, ok := c.PacketConn.(interface{ SetReadBuffer(int) error }); ok {
			_ = b.SetReadBuffer(n)
		}
		return
	}
	if c := pc.IPv6PacketConn(); c != nil {
		if b, ok := c.PacketConn.(interface{ SetReadBuffer(int) error }); ok {
			_ = b.SetReadBuffer(n)
		}
	}
}

// enableRxTimestamps is Linux only; elsewhere RTTs end when the reader wakes.
func enableRxTimestamps(*xicmp.PacketConn) bool { return false }

const rxTimestampSpace = 0

func rxTimestamp([]byte) (time.Time, bool) { return time.Time{}, false }
