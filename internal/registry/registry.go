// Package registry keeps the roomwatch agents known to a collector: what each
// reported when it registered (hostname, IPs, OS, site, version) and when it was
// last seen, in memory and persisted to a JSON file under the data directory.
//
// Last-seen times come from the agents' pushes (remotewrite.HandlerOptions.OnPush
// calls Seen). Run writes them into the store as
// roomwatch_agent_last_seen_timestamp_seconds{agent,device,site} so an alerting
// rule such as
//
//	time() - roomwatch_agent_last_seen_timestamp_seconds > 300
//
// raises host-missing for an agent that stopped pushing.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"golang.org/x/time/rate"
	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/web"
)

// LastSeenMetric is the series name rules use to detect a missing agent.
const LastSeenMetric = "roomwatch_agent_last_seen_timestamp_seconds"

// Info is what an agent sends to POST /api/v1/agents/register.
type Info struct {
	Hostname string   `json:"hostname"`
	IPs      []string `json:"ips,omitempty"`
	OS       string   `json:"os,omitempty"`
	Platform string   `json:"platform,omitempty"`
	Kernel   string   `json:"kernel,omitempty"`
	Site     string   `json:"site,omitempty"`
	Version  string   `json:"version,omitempty"`
}

// Validate checks the fields a collector relies on.
func (i Info) Validate() error {
	if i.Hostname == "" {
		return errors.New("hostname is required")
	}
	if len(i.Hostname) > 253 || strings.IndexFunc(i.Hostname, unicode.IsControl) >= 0 || strings.ContainsAny(i.Hostname, " /") {
		return fmt.Errorf("hostname %q is not a host name", i.Hostname)
	}
	if len(i.IPs) > 256 {
		return fmt.Errorf("%d IPs: at most 256", len(i.IPs))
	}
	for _, s := range []string{i.OS, i.Platform, i.Kernel, i.Site, i.Version} {
		if len(s) > 256 {
			return fmt.Errorf("field of %d bytes: at most 256", len(s))
		}
	}
	return nil
}

// InvalidInfoError is Register's error for an Info that fails Validate; any
// other Register error is the registry's own (saving failed).
type InvalidInfoError struct{ Err error }

func (e *InvalidInfoError) Error() string { return e.Err.Error() }

func (e *InvalidInfoError) Unwrap() error { return e.Err }

// Agent is one registered agent.
type Agent struct {
	Info
	RemoteAddr   string    `json:"remote_addr,omitempty"`
	RegisteredAt time.Time `json:"registered_at"`
	LastSeen     time.Time `json:"last_seen"`
}

// Options configures Open.
type Options struct {
	// Path of the JSON file the registry persists to ("" keeps it in memory).
	// Registrations are appended to Path+".log" (one JSON line each, synced
	// before Register returns) and folded into Path by Save (persist.go).
	Path string
	// ReadOnly loads the registry without writing anything (tools);
	// Register then fails.
	ReadOnly bool
	// MaxAgents caps the agents known; a registration (or push) of a new
	// agent beyond it is refused (default DefaultMaxAgents; negative: no cap).
	MaxAgents int
	// RegisterRate and RegisterBurst bound registrations per second through
	// RegisterHandler (defaults DefaultRegisterRate, DefaultRegisterBurst;
	// a negative rate: no limit).
	RegisterRate  float64
	RegisterBurst int
	// Registerer receives roomwatch_agent_registrations_total; nil registers nothing.
	Registerer prometheus.Registerer
	// Clock defaults to the real clock.
	Clock clockwork.Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Registry is the set of known agents. Its methods are safe for concurrent use.
type Registry struct {
	opts Options

	mu     sync.Mutex
	agents map[string]*Agent
	dirty  bool
	log    *appendLog // nil in memory or read-only (persist.go)

	limiter       *rate.Limiter
	registrations *prometheus.CounterVec
	overCap       prometheus.Counter

	lastSeenDesc *prometheus.Desc
	infoDesc     *prometheus.Desc
}

// Defaults of the registration limits.
const (
	DefaultMaxAgents     = 20000
	DefaultRegisterRate  = 20 // per second: 5,000 agents re-register in about 4 minutes
	DefaultRegisterBurst = 200
)

// Config is the collector's `agents:` section: the registration limits.
type Config struct {
	// MaxAgents caps the agents known (default 20,000; -1: no cap).
	MaxAgents int `yaml:"max_agents"`
	// RegisterRate is registrations per second (default 20; -1: no limit),
	// RegisterBurst how many may come at once (default 200).
	RegisterRate  float64 `yaml:"register_rate"`
	RegisterBurst int     `yaml:"register_burst"`
}

// Validate refuses negative limits other than -1.
func (c Config) Validate() error {
	if c.MaxAgents < -1 || c.RegisterRate < -1 || c.RegisterBurst < 0 {
		return errors.New("agents: max_agents and register_rate take a positive number or -1 (no limit), register_burst a positive number")
	}
	return nil
}

// UnmarshalYAML decodes and validates the section, naming its line.
func (c *Config) UnmarshalYAML(node *yaml.Node) error {
	type plain Config
	if err := node.Decode((*plain)(c)); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return config.Errorf(node, "%v", err)
	}
	return nil
}

