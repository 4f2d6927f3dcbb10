package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/alertrules"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/probe/exposition"
	"github.com/roomwatch/roomwatch/internal/probe/probers"
	"github.com/roomwatch/roomwatch/internal/probe/scheduler"
	"github.com/roomwatch/roomwatch/internal/registry"
	"github.com/roomwatch/roomwatch/internal/remotewrite"
	"github.com/roomwatch/roomwatch/internal/ruler"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/api"
	"github.com/roomwatch/roomwatch/internal/tickets/sqlite"
)

// agentSeriesInterval is how often the agent registry writes its last-seen series.
const agentSeriesInterval = 30 * time.Second

// NewServe builds the collector `serve` runs: the Server of New plus the
// ticket pipeline (when tickets are on), the remote-write receiver, the agent
// registry and the probe scheduler (when the inventory has devices). ctx
// bounds the set-up only; the parts run from Server.Run.
func NewServe(ctx context.Context, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	dir := NewDataDir(&opts.Config).Rules()
	changed, err := UseEmbeddedRules(&opts.Config, dir)
	if err != nil {
		return nil, err
	}
	if len(changed) > 0 {
		opts.Logger.Info("using the embedded rules and profiles", "dir", dir, "for", changed)
	}
	a, err := newAuth(&opts.Config, opts.Logger)
	if err != nil {
		return nil, err
	}
	logDeprecations(&opts.Config, opts.Logger)
	// The ticket pipeline is the rule engine's alert sink, so it is opened
	// before New builds the rules, but it lives in the data directory, which
	// New locks: the sink forwards to the pipeline once it is open.
	sink := &lateSink{}
	if opts.Config.Tickets.On() {
		opts.AlertSink = teeSink{sink, opts.AlertSink}
	}
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	s.auth = a
	err = s.openServeStores(ctx)
	if err == nil {
		err = openRoster(ctx, s) // wire_roster.go
	}
	if err == nil && s.stores.Tickets != nil {
		sink.tp.Store(s.stores.Tickets)
		err = s.stores.Tickets.mount(s)
	}
	if err == nil {
		s.Handle("/api/v1/admin/backup", s.backupHandler()) // backup.go
		err = wireIngest(s)
	}
	if err == nil {
		err = wireSilences(s) // wire_silence.go
	}
	if err == nil {
		err = wireProbes(s)
	}
	if err == nil {
		err = wireInspections(s) // wire_inspect.go
	}
	if err == nil {
		err = wireReports(s) // wire_report.go
	}
	if err == nil && s.cfg.Console.On() {
		err = wireConsole(ctx, s) // wire_console.go
	} else if err == nil {
		s.log.Info("console disabled (console.enabled: false): APIs only")
	}
	if err == nil {
		err = wireRoster(ctx, s) // wire_roster.go
	}
	if err == nil && s.stores.Tickets != nil {
		err = wireHolidayWatch(s, s.stores.Tickets.sla) // holidays.go
	}
	if err != nil {
		s.runClosers()
		_ = s.closeStores()
		return nil, err
	}
	return s, nil
}

