package icmp

import (
	"encoding/binary"
	"testing"
	"time"

	xicmp "golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// reply turns an echo request built by marshalEcho into the reply a host
// sends back (type changed), optionally behind an IPv4 header from src.
func reply(req []byte, v6 bool, ipHeader []byte) []byte {
	b := append([]byte{}, req...)
	if v6 {
		b[0] = typeEchoReply6
	} else {
		b[0] = typeEchoReply4
		b[2], b[3] = 0, 0
		binary.BigEndian.PutUint16(b[2:], checksum(b))
	}
	return append(append([]byte{}, ipHeader...), b...)
}

func ipv4Header(src [4]byte, ihl int, proto byte) []byte {
	h := make([]byte, ihl*4)
	h[0] = 0x40 | byte(ihl)
	h[9] = proto
	copy(h[12:16], src[:])
	return h
}

func TestMarshalEchoIsAValidEchoRequest(t *testing.T) {
	b := make([]byte, icmpHeaderLen+DefaultSize)
	marshalEcho(b, false, 0x1234, 0xbeef, 0x0102030405060708, 7, 0x1beef)
	m, err := xicmp.ParseMessage(1, b)
	if err != nil {
		t.Fatal(err)
	}
	echo, ok := m.Body.(*xicmp.Echo)
	if m.Type != ipv4.ICMPTypeEcho || !ok || echo.ID != 0x1234 || echo.Seq != 0xbeef || len(echo.Data) != DefaultSize {
		t.Fatalf("parsed %+v %+v", m, m.Body)
	}
	if checksum(b) != 0 {
		t.Errorf("checksum over the message is %#x, want 0 (valid)", checksum(b))
	}
	b6 := make([]byte, icmpHeaderLen+minPayloadLen)
	marshalEcho(b6, true, 1, 2, 3, 4, 5)
	if m, err := xicmp.ParseMessage(58, b6); err != nil || m.Type != ipv6.ICMPTypeEchoRequest {
		t.Fatalf("v6: %v %+v", err, m)
	}
}

func TestParseEcho(t *testing.T) {
	req := make([]byte, icmpHeaderLen+DefaultSize)
	marshalEcho(req, false, 0x1234, 0x0005, 0xc0ffee, 9, 0x30005)
	req6 := make([]byte, icmpHeaderLen+DefaultSize)
	marshalEcho(req6, true, 0x1234, 0x0005, 0xc0ffee, 9, 0x30005)
	src := [4]byte{127, 0, 3, 4}
	want := echo{id: 0x1234, seq: 5, cookie: 0xc0ffee, run: 9, index: 0x30005}
	withOptions := ipv4Header(src, 6, 1)
	tests := []struct {
		name       string
		b          []byte
		v6, header bool
		ok         bool
	}{
		{"datagram v4", reply(req, false, nil), false, false, true},
		{"raw v4", reply(req, false, ipv4Header(src, 5, 1)), false, true, true},
		{"raw v4 with IP options", reply(req, false, withOptions), false, true, true},
		{"v6", reply(req6, true, nil), true, false, true},
		{"request, not reply", req, false, false, false},
		{"v6 request", req6, true, false, false},
		{"v4 reply on v6 socket", reply(req, false, nil), true, false, false},
		{"not ICMP", reply(req, false, ipv4Header(src, 5, 17)), false, true, false},
		{"IPv6 version nibble in v4 header", append([]byte{0x65}, reply(req, false, ipv4Header(src, 5, 1))[1:]...), false, true, false},
		{"IHL below 5", reply(req, false, ipv4Header(src, 4, 1)), false, true, false},
		{"truncated payload", reply(req, false, nil)[:icmpHeaderLen+minPayloadLen-1], false, false, false},
		{"IHL past the end", ipv4Header(src, 15, 1)[:30], false, true, false},
		{"empty", nil, false, true, false},
		{"nonzero code", func() []byte { b := reply(req, false, nil); b[1] = 1; return b }(), false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotSrc, ok := parseEcho(tt.b, tt.v6, tt.header)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, got)
			}
			if !ok {
				return
			}
			if got != want {
				t.Errorf("echo = %+v, want %+v", got, want)
			}
			if tt.header && gotSrc != src {
				t.Errorf("source = %v, want %v", gotSrc, src)
			}
		})
	}
}

func FuzzParseEcho(f *testing.F) {
	req := make([]byte, icmpHeaderLen+DefaultSize)
	marshalEcho(req, false, 1, 2, 3, 4, 5)
	f.Add(reply(req, false, nil), false, false)
	f.Add(reply(req, false, ipv4Header([4]byte{127, 0, 0, 1}, 5, 1)), false, true)
	f.Add(reply(req, false, ipv4Header([4]byte{127, 0, 0, 1}, 15, 1)), false, true)
	f.Add([]byte{0x4f, 0, 0}, false, true)
	f.Add([]byte{}, true, false)
	f.Fuzz(func(t *testing.T, b []byte, v6, header bool) {
		e, _, ok := parseEcho(b, v6, header)
		if !ok && e != (echo{}) && len(b) < icmpHeaderLen+minPayloadLen {
			t.Errorf("not ok yet fields set from a short packet: %+v", e)
		}
		if ok && len(b) < icmpHeaderLen+minPayloadLen {
			t.Errorf("accepted a %d-byte packet", len(b))
		}
	})
}

func TestFillRTT(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name             string
		sent             int
		rtts             []time.Duration
		loss             float64
		min, avg, max, j time.Duration
	}{
		{"nothing sent", 0, nil, 1, 0, 0, 0, 0},
		{"all lost", 3, nil, 1, 0, 0, 0, 0},
		{"one of three", 3, []time.Duration{5 * ms}, 2.0 / 3, 5 * ms, 5 * ms, 5 * ms, 0},
		{"steady", 3, []time.Duration{2 * ms, 2 * ms, 2 * ms}, 0, 2 * ms, 2 * ms, 2 * ms, 0},
		// |4-1| + |2-4| = 5 over 2 differences.
		{"jitter is mean abs consecutive difference", 4, []time.Duration{1 * ms, 4 * ms, 2 * ms}, 0.25, 1 * ms, 7 * ms / 3, 4 * ms, 5 * ms / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Stats{Sent: tt.sent}
			fillRTT(&s, tt.rtts)
			if s.Received != len(tt.rtts) || s.LossRatio != tt.loss || s.RTTMin != tt.min || s.RTTAvg != tt.avg || s.RTTMax != tt.max || s.Jitter != tt.j {
				t.Errorf("got %+v", s)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeAuto, "auto": ModeAuto, "RAW": ModeRaw, "privileged": ModeRaw, "datagram": ModeDatagram, "unprivileged": ModeDatagram} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseMode("icmp"); err == nil {
		t.Error("ParseMode(icmp): no error")
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{{Count: -1}, {Count: 1001}, {Size: 8}, {Timeout: -time.Second}, {Interval: -1}, {Mode: 7}, {ReadBuffer: -1}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
}
