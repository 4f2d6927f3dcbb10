package netcheck

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
	"github.com/roomwatch/roomwatch/internal/probe/devsim"
)

func target(addr string, mod func(*inventory.Device)) inventory.Target {
	d := &inventory.Device{Name: "cam1", Class: inventory.ClassCamera, Address: addr, Vendor: "Hikvision"}
	if mod != nil {
		mod(d)
	}
	return inventory.Target{Device: d, Name: d.Name, Address: addr}
}

func sample(r probe.Result, name string) (float64, bool) {
	for _, s := range r.Samples {
		if s.Name == name {
			return s.Value, true
		}
	}
	return 0, false
}

func TestRTSP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		srv        *devsim.RTSPServer
		pass       string
		timeout    time.Duration
		wantReason string // "" = up
		wantStatus float64
	}{
		{name: "digest md5", srv: &devsim.RTSPServer{User: "admin", Pass: "Hik12345"}, pass: "Hik12345", wantStatus: 200},
		{name: "digest sha256", srv: &devsim.RTSPServer{User: "admin", Pass: "Hik12345", Algorithm: "SHA-256"}, pass: "Hik12345", wantStatus: 200},
		{name: "no auth", srv: &devsim.RTSPServer{}, wantStatus: 200},
		{name: "wrong password", srv: &devsim.RTSPServer{User: "admin", Pass: "Hik12345"}, pass: "nope", wantReason: probe.ReasonAuth},
		{name: "always 401", srv: &devsim.RTSPServer{Mode: devsim.RTSPUnauthorized, User: "admin", Pass: "x"}, pass: "x", wantReason: probe.ReasonAuth},
		{name: "garbage", srv: &devsim.RTSPServer{Mode: devsim.RTSPGarbage}, wantReason: probe.ReasonProtocol},
		{name: "no video in sdp", srv: &devsim.RTSPServer{Mode: devsim.RTSPNoSDP}, wantReason: probe.ReasonProtocol, wantStatus: 200},
		{name: "404", srv: &devsim.RTSPServer{Mode: devsim.RTSPNotFound}, wantReason: probe.ReasonNotFound, wantStatus: 404},
		{name: "slow", srv: &devsim.RTSPServer{Mode: devsim.RTSPSlow}, timeout: 300 * time.Millisecond, wantReason: probe.ReasonTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := tc.srv
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			host, port, _ := net.SplitHostPort(srv.Addr())
			p, _ := strconv.Atoi(port)
			tg := target(host, func(d *inventory.Device) {
				d.Probe.RTSPPort = p
				if tc.srv.User != "" {
					d.HTTP = &inventory.HTTPAuth{Username: tc.srv.User, Password: inventory.Secret(tc.pass)}
				}
			})
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 10 * time.Second // a guard only: these answer at once
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			r := RTSP{}.Probe(ctx, tg)
			if got := probe.Reason(r.Err); got != tc.wantReason {
				t.Fatalf("reason %q (err %v), want %q", got, r.Err, tc.wantReason)
			}
			if tc.wantStatus != 0 {
				if v, ok := sample(r, "roomwatch_probe_rtsp_status_code"); !ok || v != tc.wantStatus {
					t.Errorf("DESCRIBE status %v (present %v), want %v", v, ok, tc.wantStatus)
				}
			}
			if tc.wantReason == "" {
				if v, _ := sample(r, "roomwatch_probe_rtsp_video_streams"); v != 1 {
					t.Errorf("video streams %v, want 1", v)
				}
				var codec string
				for _, s := range r.Samples {
					if s.Name == "roomwatch_probe_rtsp_video_codec_info" {
						codec = s.Labels["codec"]
					}
				}
				if codec != "H264" {
					t.Errorf("codec %q, want H264", codec)
				}
				url := "rtsp://" + srv.Addr() + "/Streaming/Channels/101"
				reqs := strings.Join(srv.Requests(), "\n")
				for _, m := range []string{"OPTIONS " + url, "DESCRIBE " + url} {
					if !strings.Contains(reqs, m) {
						t.Errorf("server saw %q, want %q among them", reqs, m)
					}
				}
			}
			if tc.wantReason != probe.ReasonAuth {
				if errs := srv.Errors(); len(errs) > 0 {
					t.Errorf("server found bad requests: %v", errs)
				}
			}
		})
	}
}

func TestRTSPConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := RTSP{}.Probe(context.Background(), target("127.0.0.1", func(d *inventory.Device) { d.Probe.RTSPPort = port }))
	if probe.Reason(r.Err) != probe.ReasonRefused {
		t.Fatalf("reason %q (%v), want refused", probe.Reason(r.Err), r.Err)
	}
}

func TestRTSPURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vendor, path, addr string
		port               int
		want               string
	}{
		{"Hikvision", "", "10.1.1.1", 0, "rtsp://10.1.1.1:554/Streaming/Channels/101"},
		{"大华", "", "10.1.1.2:80", 0, "rtsp://10.1.1.2:554/cam/realmonitor?channel=1&subtype=0"},
		{"", "live", "::1", 8554, "rtsp://[::1]:8554/live"},
		{"Uniview", "", "cam.local", 0, "rtsp://cam.local:554/"},
	}
	for _, tc := range tests {
		tg := target(tc.addr, func(d *inventory.Device) {
			d.Vendor = tc.vendor
			d.Probe.RTSPPath = tc.path
			d.Probe.RTSPPort = tc.port
		})
		got, err := RTSPURL(tg)
		if err != nil || got != tc.want {
			t.Errorf("RTSPURL(%s %s) = %q, %v; want %q", tc.vendor, tc.addr, got, err, tc.want)
		}
	}
}

func TestParseSDP(t *testing.T) {
	t.Parallel()
	s, err := ParseSDP([]byte(devsim.SDP))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Media) != 2 || s.Media[0].Type != "video" || s.Media[0].Codecs[0] != "H264" || s.Media[1].Codecs[0] != "PCMA" {
		t.Fatalf("parsed %+v", s)
	}
	if s.Media[0].Control != "rtsp://127.0.0.1/Streaming/Channels/101/trackID=1" {
		t.Errorf("control %q", s.Media[0].Control)
	}
	for _, bad := range []string{"", "hello", "v=1\r\n", "s=x\r\nv=0\r\n", "v=0\r\nm=video\r\n", "v=0\r\nm=video x RTP/AVP 96\r\n", "v=0\r\nv=0\r\n", "v=0\r\n<html>"} {
		if _, err := ParseSDP([]byte(bad)); err == nil {
			t.Errorf("ParseSDP(%q) accepted", bad)
		}
	}
}