// openServeStores opens, in the data directory New locked, the stores serve
// keeps open for its life: tickets (when on), inspections, the agent registry.
func (s *Server) openServeStores(ctx context.Context) error {
	st := s.stores // New made its TSDB the query source
	if _, err := st.useExternal(&s.cfg, func(string) {}); err != nil {
		return err
	}
	if err := checkServeDatabases(ctx, st.Dir, s.cfg.Tickets.On()); err != nil { // integrity.go
		return err
	}
	var err error
	if st.Silences, err = openSilences(ctx, &s.cfg, st.Dir, s.opts.Clock, s.log); err != nil { // wire_silence.go
		return err
	}
	st.onClose(st.Silences.close)
	if st.Key, st.Chain, err = openChain(&s.cfg, st.Dir, true, s.opts.Clock.Now(), s.log); err != nil { // chains.go
		return err
	}
	if s.cfg.Tickets.On() {
		to := ticketsOptions{Clock: s.opts.Clock, Logger: s.log, Silencer: st.Silences.all, Windows: st.Silences.set, Chain: st.Chain}
		if st.Tickets, err = openTickets(ctx, &s.cfg, st.Dir, to); err != nil {
			return err
		}
		st.onClose(st.Tickets.close)
	}
	if st.Inspections, err = openInspections(st.Dir, st.Chain); err != nil {
		return err
	}
	st.onClose(st.Inspections.Close)
	if err := st.startChains(ctx, s.log); err != nil {
		return err
	}
	ag := s.cfg.Agents
	st.Agents, err = openAgents(st.Dir, registry.Options{
		MaxAgents: ag.MaxAgents, RegisterRate: ag.RegisterRate, RegisterBurst: ag.RegisterBurst,
		Clock: s.opts.Clock, Logger: s.log, Registerer: s.reg,
	})
	if err != nil {
		return err
	}
	st.onClose(st.Agents.Close)
	return st.openRollups(ctx, false)
}

// lateSink forwards the rule engine's alerts to the ticket pipeline, which
// opens after New (it lives in the data directory New locks); the rules run
// only from Run, so nothing is sent before it is set.
type lateSink struct {
	tp atomic.Pointer[ticketPipeline]
}

func (l *lateSink) Send(ctx context.Context, as []alert.Alert) error {
	tp := l.tp.Load()
	if tp == nil {
		return errors.New("ticket pipeline not open yet")
	}
	return tp.Send(ctx, as)
}

// ticketPipeline is the ticket service with its store.
type ticketPipeline struct {
	sla   *sla.Loaded // the SLA profiles and holiday calendar in force
	svc   *tickets.Service
	db    *sqlite.Store
	audit *auth.AuditFile
	log   *slog.Logger
}

// ticketsOptions configure openTickets.
type ticketsOptions struct {
	Clock  clockwork.Clock
	Logger *slog.Logger
	// ReadOnly is for tools that only read: no audit file is opened.
	ReadOnly bool
	// Silencer holds back alerts in maintenance windows (nil: none).
	Silencer tickets.Silencer
	// Windows hold the repair timers of the tickets they cover (nil: none).
	Windows tickets.WindowSource
	// Chain keys the event and audit chains (nil: unkeyed).
	Chain *integrity.Chain
}

// openTickets opens the ticket service over the data directory's ticket
// database, with the fault levels and SLA profiles of cfg.
func openTickets(ctx context.Context, cfg *Config, d DataDir, o ticketsOptions) (*ticketPipeline, error) {
	rules, err := classify.Load(cfg.Tickets.Rules)
	if err != nil {
		return nil, fmt.Errorf("tickets: fault levels: %w", err)
	}
	loaded, err := cfg.SLA.Load()
	if err != nil {
		return nil, fmt.Errorf("tickets: sla: %w", err)
	}
	path := d.TicketsDB()
	if !o.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("tickets: %w", err)
		}
	}
	db, err := sqlite.Open(ctx, sqlite.Options{Path: path, Logger: o.Logger, Chain: o.Chain})
	if err != nil {
		return nil, fmt.Errorf("tickets: open %s: %w", path, err)
	}
	tp := &ticketPipeline{db: db, log: o.Logger, sla: loaded}
	reach, err := reachabilityAlerts(cfg)
	if err != nil {
		_ = tp.close()
		return nil, err
	}
	to := tickets.Options{
		Store: db, Classifier: rules, Policy: loaded.Selection, Devices: newDeviceIndex(&cfg.Inventory),
		Clock: o.Clock, Location: loaded.Location, GroupBy: cfg.Tickets.GroupBy,
		ReopenWindow: cfg.Tickets.Window(), AutoClose: cfg.Tickets.AutoClose, ComplaintReply: cfg.Tickets.ComplaintReply.Std(),
		ReachabilityAlerts: reach, Logger: o.Logger, Silencer: o.Silencer, Windows: o.Windows, Notices: len(cfg.Notify.Channels) > 0,
	}
	if cfg.Tickets.AuditFile != "" && !o.ReadOnly {
		if tp.audit, err = auth.OpenAuditFile(cfg.Tickets.AuditFile); err != nil {
			_ = tp.close()
			return nil, fmt.Errorf("tickets: %w", err)
		}
		to.Audit = tp.audit
	}
	if tp.svc, err = tickets.New(to); err != nil {
		_ = tp.close()
		return nil, fmt.Errorf("tickets: %w", err)
	}
	return tp, nil
}

