// Package client is the command line's one HTTP client for a running
// roomwatch-collector's API (tickets, inspections, reports): base URL,
// bearer token, timeout, a bound on the answer, and the API's
// {"error": "..."} answers turned into *APIError.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultMaxBody bounds an answer read into memory: a daily inspection of
// 5,000 devices answers a few tens of MB.
const DefaultMaxBody = 256 << 20

// ErrBadURL is returned by New for a URL that is not http(s)://host[:port].
var ErrBadURL = errors.New("want http(s)://host:port")

// Options configure a Client.
type Options struct {
	URL     string        // http(s)://host:port of the collector
	Token   string        // bearer token; none when empty
	Timeout time.Duration // per request; none when 0
	MaxBody int64         // DefaultMaxBody when 0
}

// Client calls one collector's API.
type Client struct {
	base    *url.URL
	token   string
	http    *http.Client
	maxBody int64
}

// New checks the URL and returns a client.
func New(o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(o.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q: %w", o.URL, ErrBadURL)
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	return &Client{base: u, token: o.Token, http: &http.Client{Timeout: o.Timeout}, maxBody: o.MaxBody}, nil
}

// Base is the collector's URL without credentials, for messages.
func (c *Client) Base() string { return c.base.Redacted() }

// HasToken reports whether requests carry a token.
func (c *Client) HasToken() bool { return c.token != "" }

// APIError is an answer outside 2xx.
type APIError struct {
	Method, URL string
	StatusCode  int
	Status      string
	Msg         string // the API's "error" field, else the body
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Method, e.URL, e.Status, e.Msg)
}

// IsStatus reports whether err is an APIError with that status code.
func IsStatus(err error, code int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == code
}

// Do sends a request to path (below the base URL) with query q and the body
// (JSON when contentType is empty and body is set) and returns the answer's
// body; an answer outside 2xx is an *APIError.
func (c *Client) Do(ctx context.Context, method, path string, q url.Values, contentType string, body io.Reader) ([]byte, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		if contentType == "" {
			contentType = "application/json"
		}
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, u.Redacted(), err)
	}
	if int64(len(b)) > c.maxBody {
		return nil, fmt.Errorf("%s %s: answer larger than %d bytes", method, u.Redacted(), c.maxBody)
	}
	if resp.StatusCode/100 != 2 {
		e := &APIError{Method: method, URL: u.Redacted(), StatusCode: resp.StatusCode, Status: resp.Status}
		var m struct {
			Error string `json:"error"`
		}
		var str string // Alertmanager's API (silences) answers a JSON string
		if json.Unmarshal(b, &m) == nil && m.Error != "" {
			e.Msg = m.Error
		} else if json.Unmarshal(b, &str) == nil && str != "" {
			e.Msg = str
		} else {
			e.Msg = strings.TrimSpace(string(b))
		}
		return nil, e
	}
	return b, nil
}

// JSON sends in (when not nil) as JSON and decodes the answer into out
// (when not nil).
func (c *Client) JSON(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	b, err := c.Do(ctx, method, path, q, "", body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: answer: %w", method, c.Base()+path, err)
	}
	return nil
}
