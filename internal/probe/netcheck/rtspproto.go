package netcheck

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"
)

// RTSPResponse is one parsed RTSP/1.0 response (RFC 2326 §7).
type RTSPResponse struct {
	Proto      string // RTSP/1.0 (or RTSP/2.0)
	StatusCode int
	Reason     string
	Header     textproto.MIMEHeader
	Body       []byte
}

// Limits on what an RTSP answer may hold, and on all answers of one check.
const (
	maxRTSPBody      = 1 << 20
	maxRTSPConnBytes = 4 << 20
)

// ReadRTSPResponse reads one response from r: the status line, the headers
// and a body of Content-Length bytes. Anything else is an error. Callers
// reading from the network bound r (see newLimitedReader).
func ReadRTSPResponse(r *bufio.Reader) (*RTSPResponse, error) {
	tp := textproto.NewReader(r)
	line, err := tp.ReadLine()
	if err != nil {
		return nil, protocolError{fmt.Errorf("rtsp: reading status line: %w", err)}
	}
	proto, rest, ok := strings.Cut(line, " ")
	if !ok || !strings.HasPrefix(proto, "RTSP/") {
		return nil, protocolError{fmt.Errorf("rtsp: not an RTSP status line: %q", clip(line))}
	}
	codeStr, reason, _ := strings.Cut(rest, " ")
	code, err := strconv.Atoi(codeStr)
	if err != nil || code < 100 || code > 999 {
		return nil, protocolError{fmt.Errorf("rtsp: bad status code %q", clip(codeStr))}
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil && !(errors.Is(err, io.EOF) && len(h) > 0) {
		return nil, protocolError{fmt.Errorf("rtsp: reading headers: %w", err)}
	}
	resp := &RTSPResponse{Proto: proto, StatusCode: code, Reason: reason, Header: h}
	if cl := h.Get("Content-Length"); cl != "" {
		n, err := strconv.Atoi(strings.TrimSpace(cl))
		if err != nil || n < 0 {
			return nil, protocolError{fmt.Errorf("rtsp: bad Content-Length %q", clip(cl))}
		}
		if n > maxRTSPBody {
			return nil, protocolError{fmt.Errorf("rtsp: body of %d bytes exceeds %d", n, maxRTSPBody)}
		}
		resp.Body = make([]byte, n)
		if _, err := io.ReadFull(r, resp.Body); err != nil {
			return nil, protocolError{fmt.Errorf("rtsp: reading %d-byte body: %w", n, err)}
		}
	}
	return resp, nil
}

// limitedReader fails instead of returning EOF when the limit is reached, so a
// device sending endless headers gets an error rather than a truncated parse.
func newLimitedReader(r io.Reader, n int) *limitedReader { return &limitedReader{r: r, n: n} }

type limitedReader struct {
	r io.Reader
	n int
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, protocolError{errors.New("rtsp: answer too large")}
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= n
	return n, err
}

// protocolError is an RTSP answer that could not be read or parsed.
type protocolError struct{ error }

func (e protocolError) Unwrap() error { return e.error }
