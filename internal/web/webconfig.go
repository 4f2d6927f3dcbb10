package web

import (
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	toolkit "github.com/prometheus/exporter-toolkit/web"
	yamlv2 "go.yaml.in/yaml/v2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"
)

// WebConfig is a --web.config.file in the format of
// github.com/prometheus/exporter-toolkit (tls_server_config,
// http_server_config, basic_auth_users, rate_limit), the file Prometheus,
// node_exporter and Alertmanager read. The file is checked with the
// toolkit's own web.Validate and parsed into its web.Config, and the TLS
// settings go through its web.ConfigToTLSConfig, so a file they accept is
// accepted here with the same meaning.
//
// Unlike the toolkit's web.Serve, basic auth is not put in front of every
// path: the caller decides which paths take it (Authorized), so that the
// collector's bearer-token APIs and the agents' writes keep their own
// credentials. Like the toolkit, the certificate and key are re-read on
// every TLS handshake (certificate rotation without restart), and the users
// and headers are re-read when the file changes.
type WebConfig struct {
	path string

	mu      sync.Mutex
	cfg     *toolkit.Config
	stamp   fileStamp
	checked time.Time
	limiter *rate.Limiter
	ok      map[[sha256.Size]byte]bool // verified (user, hash, password) -> result
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// maxUserCache bounds the remembered basic-auth verifications.
const maxUserCache = 1024

// reloadEvery is how often the file's modification time is looked at.
const reloadEvery = time.Second

// LoadWebConfig reads and checks a web config file.
func LoadWebConfig(path string) (*WebConfig, error) {
	c := &WebConfig{path: path}
	cfg, stamp, err := c.read()
	if err != nil {
		return nil, err
	}
	c.cfg, c.stamp, c.checked = cfg, stamp, time.Now()
	c.limiter = newLimiter(cfg)
	c.ok = map[[sha256.Size]byte]bool{}
	return c, nil
}

// ErrWebConfig wraps every error of a web config file.
var ErrWebConfig = errors.New("web config")

func (c *WebConfig) read() (*toolkit.Config, fileStamp, error) {
	st, err := os.Stat(c.path)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("%w %s: %w", ErrWebConfig, c.path, err)
	}
	if err := toolkit.Validate(c.path); err != nil {
		return nil, fileStamp{}, fmt.Errorf("%w %s: %w", ErrWebConfig, c.path, err)
	}
	data, err := os.ReadFile(c.path)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("%w %s: %w", ErrWebConfig, c.path, err)
	}
	// The toolkit's defaults (its getConfig is not exported).
	cfg := &toolkit.Config{
		TLSConfig:  toolkit.TLSConfig{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13},
		HTTPConfig: toolkit.HTTPConfig{HTTP2: true},
	}
	if err := yamlv2.UnmarshalStrict(data, cfg); err != nil {
		return nil, fileStamp{}, fmt.Errorf("%w %s: %w", ErrWebConfig, c.path, err)
	}
	cfg.TLSConfig.SetDirectory(filepath.Dir(c.path))
	return cfg, fileStamp{mod: st.ModTime(), size: st.Size()}, nil
}

func newLimiter(cfg *toolkit.Config) *rate.Limiter {
	if cfg.RateLimiterConfig.Interval == 0 {
		return nil
	}
	return rate.NewLimiter(rate.Every(cfg.RateLimiterConfig.Interval), cfg.RateLimiterConfig.Burst)
}

// current returns the config in force, re-reading the file when it changed
// (looked at once a second). A file that no longer parses keeps the last
// good config in force; the error is returned for the caller to log.
func (c *WebConfig) current() (*toolkit.Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if now.Sub(c.checked) < reloadEvery {
		return c.cfg, nil
	}
	c.checked = now
	st, err := os.Stat(c.path)
	if err != nil {
		return c.cfg, fmt.Errorf("%w %s: %w (keeping the last good one)", ErrWebConfig, c.path, err)
	}
	if (fileStamp{mod: st.ModTime(), size: st.Size()}) == c.stamp {
		return c.cfg, nil
	}
	cfg, stamp, err := c.read()
	if err != nil {
		return c.cfg, fmt.Errorf("%w (keeping the last good one)", err)
	}
	c.cfg, c.stamp = cfg, stamp
	c.limiter = newLimiter(cfg)
	clear(c.ok)
	return cfg, nil
}

// Path is the file's path.
func (c *WebConfig) Path() string { return c.path }

