package pushbuf

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Doer sends one HTTP request; *http.Client satisfies it.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// ConnClient is a minimal HTTP/1.1 client for the pusher: one kept-alive
// connection to the collector, requests one at a time, written by
// http.Request.Write and read by http.ReadResponse. It exists because
// http.Transport (connection pools, HTTP/2, proxies) adds about 600 kB to the
// agent's binary, and on Linux a Go binary's pages count in its RSS.
//
// Response bodies are read whole (up to 64 KiB, else the connection is
// dropped after the first 64 KiB) before Do returns. The zero value is ready;
// set TLS for https URLs that need more than the system roots.
type ConnClient struct {
	// TLS configures https connections (nil: the system roots, ServerName
	// from the URL).
	TLS *tls.Config
	// DialTimeout bounds connecting (default 10s) when the request's context
	// has no earlier deadline.
	DialTimeout time.Duration

	mu   sync.Mutex
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
}

const maxResponseBody = 64 << 10

// Do sends req and returns its response with the body already read.
func (c *ConnClient) Do(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	reused := c.conn != nil
	resp, err := c.roundTrip(req)
	if err != nil && reused && req.Context().Err() == nil && (req.Body == nil || req.GetBody != nil) {
		// The kept-alive connection was closed by the server meanwhile: try
		// once more on a new one. A repeat is harmless here (the receiver
		// stores an identical sample once).
		if req.GetBody != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, gerr
			}
			req.Body = body
		}
		resp, err = c.roundTrip(req)
	}
	return resp, err
}

func (c *ConnClient) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if c.conn == nil {
		if err := c.dial(ctx, req); err != nil {
			return nil, err
		}
	}
	conn := c.conn
	dl, _ := ctx.Deadline()
	_ = conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	resp, err := c.exchange(req)
	if err != nil {
		c.drop()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if resp.Close || req.Close {
		c.drop()
	}
	return resp, nil
}

func (c *ConnClient) exchange(req *http.Request) (*http.Response, error) {
	if err := req.Write(c.bw); err != nil {
		return nil, err
	}
	if err := c.bw.Flush(); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > maxResponseBody {
		body = body[:maxResponseBody]
		resp.Close = true
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func (c *ConnClient) dial(ctx context.Context, req *http.Request) error {
	host, port := req.URL.Hostname(), req.URL.Port()
	switch {
	case port != "":
	case req.URL.Scheme == "https":
		port = "443"
	case req.URL.Scheme == "http":
		port = "80"
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("pushbuf: unsupported scheme %q", req.URL.Scheme)
	}
	if host == "" {
		return errors.New("pushbuf: URL has no host")
	}
	timeout := c.DialTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	d := net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return err
	}
	if req.URL.Scheme == "https" {
		cfg := &tls.Config{ServerName: host}
		if c.TLS != nil {
			cfg = c.TLS.Clone()
			if cfg.ServerName == "" {
				cfg.ServerName = host
			}
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	c.conn, c.br, c.bw = conn, bufio.NewReaderSize(conn, 4096), bufio.NewWriterSize(conn, 32<<10)
	return nil
}

func (c *ConnClient) drop() {
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn, c.br, c.bw = nil, nil, nil
}

// CloseIdle closes the kept-alive connection, if any.
func (c *ConnClient) CloseIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop()
}
