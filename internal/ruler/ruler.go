// Package ruler evaluates Prometheus alerting (and recording) rule files inside
// the collector with Prometheus's own rule manager over the embedded store, and
// hands firing and resolved alerts to the collector's alert pipeline (an
// AlertSink) and, when configured, to external Alertmanagers through their API
// v2. The rule files are the same ones a real Prometheus runs unchanged.
package ruler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/storage"

	"github.com/roomwatch/roomwatch/internal/alert"
)

// AlertSink receives alerts from the rule engine: firing ones (EndsAt in the
// future, a validity horizon) and resolved ones (EndsAt set to when they ended).
// The same alert is resent while it fires; receivers deduplicate by fingerprint.
// The ticket intake implements it.
type AlertSink interface {
	Send(ctx context.Context, alerts []alert.Alert) error
}

// LogSink is an AlertSink that logs every alert; the default until a ticket
// intake is wired in.
type LogSink struct {
	Logger *slog.Logger
	Clock  clockwork.Clock // the real clock when nil
}

// Send implements AlertSink.
func (s LogSink) Send(_ context.Context, alerts []alert.Alert) error {
	clk := s.Clock
	if clk == nil {
		clk = clockwork.NewRealClock()
	}
	now := clk.Now()
	for _, a := range alerts {
		s.Logger.Info("alert", "status", a.Status(now), "alertname", a.Name(), "labels", a.Labels,
			"summary", a.Annotations["summary"], "startsAt", a.StartsAt, "endsAt", a.EndsAt)
	}
	return nil
}

// Options configure a Ruler.
type Options struct {
	// Files are rule file paths or globs (rules/alerts/*.yml).
	Files []string
	// Interval is the default evaluation interval of groups that set none; 30s when zero.
	Interval time.Duration
	// ResendDelay is how often a still-firing alert is sent again; 1m when zero.
	ResendDelay time.Duration
	// ExternalURL is where generator links point (the collector's web address).
	ExternalURL string
	// ExternalLabels are added to every alert (site, collector name).
	ExternalLabels map[string]string

	Engine     promql.QueryEngine
	Queryable  storage.Queryable
	Appendable storage.AppendableV2 // receives ALERTS, ALERTS_FOR_STATE and recording rules

	Sink AlertSink // nil: LogSink
	// Alertmanagers, when set, also receive every alert through API v2.
	Alertmanagers *AlertmanagerSender

	// Clock tells firing from resolved alerts when counting them; the real
	// clock when nil. (Prometheus's rule manager keeps its own time.)
	Clock      clockwork.Clock
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Ruler runs the rule manager.
type Ruler struct {
	opts    Options
	mgr     *rules.Manager
	cancel  context.CancelFunc
	ctx     context.Context
	logger  *slog.Logger
	metrics *metrics
	loaded  atomic.Bool   // Load succeeded once
	absent  absentTracker // alerts resolved for lack of data (absent.go)
}

type metrics struct {
	sinkErrors prometheus.Counter
	sent       *prometheus.CounterVec
	dataAbsent prometheus.Counter
}

// New builds a Ruler; Run starts it.
func New(opts Options) (*Ruler, error) {
	if opts.Engine == nil || opts.Queryable == nil || opts.Appendable == nil {
		return nil, errors.New("ruler: engine, queryable and appendable are required")
	}
	if opts.Interval <= 0 {
		opts.Interval = 30 * time.Second
	}
	if opts.ResendDelay <= 0 {
		opts.ResendDelay = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Sink == nil {
		opts.Sink = LogSink{Logger: opts.Logger, Clock: opts.Clock}
	}
	m := &metrics{
		sinkErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomwatch_ruler_sink_errors_total",
			Help: "Alert batches the alert pipeline refused.",
		}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomwatch_ruler_alerts_sent_total",
			Help: "Alerts handed to the alert pipeline, by status.",
		}, []string{"status"}),
		dataAbsent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomwatch_ruler_alerts_data_absent_total",
			Help: "Alerts resolved because their data vanished (the device fell silent), sent marked data-absent.",
		}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(m.sinkErrors, m.sent, m.dataAbsent)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Ruler{opts: opts, ctx: ctx, cancel: cancel, logger: opts.Logger, metrics: m}
	r.mgr = rules.NewManager(&rules.ManagerOptions{
		ExternalURL:  nil,
		QueryFunc:    rules.EngineQueryFunc(opts.Engine, opts.Queryable),
		NotifyFunc:   r.notify,
		Context:      ctx,
		AppendableV2: opts.Appendable,
		Queryable:    opts.Queryable,
		Logger:       opts.Logger.With("component", "rules"),
		Registerer:   opts.Registerer,
		ResendDelay:  opts.ResendDelay,
		// Like Prometheus's defaults: keep `for` state across restarts up to 1h.
		OutageTolerance: time.Hour,
		ForGracePeriod:  10 * time.Minute,
	})
	return r, nil
}