// ErrFull is Register's error for a new agent beyond Options.MaxAgents.
var ErrFull = errors.New("agent registry is full")

// Open loads the registry from opts.Path and its log when they exist.
func Open(opts Options) (*Registry, error) {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxAgents == 0 {
		opts.MaxAgents = DefaultMaxAgents
	}
	if opts.RegisterRate == 0 {
		opts.RegisterRate = DefaultRegisterRate
	}
	if opts.RegisterBurst <= 0 {
		opts.RegisterBurst = DefaultRegisterBurst
	}
	r := &Registry{
		opts:   opts,
		agents: map[string]*Agent{},
		lastSeenDesc: prometheus.NewDesc(LastSeenMetric,
			"When the agent was last heard from (a push or registration), Unix seconds.",
			[]string{"agent", "device", "site"}, nil),
		infoDesc: prometheus.NewDesc("roomwatch_agent_info",
			"Registered agent, with what it reported about itself; always 1.",
			[]string{"agent", "device", "site", "os", "platform", "kernel", "version", "ips"}, nil),
		registrations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomwatch_agent_registrations_total",
			Help: "Agent registrations by result: accepted, rate_limited, over_cap, invalid, error.",
		}, []string{"result"}),
		overCap: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomwatch_agent_pushes_unknown_over_cap_total",
			Help: "Pushes naming an unknown agent not added because the registry holds max_agents.",
		}),
	}
	for _, res := range []string{"accepted", "rate_limited", "over_cap", "invalid", "error"} {
		r.registrations.WithLabelValues(res)
	}
	if opts.RegisterRate > 0 {
		r.limiter = rate.NewLimiter(rate.Limit(opts.RegisterRate), opts.RegisterBurst)
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(r.registrations, r.overCap)
	}
	if opts.Path == "" {
		return r, nil
	}
	if err := r.load(); err != nil { // persist.go
		return nil, err
	}
	return r, nil
}

// Register records (or updates) an agent; remote is its address as seen by
// the collector. It is persisted before Register returns.
func (r *Registry) Register(info Info, remote string) error {
	if err := info.Validate(); err != nil {
		return &InvalidInfoError{Err: err}
	}
	if r.opts.ReadOnly {
		return errors.New("registry: opened read-only")
	}
	now := r.opts.Clock.Now().UTC()
	r.mu.Lock()
	a, ok := r.agents[info.Hostname]
	if !ok && r.full() {
		r.mu.Unlock()
		return fmt.Errorf("%w: %d agents (agents.max_agents)", ErrFull, len(r.agents))
	}
	next := Agent{RegisteredAt: now}
	if ok {
		next = *a
	}
	if next.RegisteredAt.IsZero() {
		next.RegisteredAt = now
	}
	next.Info, next.RemoteAddr, next.LastSeen = info, remote, now
	// Appended (and synced) before the registration is acknowledged; the
	// whole file is rewritten only by Save (persist.go).
	var seq int64
	if r.log != nil {
		var err error
		if seq, err = r.log.append(&next); err != nil {
			r.mu.Unlock()
			return err
		}
	}
	if !ok || a.RegisteredAt.IsZero() {
		r.opts.Logger.Info("agent registered", "agent", info.Hostname, "site", info.Site, "remote", remote)
	}
	if !ok {
		a = &Agent{}
		r.agents[info.Hostname] = a
	}
	*a = next
	r.dirty = true
	r.mu.Unlock()
	if r.log != nil {
		return r.log.syncTo(seq)
	}
	return nil
}

// full reports whether a new agent would exceed MaxAgents (r.mu held).
func (r *Registry) full() bool {
	return r.opts.MaxAgents > 0 && len(r.agents) >= r.opts.MaxAgents
}

// Seen records that agent was heard from at unixSeconds. Unknown agents are
// added with their hostname only. It fits remotewrite.HandlerOptions.OnPush.
func (r *Registry) Seen(agent string, unixSeconds float64) {
	if (Info{Hostname: agent}).Validate() != nil {
		return
	}
	sec, frac := math.Modf(unixSeconds)
	t := time.Unix(int64(sec), int64(frac*1e9)).UTC()
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.agents[agent]
	if !ok {
		if r.full() {
			r.overCap.Inc()
			return
		}
		a = &Agent{Info: Info{Hostname: agent}}
		r.agents[agent] = a
	}
	if t.After(a.LastSeen) {
		a.LastSeen = t
		r.dirty = true
	}
}

