package pushbuf

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestConnClient: requests reuse one connection, bodies arrive whole, a
// connection the server closed is replaced transparently, https works, and a
// cancelled context ends a request the server never answers.
func TestConnClient(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/echo":
			w.WriteHeader(http.StatusAccepted)
			w.Write(body)
		case "/big":
			w.Write(bytes.Repeat([]byte("x"), maxResponseBody+10))
		case "/hang":
			<-r.Context().Done()
		}
	})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	c := &ConnClient{}
	post := func(base, path, body string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for i := range 3 {
		resp, body := post(srv.URL, "/echo", strings.Repeat("a", i+1))
		if resp.StatusCode != http.StatusAccepted || body != strings.Repeat("a", i+1) {
			t.Errorf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("3 requests used %d connections, want 1", n)
	}
	srv.CloseClientConnections()
	if _, body := post(srv.URL, "/echo", "after close"); body != "after close" {
		t.Errorf("after the server closed the connection: %q", body)
	}
	if _, body := post(srv.URL, "/big", ""); len(body) != maxResponseBody {
		t.Errorf("big body: %d bytes, want the first %d", len(body), maxResponseBody)
	}
	if _, body := post(srv.URL, "/echo", "after big"); body != "after big" {
		t.Errorf("after a big body: %q", body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/hang", nil)
	if _, err := c.Do(req); err == nil {
		t.Error("hanging server: no error after the context ended")
	}

	tlsSrv := httptest.NewTLSServer(h)
	defer tlsSrv.Close()
	pool := tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	c = &ConnClient{TLS: &tls.Config{RootCAs: pool}}
	if _, body := post(tlsSrv.URL, "/echo", "over tls"); body != "over tls" {
		t.Errorf("https: %q", body)
	}
	c = &ConnClient{}
	req, _ = http.NewRequest(http.MethodPost, tlsSrv.URL+"/echo", nil)
	if _, err := c.Do(req); err == nil {
		t.Error("https with an unknown CA: no error")
	}
}
