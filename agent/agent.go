package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roomwatch/roomwatch/internal/buildinfo"
	"github.com/roomwatch/roomwatch/internal/residency"
	"github.com/roomwatch/roomwatch/internal/web"
)

// Options configure Run.
type Options struct {
	// Config is the decoded configuration (see LoadConfig).
	Config Config
	// Logger receives the agent's logs; nil discards them.
	Logger *slog.Logger
	// Clock drives every timeout and cache; nil means the real clock.
	Clock clockwork.Clock
	// Listener, when set, is served instead of listening on
	// Config.Web.ListenAddress.
	Listener net.Listener
	// Ready, when set, is called with the bound address once /metrics serves.
	Ready func(addr net.Addr)
	// ReleaseStartupPages unmaps the agent binary's read-only pages once
	// start-up is over, so that only what scrapes and pushes touch again is
	// resident (Linux; see residency.ReleaseExecutablePages). The command sets it.
	ReleaseStartupPages bool

	// sources replaces sourceTable in tests.
	sources []sourceSpec
	// root is prepended to /proc and /sys paths in tests.
	root string
	// hostname replaces os.Hostname in pushes and registration (tests).
	hostname string
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.sources == nil {
		o.sources = sourceTable()
	}
}

// Run serves the agent until ctx is cancelled or a part fails.
func Run(ctx context.Context, opts Options) error {
	opts.defaults()
	reg, err := newRegistry(&opts)
	if err != nil {
		return err
	}
	var wc *web.WebConfig
	if f := opts.Config.Web.ConfigFile; f != "" {
		if wc, err = web.LoadWebConfig(f); err != nil {
			return err
		}
	}
	ln := opts.Listener
	if ln == nil {
		ln, err = net.Listen("tcp", string(opts.Config.Web.ListenAddress))
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	parts := []func(ctx context.Context) error{
		func(ctx context.Context) error { return serveHTTP(ctx, ln, NewHandler(reg, opts.Logger), wc, opts) },
		// Later: the site's device probes.
	}
	if opts.Config.RemoteWrite != nil {
		push, err := pushPart(&opts, reg, labelled(reg, opts.Config.Labels))
		if err != nil {
			if opts.Listener == nil {
				ln.Close()
			}
			return err
		}
		parts = append(parts, push)
	}
	if opts.ReleaseStartupPages {
		if n, err := residency.ReleaseExecutablePages(); err != nil {
			opts.Logger.Warn("releasing start-up pages", "err", err)
		} else {
			opts.Logger.Debug("released start-up pages", "bytes", n)
		}
	}
	return runParts(ctx, parts)
}

// runParts runs every part in its own goroutine; the first to fail cancels
// the others. It returns that first error once all have stopped.
func runParts(ctx context.Context, parts []func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p(ctx); err != nil {
				once.Do(func() { firstErr = err })
				cancel()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// newRegistry registers the host sources, build info and the agent's own
// process and Go runtime metrics, with the configured labels on every series.
func newRegistry(opts *Options) (*prometheus.Registry, error) {
	env := sourceEnv{cfg: &opts.Config, clock: opts.Clock, logger: opts.Logger, root: opts.root}
	srcs, err := buildSources(opts.sources, env)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	r := labelled(reg, opts.Config.Labels)
	for _, c := range []prometheus.Collector{
		newHostCollector(srcs, opts.Config.Sources.Timeout.Std(), opts.Clock, opts.Logger),
		buildinfo.NewCollector("roomwatch_agent"),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	} {
		if err := r.Register(c); err != nil {
			return nil, fmt.Errorf("register: %w", err)
		}
	}
	return reg, nil
}

// labelled returns reg adding the configured labels to every series.
func labelled(reg *prometheus.Registry, labels Labels) prometheus.Registerer {
	if len(labels) == 0 {
		return reg
	}
	return prometheus.WrapRegistererWith(prometheus.Labels(labels), reg)
}

// NewHandler serves /metrics from g and a short landing page on /.
func NewHandler(g prometheus.Gatherer, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", gzipMetrics(promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		// gzipMetrics compresses, with far less memory (see there).
		DisableCompression: true,
	})))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><meta charset="utf-8"><title>roomwatch-agent</title></head><body>`+
			`<h1>roomwatch-agent 主机监控代理</h1><p><a href="/metrics">/metrics 指标</a></p></body></html>`)
	})
	return mux
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully. With
// a web config file (--web.config.file) it serves TLS and asks every path
// for a basic-auth user when the file lists users, as node_exporter does.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, wc *web.WebConfig, opts Options) error {
	if wc != nil {
		h = wc.RequireUsers(h)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- web.Serve(srv, ln, wc) }()
	opts.Logger.Info("serving metrics", "address", ln.Addr().String(), "tls", wc != nil && wc.TLSEnabled(),
		"basic_auth", wc != nil && wc.HasUsers())
	if opts.Ready != nil {
		opts.Ready(ln.Addr())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := clockwork.WithTimeout(context.Background(), opts.Clock, 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
