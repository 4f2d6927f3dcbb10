package netcheck

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/icholy/digest"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/probe"
)

// MaxBody bounds how much of an answer the checks read.
const MaxBody = 4 << 20

// ClientOptions configures the HTTP client for one device.
type ClientOptions struct {
	Username, Password string
	// InsecureSkipVerify accepts any certificate: devices ship self-signed ones.
	InsecureSkipVerify bool
}

// NewClient returns an HTTP client that answers Digest challenges (RFC 7616 and
// 2617: MD5, SHA-256, qop=auth, via github.com/icholy/digest) and falls back to
// Basic when the device only offers Basic. It keeps no idle connections: a
// device is asked a few questions per interval, and thousands of idle sockets
// cost more than a handshake. Redirects are not followed.
func NewClient(o ClientOptions) *http.Client {
	base := &http.Transport{
		Proxy:             nil, // devices are on the local network, never behind a proxy
		DialContext:       (&net.Dialer{}).DialContext,
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: o.InsecureSkipVerify}, //nolint:gosec // configurable per device
		DisableKeepAlives: true,
		ForceAttemptHTTP2: false,
	}
	var rt http.RoundTripper = base
	if o.Username != "" {
		rt = &basicFallback{
			next:  &digest.Transport{Username: o.Username, Password: o.Password, Transport: base},
			base:  base,
			user:  o.Username,
			passw: o.Password,
		}
	}
	return &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// basicFallback retries with Basic auth when the digest transport got a 401
// whose challenge is Basic only (some Dahua firmware).
type basicFallback struct {
	next        http.RoundTripper
	base        http.RoundTripper
	user, passw string
}

func (b *basicFallback) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !basicOnly(resp.Header) {
		return resp, err
	}
	if req.Body != nil && req.GetBody == nil {
		return resp, nil
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBody))
	resp.Body.Close()
	r2 := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r2.Body = body
	}
	r2.SetBasicAuth(b.user, b.passw)
	return b.base.RoundTrip(r2)
}

func basicOnly(h http.Header) bool {
	basic := false
	for _, v := range h.Values("WWW-Authenticate") {
		if digest.IsDigest(v) {
			return false
		}
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "basic") {
			basic = true
		}
	}
	return basic
}

// ClientFor returns the client for a target's device (credentials, TLS).
func ClientFor(t inventory.Target) *http.Client {
	o := ClientOptions{}
	if d := t.Device; d != nil {
		o.InsecureSkipVerify = d.Probe.InsecureSkipVerify
		if d.HTTP != nil {
			o.Username, o.Password = d.HTTP.Username, d.HTTP.Password.Reveal()
		}
	}
	return NewClient(o)
}

// BaseURL returns scheme://host:port of a target's web interface: the
// device's http_scheme and http_port, else the port in its address, else the
// scheme's default.
func BaseURL(t inventory.Target) (string, error) {
	host, port, err := probe.SplitAddress(t.Address)
	if err != nil {
		return "", err
	}
	scheme := "http"
	if d := t.Device; d != nil {
		if d.Probe.HTTPScheme != "" {
			scheme = strings.ToLower(d.Probe.HTTPScheme)
		}
		if d.Probe.HTTPPort != 0 {
			port = d.Probe.HTTPPort
		}
	}
	if scheme != "http" && scheme != "https" {
		return "", probe.Errorf(probe.ReasonConfig, "http_scheme %q: use http or https", scheme)
	}
	if port == 0 {
		return scheme + "://" + bracket(host), nil
	}
	return scheme + "://" + probe.JoinHostPort(host, port), nil
}

func bracket(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// Get fetches url with client and returns the body (at most MaxBody) and the
// response. A status other than 2xx is an error with the matching reason; the
// response is still returned so callers can look at a 404.
func Get(ctx context.Context, client *http.Client, url string) ([]byte, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, probe.Errorf(probe.ReasonConfig, "%s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return nil, resp, fmt.Errorf("GET %s: reading the answer: %w", req.URL.Path, err)
	}
	if resp.StatusCode/100 != 2 {
		return body, resp, StatusError(req.URL.Path, resp.StatusCode)
	}
	return body, resp, nil
}

// StatusError turns an unexpected HTTP or RTSP status into an error with its reason.
func StatusError(what string, code int) error {
	reason := probe.ReasonHTTPStatus
	switch {
	case code == 401 || code == 403:
		reason = probe.ReasonAuth
	case code == 404:
		reason = probe.ReasonNotFound
	case code >= 500:
		reason = probe.ReasonUnavailable
	}
	return probe.Errorf(reason, "%s: status %d", what, code)
}

func basicToken(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}