// Manager returns the rule manager (for /api/v1/rules and /api/v1/alerts).
func (r *Ruler) Manager() *rules.Manager { return r.mgr }

// Load (re)loads the rule files; on error the previous rules stay in force.
func (r *Ruler) Load() error {
	files, err := Expand(r.opts.Files)
	if err != nil {
		return err
	}
	if err := CheckFiles(files); err != nil {
		return err
	}
	ext := labels.FromMap(r.opts.ExternalLabels)
	if err := r.mgr.Update(r.opts.Interval, files, ext, r.opts.ExternalURL, nil); err != nil {
		return fmt.Errorf("ruler: %w", err)
	}
	r.logger.Info("rules loaded", "files", len(files), "groups", len(r.mgr.RuleGroups()))
	r.loaded.Store(true)
	return nil
}

// Run loads the rules (unless Load already did) and evaluates them until ctx
// ends, then stops the manager (which writes staleness markers for its series).
func (r *Ruler) Run(ctx context.Context) error {
	if !r.loaded.Load() {
		if err := r.Load(); err != nil {
			return err
		}
	}
	done := make(chan struct{})
	go func() { r.mgr.Run(); close(done) }()
	rctx, rcancel := context.WithCancel(ctx)
	rdone := make(chan struct{})
	go func() { r.runRecheck(rctx); close(rdone) }()
	<-ctx.Done()
	rcancel()
	<-rdone
	r.mgr.Stop()
	r.cancel()
	<-done
	return nil
}

// notify is the manager's NotifyFunc: it converts and forwards alerts.
func (r *Ruler) notify(ctx context.Context, expr string, as ...*rules.Alert) {
	if len(as) == 0 {
		return
	}
	out := Convert(r.opts.ExternalURL, expr, as)
	r.markAbsent(ctx, as, out) // absent.go
	r.send(ctx, out)
}

// send hands alerts to the sink and the Alertmanagers.
func (r *Ruler) send(ctx context.Context, out []alert.Alert) {
	now := r.opts.Clock.Now()
	for _, a := range out {
		r.metrics.sent.WithLabelValues(string(a.Status(now))).Inc()
	}
	if err := r.opts.Sink.Send(ctx, out); err != nil {
		r.metrics.sinkErrors.Inc()
		r.logger.Error("alert pipeline refused alerts", "count", len(out), "err", err)
	}
	if r.opts.Alertmanagers != nil {
		r.opts.Alertmanagers.Enqueue(out)
	}
}

// Convert turns the rule manager's alerts into roomwatch alerts the way
// Prometheus's notifier does: EndsAt is ResolvedAt for resolved alerts and the
// validity horizon (ValidUntil) for firing ones.
func Convert(externalURL, expr string, as []*rules.Alert) []alert.Alert {
	out := make([]alert.Alert, 0, len(as))
	for _, a := range as {
		x := alert.Alert{
			Labels:       a.Labels.Map(),
			Annotations:  a.Annotations.Map(),
			StartsAt:     a.FiredAt,
			EndsAt:       a.ValidUntil,
			GeneratorURL: externalURL + "/graph?g0.expr=" + urlQueryEscape(expr) + "&g0.tab=1",
			Source:       alert.SourceRules,
		}
		if !a.ResolvedAt.IsZero() {
			x.EndsAt = a.ResolvedAt
		}
		out = append(out, x)
	}
	return out
}

// Expand resolves globs into a sorted list of files; a pattern matching
// nothing is an error so that a typo does not silently disable alerting.
func Expand(patterns []string) ([]string, error) {
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("rule files %q: %w", p, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("rule files %q: no file matches", p)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	return files, nil
}

// CheckFiles parses the rule files as Prometheus does (`promtool check rules`)
// and returns every error, each naming its file and, when known, the line.
func CheckFiles(files []string) error {
	mgr := rules.NewManager(&rules.ManagerOptions{})
	_, errs := mgr.LoadGroups(time.Minute, labels.EmptyLabels(), "", nil, false, files...)
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	return fmt.Errorf("invalid rule files: %s", strings.Join(msgs, "; "))
}
