package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/storage"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/buildinfo"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/pdf"
	"github.com/roomwatch/roomwatch/internal/promapi"
	"github.com/roomwatch/roomwatch/internal/remotewrite"
	"github.com/roomwatch/roomwatch/internal/residency"
	"github.com/roomwatch/roomwatch/internal/ruler"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/web"
)

// Options configure a Server.
type Options struct {
	Config Config
	// ListenAddress and DataDir override the config when set (command-line flags).
	ListenAddress string
	StoragePath   string
	// AlertSink receives the rule engine's alerts (the ticket intake); nil logs them.
	AlertSink ruler.AlertSink
	Clock     clockwork.Clock // for the built-in scrapes; the real clock when nil
	Logger    *slog.Logger
	// ReleaseStartupPages unmaps the binary's read-only pages once Run is
	// ready, so that only what the running collector touches again is
	// resident (Linux; residency.ReleaseExecutablePages). serve sets it.
	ReleaseStartupPages bool
}

// Server is the assembled collector: store, rules, query API, scrapes.
type Server struct {
	opts      Options
	notify    *notify.Notifier // notifier(), wire.go
	pdf       *pdf.Printer     // printer(), documents.go
	cfg       Config
	log       *slog.Logger
	reg       *prometheus.Registry
	store     *store.Store
	stores    *Stores             // the data directory: its lock, the TSDB and the other stores
	auth      *auth.Authenticator // API tokens, shared by every API (serve only)
	templates []*inspect.Template // inspection templates (serve only)
	runner    *inspect.Runner     // runs inspections now (serve only; the console's "run now")
	app       *store.FutureGuard  // over the store, or a Tee to it and the outbound senders
	out       *outbound
	ingest    *store.IngestMetrics
	ruler     *ruler.Ruler
	am        *ruler.AlertmanagerSender
	scrapers  []*scraper
	mux       *http.ServeMux
	webcfg    *web.WebConfig // --web.config.file: TLS and basic-auth users; nil without
	guard     *guard         // credentials on the read and write paths (guard.go)
	ready     atomic.Bool
	warns     standingWarnings // shown on /-/ready, by source (warnings.go)
	addr      chan string
	// parts run beside the scrapes until Run's context ends (wire.go);
	// closers run after they stopped, before the TSDB closes.
	parts   []func(context.Context) error
	closers []func() error
	// onShutdown run as the HTTP server starts shutting down (long-lived
	// streams end so that it need not wait for them).
	onShutdown []func()
}

// Go adds a part that runs from Run until shutdown (before Run only).
func (s *Server) Go(part func(context.Context) error) { s.parts = append(s.parts, part) }

// OnShutdown adds a function run when the HTTP server starts shutting down
// (before Run only): it ends long-lived requests such as event streams.
func (s *Server) OnShutdown(fn func()) { s.onShutdown = append(s.onShutdown, fn) }

// OnClose adds a function run at shutdown once every part stopped (before Run only).
func (s *Server) OnClose(fn func() error) { s.closers = append(s.closers, fn) }

