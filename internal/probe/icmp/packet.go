package icmp

import (
	"encoding/binary"
)

// ICMP message types used by the pinger.
const (
	typeEchoReply4   = 0
	typeEchoRequest4 = 8
	typeEchoRequest6 = 128
	typeEchoReply6   = 129
)

// Payload layout of every echo request the pinger sends (and of the reply,
// which echoes it): an 8-byte per-Pinger cookie, the 4-byte run number and the
// 4-byte probe index, then zero padding up to Options.Size. A reply matches a
// probe only when the cookie, run and index are known and the ICMP sequence
// equals the index's low 16 bits (and, on raw sockets, the ICMP ID is ours).
const (
	cookieLen     = 8
	minPayloadLen = cookieLen + 4 + 4
	icmpHeaderLen = 8
)

// echo is what the parser extracted from one received packet.
type echo struct {
	id, seq uint16
	cookie  uint64
	run     uint32
	index   uint32
}

// marshalEcho writes an echo request into b (len(b) = icmpHeaderLen+payload
// size, at least minPayloadLen of payload; the padding must already be zero).
// The IPv4 checksum is computed here; for ICMPv6 and for datagram sockets the
// kernel fills it in, and a value computed here is simply overwritten.
func marshalEcho(b []byte, v6 bool, id, seq uint16, cookie uint64, run, index uint32) {
	if v6 {
		b[0] = typeEchoRequest6
	} else {
		b[0] = typeEchoRequest4
	}
	b[1] = 0
	b[2], b[3] = 0, 0
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	binary.BigEndian.PutUint64(b[8:], cookie)
	binary.BigEndian.PutUint32(b[16:], run)
	binary.BigEndian.PutUint32(b[20:], index)
	if !v6 {
		binary.BigEndian.PutUint16(b[2:], checksum(b))
	}
}

// checksum is the Internet checksum (RFC 1071) of b.
func checksum(b []byte) uint16 {
	var s uint32
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// parseEcho extracts an echo reply from one received packet. withIPHeader is
// true for raw IPv4 sockets, where the kernel delivers the IPv4 header too
// (the source address is then taken from it); for every other socket b starts
// at the ICMP header. It reports false for anything that is not a well-formed
// echo reply carrying the pinger's payload layout, and never panics.
func parseEcho(b []byte, v6, withIPHeader bool) (e echo, src [4]byte, ok bool) {
	if withIPHeader {
		if len(b) < 20 || b[0]>>4 != 4 {
			return e, src, false
		}
		hl := int(b[0]&0x0f) * 4
		if hl < 20 || len(b) < hl || b[9] != 1 { // protocol 1 = ICMP
			return e, src, false
		}
		copy(src[:], b[12:16])
		b = b[hl:]
	}
	if len(b) < icmpHeaderLen+minPayloadLen || b[1] != 0 {
		return e, src, false
	}
	if (v6 && b[0] != typeEchoReply6) || (!v6 && b[0] != typeEchoReply4) {
		return e, src, false
	}
	e.id = binary.BigEndian.Uint16(b[4:])
	e.seq = binary.BigEndian.Uint16(b[6:])
	e.cookie = binary.BigEndian.Uint64(b[8:])
	e.run = binary.BigEndian.Uint32(b[16:])
	e.index = binary.BigEndian.Uint32(b[20:])
	return e, src, true
}