// Agents returns the known agents sorted by hostname.
func (r *Registry) Agents() []Agent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Agent, 0, len(r.agents))
	for _, a := range r.agents {
		c := *a
		c.IPs = slices.Clone(a.IPs)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Agent) int { return strings.Compare(a.Hostname, b.Hostname) })
	return out
}

// AppendSeries writes every agent's last-seen time into app, stamped now.
func (r *Registry) AppendSeries(ctx context.Context, app storage.Appendable) error {
	now := r.opts.Clock.Now().UnixMilli()
	a := app.Appender(ctx)
	for _, ag := range r.Agents() {
		if ag.LastSeen.IsZero() {
			continue
		}
		ls := labels.FromStrings(model.MetricNameLabel, LastSeenMetric, "agent", ag.Hostname, "device", ag.Hostname, "site", ag.Site)
		if _, err := a.Append(0, ls, now, float64(ag.LastSeen.UnixMilli())/1000); err != nil {
			_ = a.Rollback()
			return fmt.Errorf("registry: append %s: %w", ls, err)
		}
	}
	if err := a.Commit(); err != nil {
		return fmt.Errorf("registry: commit: %w", err)
	}
	return nil
}

// Run writes the last-seen series into app and persists changed last-seen
// times every interval until ctx ends.
func (r *Registry) Run(ctx context.Context, app storage.Appendable, interval time.Duration) error {
	t := r.opts.Clock.NewTicker(interval)
	defer t.Stop()
	for {
		if err := r.AppendSeries(ctx, app); err != nil {
			r.opts.Logger.Error("agent last-seen series", "err", err)
		}
		if err := r.Save(); err != nil {
			r.opts.Logger.Error("saving agent registry", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.Chan():
		}
	}
}

// Describe implements prometheus.Collector.
func (r *Registry) Describe(ch chan<- *prometheus.Desc) {
	ch <- r.lastSeenDesc
	ch <- r.infoDesc
}

// Collect implements prometheus.Collector, for the collector's own /metrics.
func (r *Registry) Collect(ch chan<- prometheus.Metric) {
	for _, a := range r.Agents() {
		if !a.LastSeen.IsZero() {
			ch <- prometheus.MustNewConstMetric(r.lastSeenDesc, prometheus.GaugeValue,
				float64(a.LastSeen.UnixMilli())/1000, a.Hostname, a.Hostname, a.Site)
		}
		ch <- prometheus.MustNewConstMetric(r.infoDesc, prometheus.GaugeValue, 1,
			a.Hostname, a.Hostname, a.Site, a.OS, a.Platform, a.Kernel, a.Version, strings.Join(a.IPs, ","))
	}
}

// MaxRegisterBytes bounds a registration body.
const MaxRegisterBytes = 64 << 10

// RegisterHandler serves POST /api/v1/agents/register: a JSON Info, answered
// 204, or 400 with the reason.
func (r *Registry) RegisterHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "registration takes POST", http.StatusMethodNotAllowed)
			return
		}
		if wait, ok := r.allow(); !ok {
			r.registrations.WithLabelValues("rate_limited").Inc()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			http.Error(w, fmt.Sprintf("too many registrations (agents.register_rate %g/s); retry in %s", r.opts.RegisterRate, wait.Round(time.Second)), http.StatusTooManyRequests)
			return
		}
		if err := web.RequireJSON(req); err != nil {
			http.Error(w, err.Error(), http.StatusUnsupportedMediaType)
			return
		}
		var info Info
		dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, MaxRegisterBytes))
		if err := dec.Decode(&info); err != nil {
			http.Error(w, "bad registration JSON: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := r.Register(info, req.RemoteAddr); err != nil {
			code, result := http.StatusInternalServerError, "error"
			if _, bad := errors.AsType[*InvalidInfoError](err); bad {
				code, result = http.StatusBadRequest, "invalid"
			} else if errors.Is(err, ErrFull) {
				// 429, not 4xx-final: an agent keeps trying (hourly) and is
				// taken once the cap is raised or agents are removed.
				code, result = http.StatusTooManyRequests, "over_cap"
				w.Header().Set("Retry-After", "3600")
			}
			r.registrations.WithLabelValues(result).Inc()
			http.Error(w, err.Error(), code)
			return
		}
		r.registrations.WithLabelValues("accepted").Inc()
		w.WriteHeader(http.StatusNoContent)
	})
}

// allow takes one registration from the rate limit, or says how long to wait.
func (r *Registry) allow() (time.Duration, bool) {
	if r.limiter == nil {
		return 0, true
	}
	now := r.opts.Clock.Now()
	res := r.limiter.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return max(d, time.Second), false
	}
	return 0, true
}

// ListHandler serves GET /api/v1/agents: {"status":"success","data":[Agent…]}.
func (r *Registry) ListHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "agents list takes GET", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(struct {
			Status string  `json:"status"`
			Data   []Agent `json:"data"`
		}{"success", r.Agents()})
	})
}
