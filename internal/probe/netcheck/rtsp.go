package netcheck

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/icholy/digest"
	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
)

// Default RTSP stream paths (main stream of channel 1) by vendor.
const (
	HikvisionRTSPPath = "/Streaming/Channels/101"
	DahuaRTSPPath     = "/cam/realmonitor?channel=1&subtype=0"
)

// RTSP checks a camera's stream: OPTIONS, then DESCRIBE with Accept:
// application/sdp, answering a Digest or Basic challenge with the device's
// credentials; the stream is up when DESCRIBE answers 200 with an SDP holding
// at least one m=video section.
type RTSP struct {
	Clock     clockwork.Clock // nil: the real clock
	UserAgent string          // default "roomwatch"
}

// RTSPURL returns the stream URL of a target: rtsp_port (default 554, or the
// port in the address) and rtsp_path (default by vendor).
func RTSPURL(t inventory.Target) (string, error) {
	host, _, err := probe.SplitAddress(t.Address)
	if err != nil {
		return "", err
	}
	port, path := 554, ""
	if d := t.Device; d != nil {
		if d.Probe.RTSPPort != 0 {
			port = d.Probe.RTSPPort
		}
		path = d.Probe.RTSPPath
		if path == "" {
			switch inventory.VendorKey(d.Vendor) {
			case "hikvision":
				path = HikvisionRTSPPath
			case "dahua":
				path = DahuaRTSPPath
			}
		}
	}
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return "rtsp://" + probe.JoinHostPort(host, port) + path, nil
}

// Probe implements probe.Prober.
func (c RTSP) Probe(ctx context.Context, t inventory.Target) probe.Result {
	clock := orReal(c.Clock)
	r := probe.Result{Target: t, Probe: "rtsp", Start: clock.Now()}
	defer func() { r.Duration = clock.Since(r.Start) }()
	url, err := RTSPURL(t)
	if err != nil {
		r.Err = err
		return r
	}
	var user, pass string
	if t.Device != nil && t.Device.HTTP != nil {
		user, pass = t.Device.HTTP.Username, t.Device.HTTP.Password.Reveal()
	}
	s, err := dialRTSP(ctx, url, user, pass, c.UserAgent)
	if err != nil {
		r.Err = err
		return r
	}
	defer s.close()
	opt, err := s.do(ctx, "OPTIONS", nil)
	if err != nil {
		r.Err = err
		return r
	}
	r.Add("roomwatch_probe_rtsp_options_status_code", probe.Gauge, float64(opt.StatusCode), "RTSP status of OPTIONS.", nil)
	if opt.StatusCode != 200 {
		r.Err = StatusError("rtsp OPTIONS", opt.StatusCode)
		return r
	}
	desc, err := s.do(ctx, "DESCRIBE", map[string]string{"Accept": "application/sdp"})
	if err != nil {
		r.Err = err
		return r
	}
	r.Add("roomwatch_probe_rtsp_status_code", probe.Gauge, float64(desc.StatusCode), "RTSP status of DESCRIBE.", nil)
	if desc.StatusCode != 200 {
		r.Err = StatusError("rtsp DESCRIBE", desc.StatusCode)
		return r
	}
	if ct := desc.Header.Get("Content-Type"); ct != "" && !strings.Contains(strings.ToLower(ct), "application/sdp") {
		r.Err = probe.Errorf(probe.ReasonProtocol, "rtsp DESCRIBE: content type %q, want application/sdp", clip(ct))
		return r
	}
	sdp, err := ParseSDP(desc.Body)
	if err != nil {
		r.Err = probe.Errorf(probe.ReasonProtocol, "rtsp DESCRIBE: %w", err)
		return r
	}
	videos := sdp.Videos()
	r.Add("roomwatch_probe_rtsp_video_streams", probe.Gauge, float64(len(videos)), "Video sections (m=video) in the stream's SDP.", nil)
	if len(videos) > 0 {
		codec := "unknown"
		if v := videos[0]; len(v.Codecs) > 0 {
			codec = strings.ToUpper(v.Codecs[0])
		}
		r.Add("roomwatch_probe_rtsp_video_codec_info", probe.Info, 1, "Codec of the stream's first video section.", map[string]string{"codec": codec})
	} else {
		r.Err = probe.Errorf(probe.ReasonProtocol, "rtsp DESCRIBE: the SDP has no m=video section")
	}
	return r
}

// rtspSession is one TCP connection to an RTSP server.
type rtspSession struct {
	conn       net.Conn
	br         *bufio.Reader
	url        string
	user, pass string
	ua         string
	cseq       int
	stop       func() bool
	once       sync.Once
	auth       func(method string) (string, error) // set after a challenge
}

