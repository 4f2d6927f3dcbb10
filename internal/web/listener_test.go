package web

import (
	"bytes"
	"log"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestErrorLogRate: 1000 error lines in one interval log Lines of them; the
// rest are counted, and reported once the next interval begins.
func TestErrorLogRate(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	clock := clockwork.NewFakeClock()
	reg := prometheus.NewRegistry()
	e := NewErrorLog(ServerOptions{
		Logger: slog.New(slog.NewTextHandler(&buf, nil)), ErrorLogLines: 5, ErrorLogInterval: time.Minute,
		Registerer: reg, Clock: clock,
	})
	l := log.New(e, "", 0)
	for i := range 1000 {
		l.Printf("http: Accept error: accept tcp: too many open files (%d)", i)
	}
	if got := strings.Count(buf.String(), "http server error"); got != 5 {
		t.Errorf("logged %d lines in one interval, want 5:\n%s", got, buf.String())
	}
	if got := testutil.ToFloat64(e.total); got != 1000 {
		t.Errorf("roomwatch_http_server_errors_total = %v, want 1000", got)
	}
	if got := testutil.ToFloat64(e.dropped); got != 995 {
		t.Errorf("roomwatch_http_server_errors_suppressed_total = %v, want 995", got)
	}
	clock.Advance(time.Minute)
	buf.Reset()
	l.Print("http: TLS handshake error from 127.0.0.1:1234: EOF")
	out := buf.String()
	if !strings.Contains(out, "995 error lines not logged") || !strings.Contains(out, "TLS handshake error") {
		t.Errorf("next interval logged:\n%s", out)
	}
	if n, err := testutil.GatherAndCount(reg, "roomwatch_http_server_errors_total", "roomwatch_http_server_errors_suppressed_total"); err != nil || n != 2 {
		t.Errorf("registered %d series (%v), want 2", n, err)
	}
}

// TestListenLimit: with MaxConnections 3, a fourth connection is not
// accepted until one of the first three closes.
func TestListenLimit(t *testing.T) {
	t.Parallel()
	ln, err := Listen("127.0.0.1:0", ServerOptions{MaxConnections: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	for range 4 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	var server []net.Conn
	for range 3 {
		select {
		case c := <-accepted:
			server = append(server, c)
		case <-time.After(10 * time.Second):
			t.Fatal("the first three connections were not accepted")
		}
	}
	select {
	case <-accepted:
		t.Fatal("a fourth connection was accepted over the limit of 3")
	case <-time.After(200 * time.Millisecond):
	}
	server[0].Close()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("the fourth connection was not accepted after one closed")
	}
	for _, c := range server[1:] {
		c.Close()
	}
}
