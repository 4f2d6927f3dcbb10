package web

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/net/netutil"
)

// Defaults of the listener limits (the collector's web: section).
const (
	// DefaultMaxConnections is Prometheus's --web.max-connections default.
	DefaultMaxConnections = 512
	// DefaultReadHeaderTimeout bounds the request line and headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds a whole request, body included. The largest
	// legitimate bodies are an inspection photo (8 MiB, inspect.MaxPhotoBytes)
	// and a remote-write batch (a few MiB snappy-compressed); 2m carries 8 MiB
	// at about 600 kbit/s, slower than any link a machine room has.
	DefaultReadTimeout = 2 * time.Minute
	// DefaultIdleTimeout closes a kept-alive connection idle this long.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultErrorLogLines is how many server error lines are logged per
	// DefaultErrorLogInterval; the rest are only counted.
	DefaultErrorLogLines    = 10
	DefaultErrorLogInterval = time.Minute
)

// ServerOptions configure NewServer and Listen. Zero limits are off (no
// connection limit, no timeout), as in net/http; the collector's config
// fills the defaults above.
type ServerOptions struct {
	// MaxConnections bounds the connections open at once; further clients
	// wait in the kernel's accept queue (netutil.LimitListener). 0: no limit.
	MaxConnections    int
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	// Logger receives the server's error lines (accept errors, TLS handshake
	// errors, panics in handlers) at most ErrorLogLines per ErrorLogInterval.
	Logger           *slog.Logger
	ErrorLogLines    int
	ErrorLogInterval time.Duration
	// Registerer gets roomwatch_http_server_errors_total; nil registers nothing.
	Registerer prometheus.Registerer
	Clock      clockwork.Clock
}

// Listen listens on addr (TCP) and bounds the open connections to
// opts.MaxConnections.
func Listen(addr string, opts ServerOptions) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if opts.MaxConnections > 0 {
		ln = netutil.LimitListener(ln, opts.MaxConnections)
	}
	return ln, nil
}

// NewServer returns an http.Server for h with the timeouts of opts and an
// ErrorLog that logs through slog at a bounded rate.
//
// WriteTimeout stays 0 on purpose: it would cut server-sent event streams
// (the console's live view) and long query answers after a fixed time; a
// client that stops reading is bounded by the connection limit and TCP's
// own timeouts instead.
func NewServer(h http.Handler, opts ServerOptions) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		ReadTimeout:       opts.ReadTimeout,
		IdleTimeout:       opts.IdleTimeout,
		ErrorLog:          log.New(NewErrorLog(opts), "", 0),
	}
}

// ErrorLog is an io.Writer for log.Logger (http.Server.ErrorLog) that logs
// each line through slog, at most Lines per Interval; the lines beyond are
// counted, and one line at the start of the next interval says how many
// were dropped. Every line counts in roomwatch_http_server_errors_total.
type ErrorLog struct {
	log      *slog.Logger
	clock    clockwork.Clock
	lines    int
	interval time.Duration
	total    prometheus.Counter
	dropped  prometheus.Counter

	mu         sync.Mutex
	start      time.Time // of the current interval
	n          int       // lines seen in the current interval
	suppressed int       // lines not logged in the current interval
}

// NewErrorLog returns an ErrorLog with opts' logger, rate, clock and registry.
func NewErrorLog(opts ServerOptions) *ErrorLog {
	e := &ErrorLog{log: opts.Logger, clock: opts.Clock, lines: opts.ErrorLogLines, interval: opts.ErrorLogInterval}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.clock == nil {
		e.clock = clockwork.NewRealClock()
	}
	if e.lines <= 0 {
		e.lines = DefaultErrorLogLines
	}
	if e.interval <= 0 {
		e.interval = DefaultErrorLogInterval
	}
	e.total = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "roomwatch_http_server_errors_total",
		Help: "Error lines of the HTTP server (accept errors, TLS handshakes, bad connections), logged or not.",
	})
	e.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "roomwatch_http_server_errors_suppressed_total",
		Help: "HTTP server error lines not logged because more than the rate limit came in one interval.",
	})
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(e.total, e.dropped)
	}
	return e
}

// Write logs or counts one line (log.Logger calls Write once per line).
func (e *ErrorLog) Write(p []byte) (int, error) {
	msg := strings.TrimRight(string(p), "\n")
	e.total.Inc()
	now := e.clock.Now()
	e.mu.Lock()
	var flushed int
	if e.start.IsZero() || now.Sub(e.start) >= e.interval {
		flushed = e.suppressed
		e.start, e.n, e.suppressed = now, 0, 0
	}
	e.n++
	logIt := e.n <= e.lines
	if !logIt {
		e.suppressed++
	}
	e.mu.Unlock()
	ctx := context.Background()
	if flushed > 0 {
		e.log.WarnContext(ctx, fmt.Sprintf("http server: %d error lines not logged in the last interval", flushed),
			"suppressed", flushed, "interval", e.interval.String())
	}
	if logIt {
		e.log.WarnContext(ctx, "http server error", "err", msg)
	} else {
		e.dropped.Inc()
	}
	return len(p), nil
}