// TLSEnabled reports whether the file configures TLS.
func (c *WebConfig) TLSEnabled() bool {
	cfg, _ := c.current()
	return cfg.TLSConfig.IsEnabled()
}

// HasUsers reports whether the file lists basic_auth_users.
func (c *WebConfig) HasUsers() bool {
	cfg, _ := c.current()
	return len(cfg.Users) > 0
}

// HTTP2 reports http_server_config.http2 (default true).
func (c *WebConfig) HTTP2() bool {
	cfg, _ := c.current()
	return cfg.HTTPConfig.HTTP2
}

// TLSConfig returns the server's tls.Config, or nil when the file
// configures no TLS. Each handshake re-reads the file's TLS settings and
// certificate, as the toolkit does.
func (c *WebConfig) TLSConfig() (*tls.Config, error) {
	cfg, _ := c.current()
	if !cfg.TLSConfig.IsEnabled() {
		return nil, nil
	}
	tc, err := toolkit.ConfigToTLSConfig(&cfg.TLSConfig)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrWebConfig, c.path, err)
	}
	http2 := cfg.HTTPConfig.HTTP2
	tc.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		cur, _ := c.current()
		next, err := toolkit.ConfigToTLSConfig(&cur.TLSConfig)
		if err != nil {
			return nil, err
		}
		next.NextProtos = nextProtos(http2)
		return next, nil
	}
	tc.NextProtos = nextProtos(http2)
	return tc, nil
}

func nextProtos(http2 bool) []string {
	if http2 {
		return []string{"h2", "http/1.1"}
	}
	return []string{"http/1.1"}
}

// SetHeaders sets the http_server_config.headers on w.
func (c *WebConfig) SetHeaders(w http.ResponseWriter) {
	cfg, _ := c.current()
	for k, v := range cfg.HTTPConfig.Header {
		w.Header().Set(k, v)
	}
}

// Allow applies the file's rate_limit (true when none is set).
func (c *WebConfig) Allow() bool {
	_, _ = c.current()
	c.mu.Lock()
	l := c.limiter
	c.mu.Unlock()
	return l == nil || l.Allow()
}

// fakeHash is bcrypt("fakepassword"), compared for unknown users so that
// timing does not tell which users exist (as the toolkit does).
const fakeHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"

// CheckBasicAuth returns the basic-auth user of r when the file lists it
// with that password. Verified (and refused) combinations are remembered by
// their sha256, so a scraper pays bcrypt once.
func (c *WebConfig) CheckBasicAuth(r *http.Request) (string, bool) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return "", false
	}
	cfg, _ := c.current()
	hash, known := cfg.Users[user]
	h := string(hash)
	if !known {
		h = fakeHash
	}
	key := sha256.Sum256([]byte(user + "\x00" + h + "\x00" + pass))
	c.mu.Lock()
	res, hit := c.ok[key]
	c.mu.Unlock()
	if !hit {
		res = bcrypt.CompareHashAndPassword([]byte(h), []byte(pass)) == nil && known
		c.mu.Lock()
		if len(c.ok) >= maxUserCache {
			clear(c.ok)
		}
		c.ok[key] = res
		c.mu.Unlock()
	}
	return user, res && known
}

// Serve serves srv on ln until it is shut down: over TLS when wc (which may
// be nil) configures it, with wc's headers and rate limit in front of
// srv.Handler. Authentication is the handler's (see CheckBasicAuth). The
// listener keeps its connection limit and srv its timeouts (NewServer):
// this is why the collector does not hand srv to the toolkit's web.Serve,
// which would also put basic auth in front of every path.
func Serve(srv *http.Server, ln net.Listener, wc *WebConfig) error {
	if wc == nil {
		return srv.Serve(ln)
	}
	srv.Handler = wc.wrap(srv.Handler)
	tc, err := wc.TLSConfig()
	if err != nil {
		return err
	}
	if tc == nil {
		return srv.Serve(ln)
	}
	if !wc.HTTP2() {
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	srv.TLSConfig = tc
	return srv.ServeTLS(ln, "", "")
}

// wrap applies the file's http_server_config.headers and rate_limit.
func (c *WebConfig) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.Allow() {
			http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
			return
		}
		c.SetHeaders(w)
		h.ServeHTTP(w, r)
	})
}

// RequireUsers wraps h in basic auth when the file lists users, on every
// path, as the toolkit's web.Serve does (the agent's use).
func (c *WebConfig) RequireUsers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.HasUsers() {
			if _, ok := c.CheckBasicAuth(r); !ok {
				w.Header().Set("WWW-Authenticate", "Basic")
				http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