// New opens the store and builds every part; Run starts them.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	cfg := opts.Config
	if opts.ListenAddress != "" {
		cfg.Web.ListenAddress = opts.ListenAddress
	}
	if opts.StoragePath != "" {
		cfg.Storage.Path = opts.StoragePath
	}
	dir := NewDataDir(&cfg)
	cfg.Storage.Path = dir.TSDB()
	log := opts.Logger
	// One writer per data directory: a second serve, or a one-shot tool
	// writing to it, is refused with the holder's name.
	lock, err := dir.Acquire(Holder{Command: "serve", Listen: cfg.Web.ListenAddress})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildinfo.NewCollector("roomwatch_collector"))
	st, err := store.Open(store.Options{
		Dir: cfg.Storage.Path, Retention: cfg.Storage.Retention.Std(), MaxBytes: cfg.Storage.MaxBytes,
		OutOfOrderWindow: cfg.Storage.OutOfOrderWindow.Std(), MaxAhead: cfg.Storage.MaxAhead.Std(), Clock: opts.Clock,
		MaxSeries: cfg.Storage.MaxSeries, MaxSamples: cfg.Query.MaxSamples,
		Logger: log, Registerer: reg,
	})
	if err != nil {
		_ = lock.Release()
		return nil, explainTSDBOpen(cfg.Storage.Path, err) // tsdbblocks.go
	}
	stores := &Stores{Dir: dir, lock: lock, closers: []func() error{st.Close}}
	stores.useTSDB(st)
	s := &Server{opts: opts, cfg: cfg, log: log, reg: reg, store: st, stores: stores, ingest: store.NewIngestMetrics(reg), addr: make(chan string, 1)}
	s.checkTSDBBlocks() // tsdbblocks.go
	if cfg.Web.ConfigFile != "" {
		if s.webcfg, err = web.LoadWebConfig(cfg.Web.ConfigFile); err != nil {
			s.closeStores()
			return nil, err
		}
	}
	s.guard = newGuard(s)
	if s.out, err = newOutbound(s); err != nil {
		s.closeStores()
		return nil, err
	}
	var base storage.Appendable = st
	if len(s.out.sinks) > 0 {
		base = &remotewrite.Tee{Primary: st, Sinks: s.out.sinks}
	}
	s.app = store.NewFutureGuard(base, store.FutureGuardOptions{MaxAhead: cfg.Storage.MaxAhead.Std(), Clock: opts.Clock, Metrics: s.ingest})
	for _, c := range s.out.close {
		s.OnClose(func() error { c(); return nil })
	}
	external := cfg.Rules.ExternalURL
	if external == "" {
		external = defaultExternalURL(cfg.Web.ListenAddress)
	}
	if len(cfg.Rules.Alertmanagers) > 0 {
		s.am, err = ruler.NewAlertmanagerSender(ruler.AlertmanagerOptions{URLs: cfg.Rules.Alertmanagers, Logger: log, Registerer: reg})
		if err != nil {
			s.runClosers()
			s.closeStores()
			return nil, err
		}
	}
	files, ferr := ruler.Expand(cfg.Rules.Files)
	if ferr != nil {
		log.Warn("no alerting rules loaded", "err", ferr)
	}
	if len(files) > 0 {
		s.ruler, err = ruler.New(ruler.Options{
			Files: files, Interval: cfg.Rules.EvaluationInterval.Std(), ExternalURL: external,
			Engine: st.Engine(), Queryable: st, Appendable: st, Sink: opts.AlertSink, Alertmanagers: s.am,
			Logger: log, Registerer: reg,
		})
		if err == nil {
			// Loaded before Run, so that /-/ready means the rules are in force
			// and a broken rule file stops the start.
			err = s.ruler.Load()
		}
		if err != nil {
			s.runClosers()
			s.closeStores()
			return nil, err
		}
	}
	for _, t := range cfg.Scrape {
		s.scrapers = append(s.scrapers, newScraper(t, s.app.Source("scrape"), st.Metadata(), s.ingest, opts.Clock, log))
	}
	s.mux = s.routes()
	s.Go(s.recoverStorage) // diskfull.go
	return s, nil
}

func defaultExternalURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	var rr interface {
		promapiRules
	}
	if s.ruler != nil {
		rr = s.ruler.Manager()
	}
	cors, _ := promapi.CompileCORSOrigin(s.cfg.Web.CORSOrigin) // checked by validateCore
	api := promapi.New(promapi.Options{
		Engine: s.store.Engine(), Queryable: s.store, Exemplars: s.store, Metadata: s.store.Metadata(),
		Rules: rr, Logger: s.log, Registerer: s.reg, Gatherer: s.reg, CORSOrigin: cors,
		MaxSeries: limitOrNone(s.cfg.Query.MaxSeries),
	})
	mux.Handle("/api/v1/", s.guard.reads(api))
	mux.Handle("/metrics", s.guard.reads(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "roomwatch-collector is healthy.")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "roomwatch-collector is starting.", http.StatusServiceUnavailable)
			return
		}
		if err := s.store.Health(); err != nil { // diskfull.go
			http.Error(w, "roomwatch-collector is not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "roomwatch-collector is ready.")
		for _, msg := range s.warnings() {
			fmt.Fprintln(w, "warning:", msg)
		}
	})
	return mux
}

// Appendable is where ingest (remote write, agent push, InfluxDB line protocol) writes.
// Samples appended here also go to the outbound remote_write and influxdb
// senders, when configured.
// Samples stamped more than storage.max_ahead past the clock are refused.
func (s *Server) Appendable() storage.Appendable { return s.app.Source("remote_write") }

// Store returns the embedded store (Querier for inspections and reports: Store().PromQL()).
func (s *Server) Store() *store.Store { return s.store }

// ProbeSink returns the sink the probe scheduler writes to.
func (s *Server) ProbeSink() *store.Sink {
	return store.NewSink(s.app.Source("probe"), s.store.Metadata(), s.ingest)
}

// Registerer is the collector's self-metrics registry, for parts wired in later.
func (s *Server) Registerer() prometheus.Registerer { return s.reg }

