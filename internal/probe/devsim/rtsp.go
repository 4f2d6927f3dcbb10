package devsim

import (
	"bufio"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"
)

// RTSPMode selects how the simulated RTSP server answers.
type RTSPMode int

// RTSP server behaviours.
const (
	RTSPOK           RTSPMode = iota // 200 with an H.264 video + audio SDP
	RTSPUnauthorized                 // every request 401, whatever the credentials
	RTSPGarbage                      // answers with non-RTSP bytes
	RTSPNoSDP                        // DESCRIBE 200 with an SDP holding audio only
	RTSPSlow                         // accepts the connection, never answers
	RTSPNotFound                     // DESCRIBE 404
)

// SDP is the description the simulated camera returns (as a Hikvision
// DS-2CD2xxx answers for /Streaming/Channels/101).
const SDP = "v=0\r\n" +
	"o=- 1700000000000000 1700000000000000 IN IP4 127.0.0.1\r\n" +
	"s=Media Presentation\r\n" +
	"e=NONE\r\n" +
	"b=AS:5100\r\n" +
	"t=0 0\r\n" +
	"a=control:rtsp://127.0.0.1/Streaming/Channels/101/\r\n" +
	"m=video 0 RTP/AVP 96\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"b=AS:5000\r\n" +
	"a=recvonly\r\n" +
	"a=x-dimensions:1920,1080\r\n" +
	"a=control:rtsp://127.0.0.1/Streaming/Channels/101/trackID=1\r\n" +
	"a=rtpmap:96 H264/90000\r\n" +
	"a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z00AKpWoHgCJ+WEAAAMAAQAAAwAyhA==,aO48gA==\r\n" +
	"m=audio 0 RTP/AVP 8\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"b=AS:50\r\n" +
	"a=recvonly\r\n" +
	"a=control:rtsp://127.0.0.1/Streaming/Channels/101/trackID=2\r\n" +
	"a=rtpmap:8 PCMA/8000\r\n"

const audioOnlySDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=Audio\r\nt=0 0\r\nm=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"

// RTSPServer is a loopback RTSP server.
type RTSPServer struct {
	Mode       RTSPMode
	Path       string // expected request path, default /Streaming/Channels/101
	User, Pass string // empty: no authentication
	Algorithm  string // MD5 (default) or SHA-256
	Realm      string

	ln   net.Listener
	mu   sync.Mutex
	reqs []string // "METHOD url" of each request
	errs []string
	wg   sync.WaitGroup
	quit chan struct{}
}

const rtspNonce = "6b3e5f0a9c1d2e3f"

// Start listens on 127.0.0.1 and serves until Close.
func (s *RTSPServer) Start() error {
	if s.Path == "" {
		s.Path = "/Streaming/Channels/101"
	}
	if s.Algorithm == "" {
		s.Algorithm = "MD5"
	}
	if s.Realm == "" {
		s.Realm = "IP Camera(C6184)"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.ln, s.quit = ln, make(chan struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	return nil
}

// Addr returns host:port.
func (s *RTSPServer) Addr() string { return s.ln.Addr().String() }

// Close stops the server and waits for its connections.
func (s *RTSPServer) Close() {
	close(s.quit)
	s.ln.Close()
	s.wg.Wait()
}

// Requests returns "METHOD url" for every request received.
func (s *RTSPServer) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

// Errors returns what the server found wrong in the requests.
func (s *RTSPServer) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

func (s *RTSPServer) fail(format string, args ...any) {
	s.mu.Lock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func (s *RTSPServer) serve(c net.Conn) {
	defer c.Close()
	go func() { <-s.quit; c.Close() }()
	tp := textproto.NewReader(bufio.NewReader(c))
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		hdr, err := tp.ReadMIMEHeader()
		if err != nil {
			s.fail("bad headers: %v", err)
			return
		}
		f := strings.Fields(line)
		if len(f) != 3 || f[2] != "RTSP/1.0" {
			s.fail("bad request line %q", line)
			return
		}
		method, url := f[0], f[1]
		s.mu.Lock()
		s.reqs = append(s.reqs, method+" "+url)
		s.mu.Unlock()
		cseq := hdr.Get("CSeq")
		if cseq == "" {
			s.fail("%s without CSeq", method)
		}
		if s.Mode == RTSPSlow {
			<-s.quit
			return
		}
		if s.Mode == RTSPGarbage {
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
			return
		}
		wantURL := "rtsp://" + s.Addr() + s.Path
		if url != wantURL {
			s.fail("%s url %q, want %q", method, url, wantURL)
		}
		reply := func(status, extra, body string) {
			fmt.Fprintf(c, "RTSP/1.0 %s\r\nCSeq: %s\r\nServer: devsim\r\n%s", status, cseq, extra)
			if body != "" {
				fmt.Fprintf(c, "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				return
			}
			fmt.Fprint(c, "\r\n")
		}
		if s.User != "" || s.Mode == RTSPUnauthorized {
			auth := hdr.Get("Authorization")
			err := fmt.Errorf("no credentials")
			if auth != "" {
				err = CheckDigest(auth, method, url, s.User, s.Pass, s.Realm, rtspNonce, s.Algorithm)
			}
			if err != nil || s.Mode == RTSPUnauthorized {
				if auth != "" && s.Mode != RTSPUnauthorized {
					s.fail("%s: %v", method, err)
				}
				reply("401 Unauthorized", "WWW-Authenticate: "+Challenge(s.Realm, rtspNonce, s.Algorithm)+"\r\n", "")
				continue
			}
		}
		switch method {
		case "OPTIONS":
			reply("200 OK", "Public: OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER\r\n", "")
		case "DESCRIBE":
			if hdr.Get("Accept") != "application/sdp" {
				s.fail("DESCRIBE Accept %q", hdr.Get("Accept"))
			}
			switch s.Mode {
			case RTSPNotFound:
				reply("404 Not Found", "", "")
			case RTSPNoSDP:
				reply("200 OK", "Content-Base: "+url+"/\r\n", audioOnlySDP)
			default:
				reply("200 OK", "Content-Base: "+url+"/\r\n", SDP)
			}
		default:
			s.fail("unexpected method %s", method)
			reply("405 Method Not Allowed", "", "")
		}
	}
}