func TestReadRTSPResponse(t *testing.T) {
	t.Parallel()
	in := "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 4\r\n\r\nv=0\nRTSP/1.0 404 Not Found\r\nCSeq: 3\r\n\r\n"
	br := bufio.NewReader(strings.NewReader(in))
	r1, err := ReadRTSPResponse(br)
	if err != nil || r1.StatusCode != 200 || string(r1.Body) != "v=0\n" || r1.Header.Get("CSeq") != "2" {
		t.Fatalf("first: %+v %v", r1, err)
	}
	r2, err := ReadRTSPResponse(br)
	if err != nil || r2.StatusCode != 404 || r2.Reason != "Not Found" {
		t.Fatalf("second: %+v %v", r2, err)
	}
	for _, bad := range []string{"", "HTTP/1.1 200 OK\r\n\r\n", "RTSP/1.0 abc OK\r\n\r\n", "RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n",
		"RTSP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nshort", "RTSP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\n"} {
		if _, err := ReadRTSPResponse(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestTCP(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	open := ln.Addr().(*net.TCPAddr).Port
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l2.Addr().(*net.TCPAddr).Port
	l2.Close()

	r := TCP{}.Probe(context.Background(), target("127.0.0.1:"+strconv.Itoa(open), nil))
	if r.Err != nil {
		t.Fatalf("open port: %v", r.Err)
	}
	if v, _ := sample(r, "roomwatch_probe_tcp_port_open"); v != 1 {
		t.Errorf("port_open %v", v)
	}
	r = TCP{}.Probe(context.Background(), target("127.0.0.1", func(d *inventory.Device) { d.Probe.TCPPorts = []int{open, closed} }))
	if probe.Reason(r.Err) != probe.ReasonRefused {
		t.Fatalf("closed port: reason %q (%v)", probe.Reason(r.Err), r.Err)
	}
	n := 0
	for _, s := range r.Samples {
		if s.Name == "roomwatch_probe_tcp_port_open" {
			n++
			want := 1.0
			if s.Labels["port"] == strconv.Itoa(closed) {
				want = 0
			}
			if s.Value != want {
				t.Errorf("port %s open=%v", s.Labels["port"], s.Value)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d port samples, want 2", n)
	}
}

func TestHTTPTLS(t *testing.T) {
	t.Parallel()
	dev := &devsim.Device{Vendor: "hikvision", User: "admin", Pass: "pw", Model: "DS-7608NI-K2"}
	mux := http.NewServeMux()
	mux.Handle("/ISAPI/", dev)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>login</html>")) })
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "https://")
	tests := []struct {
		name       string
		insecure   bool
		path       string
		wantReason string
		wantCode   float64
	}{
		{"verify self-signed", false, "/", probe.ReasonTLS, 0},
		{"skip verify", true, "/", "", 200},
		{"digest path", true, "/ISAPI/System/deviceInfo", "", 200},
		{"404", true, "/ISAPI/nothing", probe.ReasonNotFound, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := target(addr, func(d *inventory.Device) {
				d.Probe.HTTPScheme = "https"
				d.Probe.InsecureSkipVerify = tc.insecure
				d.Probe.HTTPPath = tc.path
				d.HTTP = &inventory.HTTPAuth{Username: "admin", Password: "pw"}
			})
			r := HTTP{}.Probe(context.Background(), tg)
			if got := probe.Reason(r.Err); got != tc.wantReason {
				t.Fatalf("reason %q (%v), want %q", got, r.Err, tc.wantReason)
			}
			if v, _ := sample(r, "roomwatch_probe_http_status_code"); v != tc.wantCode {
				t.Errorf("status %v, want %v", v, tc.wantCode)
			}
			if tc.wantCode == 200 {
				if _, ok := sample(r, "roomwatch_probe_http_cert_expiry_timestamp_seconds"); !ok {
					t.Error("no certificate expiry sample")
				}
			}
		})
	}
	// The 404 is the simulator's own "unexpected request" report: drop it.
	for _, e := range dev.Errors() {
		if !strings.Contains(e, "/ISAPI/nothing") {
			t.Errorf("device: %s", e)
		}
	}
}

func TestBasicFallback(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "admin" || p != "pw" {
			w.Header().Set("WWW-Authenticate", `Basic realm="dahua"`)
			w.WriteHeader(401)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	body, _, err := Get(context.Background(), NewClient(ClientOptions{Username: "admin", Password: "pw"}), srv.URL+"/cgi-bin/x")
	if err != nil || string(body) != "ok" {
		t.Fatalf("basic fallback: %q %v", body, err)
	}
}

func FuzzParseSDP(f *testing.F) {
	f.Add([]byte(devsim.SDP))
	f.Add([]byte("v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H265/90000\r\n"))
	f.Add([]byte("v=0\nm=audio 0/2 RTP/AVP 8 0\na=rtpmap:8\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSDP(b)
		if err == nil && s.Version != "0" {
			t.Fatalf("accepted without v=0: %q", b)
		}
	})
}

func FuzzReadRTSPResponse(f *testing.F) {
	f.Add([]byte("RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n"))
	f.Add([]byte("RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: " + strconv.Itoa(len(devsim.SDP)) + "\r\n\r\n" + devsim.SDP))
	f.Add([]byte("RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: " + devsim.Challenge("r", "n", "MD5") + "\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ReadRTSPResponse(bufio.NewReader(newLimitedReader(strings.NewReader(string(b)), maxRTSPConnBytes)))
		if err != nil {
			return
		}
		if r.StatusCode < 100 || r.StatusCode > 999 || len(r.Body) > maxRTSPBody {
			t.Fatalf("accepted bad response %+v", r)
		}
	})
}