// Handle mounts a handler before Run (tickets, ingest receivers).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Addr returns the address the HTTP server listens on, once Run has bound it.
func (s *Server) Addr(ctx context.Context) (string, error) {
	select {
	case a := <-s.addr:
		s.addr <- a
		return a, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Run serves until ctx ends, then shuts down in order: HTTP, scrapes, rules,
// the Alertmanager queue (one last flush), and the TSDB (flushed and closed).
func (s *Server) Run(ctx context.Context) error {
	wopts := s.cfg.Web.ServerOptions()
	wopts.Logger, wopts.Registerer, wopts.Clock = s.log, s.reg, s.opts.Clock
	ln, err := web.Listen(s.cfg.Web.ListenAddress, wopts)
	if err != nil {
		s.runClosers()
		s.closeStores()
		return fmt.Errorf("listen on %s: %w", s.cfg.Web.ListenAddress, err)
	}
	s.addr <- ln.Addr().String()
	s.stores.lock.setListen(ln.Addr().String())
	// Connection limit, read timeouts and a rate-limited error log: slow
	// clients cannot exhaust descriptors or flood the log (internal/web).
	srv := web.NewServer(s.mux, wopts)
	for _, fn := range s.onShutdown {
		srv.RegisterOnShutdown(fn)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Over TLS when the web config file sets it (internal/web.Serve).
		if err := web.Serve(srv, ln, s.webcfg); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	var partsWG sync.WaitGroup
	for _, sc := range s.scrapers {
		partsWG.Add(1)
		go func() { defer partsWG.Done(); sc.run(runCtx) }()
	}
	// The outbound senders and the Alertmanager queue stop after everything
	// that feeds them, and send what they still hold.
	var amWG sync.WaitGroup
	amCtx, amStop := context.WithCancel(context.Background())
	for _, run := range s.out.runs {
		amWG.Add(1)
		go func() {
			defer amWG.Done()
			if err := run(amCtx); err != nil {
				s.log.Error("outbound sender stopped", "err", err)
			}
		}()
	}
	if s.am != nil {
		amWG.Add(1)
		go func() { defer amWG.Done(); s.am.Run(amCtx) }()
	}
	if s.ruler != nil {
		partsWG.Add(1)
		go func() {
			defer partsWG.Done()
			if err := s.ruler.Run(runCtx); err != nil {
				errc <- err
			}
		}()
	}
	for _, part := range s.parts {
		partsWG.Add(1)
		go func() {
			defer partsWG.Done()
			if err := part(runCtx); err != nil && runCtx.Err() == nil {
				s.log.Error("part stopped", "err", err)
			}
		}()
	}
	s.ready.Store(true)
	if s.opts.ReleaseStartupPages {
		if n, err := residency.ReleaseExecutablePages(); err != nil {
			s.log.Warn("releasing start-up pages", "err", err)
		} else {
			s.log.Debug("released start-up pages", "bytes", n)
		}
	}
	s.log.Info("roomwatch-collector started", "listen", ln.Addr().String(), "tls", s.webcfg != nil && s.webcfg.TLSEnabled(),
		"basic_auth_users", s.webcfg != nil && s.webcfg.HasUsers(), "query_auth", s.cfg.Auth.Query.Required, "storage", s.cfg.Storage.Path,
		"retention", s.cfg.Storage.Retention.Std(), "scrapes", len(s.scrapers), "rules", s.ruler != nil,
		"alertmanagers", strings.Join(s.cfg.Rules.Alertmanagers, ","), "outbound", len(s.out.sinks))
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	s.ready.Store(false)
	s.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutCtx)
	stop()
	partsWG.Wait()
	amStop()
	amWG.Wait()
	wg.Wait()
	s.runClosers()
	if err := s.closeStores(); err != nil && runErr == nil {
		runErr = err
	}
	s.log.Info("stopped; the TSDB is flushed and closed")
	return runErr
}

// closeStores closes the data directory's stores (the TSDB last, flushed)
// and releases its lock.
func (s *Server) closeStores() error { return s.stores.Close() }

// runClosers runs the OnClose functions in reverse order, once.
func (s *Server) runClosers() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil {
			s.log.Warn("close", "err", err)
		}
	}
	s.closers = nil
}

// promapiRules is what the query API needs from the rule manager.
type promapiRules = interface {
	RuleGroups() []*rules.Group
	AlertingRules() []*rules.AlertingRule
}

// LoopbackAddr turns a listen address (":9120", "0.0.0.0:9120") into one a
// tool on the same host can dial.
func LoopbackAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