// Send implements ruler.AlertSink: the rule engine's alerts open, update and
// resolve tickets.
func (tp *ticketPipeline) Send(ctx context.Context, as []alert.Alert) error {
	_, err := tp.svc.Ingest(ctx, as)
	return err
}

// mount adds the ticket and intake routes and, when notify channels are
// configured, the escalator.
func (tp *ticketPipeline) mount(s *Server) error {
	cfg := s.cfg
	h, err := api.NewHandler(api.Options{Service: tp.svc, Auth: s.auth, Clock: s.opts.Clock, Logger: s.log,
		PhotoDir: NewDataDir(&s.cfg).PhotoDir()})
	if err != nil {
		return fmt.Errorf("tickets: api: %w", err)
	}
	// More specific than the query API's "/api/v1/", so these win.
	for _, p := range []string{"/api/v1/tickets", "/api/v1/tickets/", "/api/v1/complaints", "/api/v1/complaints/", "/api/v1/alertmanager/webhook", "/api/v2/alerts"} {
		s.Handle(p, h)
	}
	if len(cfg.Notify.Channels) == 0 {
		s.log.Info("tickets: no notify channels configured; escalation notices are not sent")
		return nil
	}
	n, err := s.notifier()
	if err != nil {
		return err
	}
	external := cfg.Rules.ExternalURL
	if external == "" {
		external = defaultExternalURL(cfg.Web.ListenAddress)
	}
	esc, err := tp.svc.Escalator(tickets.EscalationOptions{
		Notifier: n, Routes: cfg.Tickets.Routes, People: cfg.Tickets.People, Interval: cfg.Tickets.EscalationInterval.Std(),
		URL: external, Logger: s.log, Duty: s.duty(), Accounts: s.escalationAccounts(),
	})
	if err != nil {
		return fmt.Errorf("tickets: escalator: %w", err)
	}
	s.Go(esc.Run)
	return nil
}

func (tp *ticketPipeline) close() error {
	var errs []error
	if tp.audit != nil {
		errs = append(errs, tp.audit.Close())
	}
	errs = append(errs, tp.db.Close())
	return errors.Join(errs...)
}

// teeSink sends to each non-nil sink; the first error is returned after all tried.
type teeSink []ruler.AlertSink

func (t teeSink) Send(ctx context.Context, as []alert.Alert) error {
	var errs []error
	for _, s := range t {
		if s != nil {
			errs = append(errs, s.Send(ctx, as))
		}
	}
	return errors.Join(errs...)
}

// deviceIndex implements tickets.Devices over the inventory.
type deviceIndex map[string]*inventory.Device

func newDeviceIndex(inv *inventory.Inventory) deviceIndex {
	ix := deviceIndex{}
	for i := range inv.Devices {
		ix[inv.Devices[i].Name] = &inv.Devices[i]
	}
	return ix
}

func (ix deviceIndex) Device(name string) (site, class, parent string, ok bool) {
	d, ok := ix[name]
	if !ok {
		return "", "", "", false
	}
	return d.Site, string(d.Class), d.Parent, true
}