func dialRTSP(ctx context.Context, url, user, pass, ua string) (*rtspSession, error) {
	hostport := strings.TrimPrefix(url, "rtsp://")
	if i := strings.IndexByte(hostport, '/'); i >= 0 {
		hostport = hostport[:i]
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return nil, fmt.Errorf("rtsp connect %s: %w", hostport, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if ua == "" {
		ua = "roomwatch"
	}
	s := &rtspSession{conn: conn, br: bufio.NewReader(newLimitedReader(conn, maxRTSPConnBytes)), url: url, user: user, pass: pass, ua: ua}
	// Closing the connection when ctx ends unblocks reads whatever clock set the deadline.
	s.stop = context.AfterFunc(ctx, func() { conn.Close() })
	return s, nil
}

func (s *rtspSession) close() {
	s.once.Do(func() {
		s.stop()
		s.conn.Close()
	})
}

// do sends one request and reads its response, answering one 401 challenge.
func (s *rtspSession) do(ctx context.Context, method string, hdr map[string]string) (*RTSPResponse, error) {
	resp, err := s.roundTrip(ctx, method, hdr)
	if err != nil || resp.StatusCode != 401 || s.user == "" || s.auth != nil {
		return resp, err
	}
	if err := s.challenge(resp); err != nil {
		return nil, err
	}
	return s.roundTrip(ctx, method, hdr)
}

// challenge prepares the Authorization for the following requests.
func (s *rtspSession) challenge(resp *RTSPResponse) error {
	var basic bool
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if digest.IsDigest(v) {
			chal, err := digest.ParseChallenge(v)
			if err != nil {
				return probe.Errorf(probe.ReasonProtocol, "rtsp: bad digest challenge: %w", err)
			}
			if !digest.CanDigest(chal) {
				return probe.Errorf(probe.ReasonProtocol, "rtsp: unsupported digest challenge (algorithm %q)", clip(chal.Algorithm))
			}
			n := 0
			s.auth = func(method string) (string, error) {
				n++
				cred, err := digest.Digest(chal, digest.Options{Method: method, URI: s.url, Username: s.user, Password: s.pass, Count: n})
				if err != nil {
					return "", err
				}
				return cred.String(), nil
			}
			return nil
		}
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "basic") {
			basic = true
		}
	}
	if !basic {
		return probe.Errorf(probe.ReasonAuth, "rtsp: 401 without a usable WWW-Authenticate challenge")
	}
	s.auth = func(string) (string, error) {
		return "Basic " + basicToken(s.user, s.pass), nil
	}
	return nil
}

func (s *rtspSession) roundTrip(ctx context.Context, method string, hdr map[string]string) (*RTSPResponse, error) {
	s.cseq++
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s RTSP/1.0\r\nCSeq: %d\r\nUser-Agent: %s\r\n", method, s.url, s.cseq, s.ua)
	for k, v := range hdr {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	if s.auth != nil {
		a, err := s.auth(method)
		if err != nil {
			return nil, probe.Errorf(probe.ReasonAuth, "rtsp %s: %w", method, err)
		}
		fmt.Fprintf(&b, "Authorization: %s\r\n", a)
	}
	b.WriteString("\r\n")
	if _, err := s.conn.Write([]byte(b.String())); err != nil {
		return nil, s.ioErr(ctx, method, err)
	}
	resp, err := ReadRTSPResponse(s.br)
	if err != nil {
		return nil, s.ioErr(ctx, method, err)
	}
	if got := resp.Header.Get("CSeq"); got != "" && strings.TrimSpace(got) != fmt.Sprint(s.cseq) {
		return nil, probe.Errorf(probe.ReasonProtocol, "rtsp %s: CSeq %q answers another request (sent %d)", method, clip(got), s.cseq)
	}
	return resp, nil
}

// ioErr reports a cancelled context as a timeout and parse failures as protocol errors.
func (s *rtspSession) ioErr(ctx context.Context, method string, err error) error {
	if ctx.Err() != nil {
		return probe.Errorf(probe.ReasonTimeout, "rtsp %s: no answer before the timeout: %w", method, ctx.Err())
	}
	if _, bad := errors.AsType[protocolError](err); bad && probe.Reason(err) == probe.ReasonOther {
		return probe.Errorf(probe.ReasonProtocol, "rtsp %s: %w", method, err)
	}
	return fmt.Errorf("rtsp %s: %w", method, err)
}