// wireIngest mounts the remote-write receiver and the agent registry; agents
// the collector scrapes (job roomwatch-agent) count as heard from too.
func wireIngest(s *Server) error {
	reg := s.stores.Agents
	// Every write needs credentials (or loopback, when open): guard.go.
	s.Handle("/api/v1/write", s.guard.writes(remotewrite.NewHandler(s.Appendable(), remotewrite.HandlerOptions{
		Registerer: s.reg, Logger: s.log, Clock: s.opts.Clock, OnPush: reg.Seen,
		MaxSeriesPerWrite: limitOrNone(s.cfg.Storage.MaxSeriesPerWrite),
	})))
	for _, sc := range s.scrapers {
		if sc.t.Job == "roomwatch-agent" {
			sc.onUp = reg.Seen
		}
	}
	s.Handle("/api/v1/agents/register", s.guard.writes(reg.RegisterHandler()))
	s.Handle("/api/v1/agents", s.guard.reads(reg.ListHandler()))
	app := s.Appendable()
	s.Go(func(ctx context.Context) error { return reg.Run(ctx, app, agentSeriesInterval) })
	return nil
}

// wireProbes starts the probe scheduler over the inventory, if it has devices.
func wireProbes(s *Server) error {
	cfg := &s.cfg
	if len(cfg.Inventory.Devices) == 0 {
		return nil
	}
	targets, err := cfg.Inventory.Targets()
	if err != nil {
		return fmt.Errorf("inventory: %w", err)
	}
	wantICMP := false
	for _, t := range targets {
		for _, k := range cfg.Probes.ProbesFor(t.Device) {
			wantICMP = wantICMP || k == scheduler.ProbeICMP
		}
	}
	loc, _ := cfg.Location()
	profiles := cfg.Probes.ProfilesDir
	if profiles == "" {
		if st, err := os.Stat("rules/profiles"); err == nil && st.IsDir() {
			profiles = "rules/profiles"
		}
	}
	set, err := probers.New(probers.Options{Clock: s.opts.Clock, Logger: s.log, Location: loc, ProfilesDir: profiles, NoICMP: !wantICMP})
	if err != nil {
		return fmt.Errorf("probes: %w", err)
	}
	for kind, why := range set.Unavailable {
		s.log.Warn("probe kind unavailable", "kind", kind, "err", why)
	}
	jobs, err := scheduler.Plan(targets, &cfg.Probes, set.Have)
	if err != nil {
		s.log.Warn("some checks cannot run", "err", err)
	}
	expo := exposition.NewStore()
	if err := s.reg.Register(expo); err != nil {
		_ = set.Close()
		return fmt.Errorf("probes: register exposition: %w", err)
	}
	sched, err := scheduler.New(scheduler.Options{
		Clock: s.opts.Clock, Logger: s.log, Probers: set.Probers, Batch: set.Batch,
		Sinks: []scheduler.Sink{expo, s.ProbeSink()},
	}, jobs)
	if err != nil {
		_ = set.Close()
		return fmt.Errorf("probes: %w", err)
	}
	s.OnClose(set.Close)
	s.Go(sched.Run)
	return nil
}

// reachabilityAlerts are the alertnames that mean "device unreachable" to
// the ticket pipeline (a child of a device with such a ticket joins it): the
// configured tickets.reachability_alerts plus every rule of the loaded rule
// files labelled family="reachability", so a new or renamed rule counts
// without a second list to keep in step.
func reachabilityAlerts(cfg *Config) ([]string, error) {
	names := append([]string(nil), cfg.Tickets.ReachabilityAlerts...)
	files, err := ruler.Expand(cfg.Rules.Files)
	if err != nil || len(files) == 0 {
		return names, nil // no rules loaded: New reports that
	}
	rs, err := alertrules.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("tickets: reachability alerts: %w", err)
	}
	for _, n := range alertrules.ReachabilityAlerts(rs) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, nil
}

// notifier is serve's one notifier over notify.channels (the escalator and
// the scheduled reports share it), built on first use.
func (s *Server) notifier() (*notify.Notifier, error) {
	if s.notify != nil {
		return s.notify, nil
	}
	n, err := notify.New(s.cfg.Notify, notify.Options{Clock: s.opts.Clock, Logger: s.log})
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	s.notify = n
	return n, nil
}
