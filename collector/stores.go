package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/integrity"
	"github.com/roomwatch/roomwatch/internal/registry"
	"github.com/roomwatch/roomwatch/internal/report"
	"github.com/roomwatch/roomwatch/internal/report/rollup"
	"github.com/roomwatch/roomwatch/internal/silence"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// Mode is how OpenStores uses the data directory.
type Mode int

const (
	// ReadWrite is for the one-shot tools that write (inspect run, complete,
	// sign): they take the directory's lock, so they fail, naming the
	// process, while a collector serves it. Missing stores are created.
	ReadWrite Mode = iota
	// ReadOnly is for the tools that only read (report, inspect list, show,
	// verify): the databases are read as they are and a missing one is left
	// out; the TSDB is opened here when no collector holds the directory,
	// and read through the running collector's query API when one does.
	ReadOnly
)

// StoresOptions configure OpenStores.
type StoresOptions struct {
	Mode Mode
	// Command names the tool in the lock file ("report", "inspect run"…).
	Command string
	// NoTSDB leaves the metrics out (tools that need no samples).
	NoTSDB bool
	Clock  clockwork.Clock
	Logger *slog.Logger
	// Progress, when set, is told which source each store came from.
	Progress func(msg string)
}

// Stores are the stores of one data directory, each opened once: serve holds
// one for its life, a one-shot tool for its run. Fields are nil when a store
// is absent (read-only mode) or not wanted.
type Stores struct {
	Dir DataDir
	// Holder is the running collector that holds the directory, when a
	// read-only open found one; nil otherwise.
	Holder *Holder

	TSDB        *store.Store       // opened here (serve, or no collector running)
	Tickets     *ticketPipeline    // ticket service over tickets.db
	Inspections *inspect.Store     // inspections.db
	Agents      *registry.Registry // agents.json
	Accounts    *accounts.Store    // accounts.db: console accounts and sessions (serve); read-only tools read its audit chain
	Rollups     *rollup.Store      // rollups.db: daily availability, kept past the TSDB's retention
	// Silences is silences.db and, in serve, the Alertmanagers' silences;
	// a one-shot tool opens the database only (for reports).
	Silences *silences
	// Roster is the duty roster over roster.db (serve; wire_roster.go).
	Roster *dutyRoster
	// Key is the integrity key file and Chain the chain new records are
	// linked with; nil when a read-only tool found no key.
	Key   *integrity.KeyFile
	Chain *integrity.Chain
	// Metrics is the query source: inspections.prometheus_url when set, else
	// the TSDB opened here, else the holder's query API; nil when none.
	Metrics report.Querier
	// metricsTSDB: Metrics is the TSDB opened here (useTSDB), so reports
	// may read its raw samples too.
	metricsTSDB bool

	lock    *DirLock
	closers []func() error
}

// Close closes every store and releases the lock, in reverse order of opening.
func (st *Stores) Close() error {
	var errs []error
	for i := len(st.closers) - 1; i >= 0; i-- {
		errs = append(errs, st.closers[i]())
	}
	st.closers = nil
	errs = append(errs, st.lock.Release())
	st.lock = nil
	return errors.Join(errs...)
}

func (st *Stores) onClose(fn func() error) { st.closers = append(st.closers, fn) }

// OpenStores opens the data directory of cfg for a one-shot tool.
func OpenStores(ctx context.Context, cfg *Config, o StoresOptions) (_ *Stores, err error) {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	st := &Stores{Dir: NewDataDir(cfg)}
	defer func() {
		if err != nil {
			_ = st.Close()
		}
	}()
	ro := o.Mode == ReadOnly
	// A tool that only reads writes nothing where there is nothing to read:
	// no data directory, no lock file.
	if !ro || exists(st.Dir.Root) {
		st.lock, err = st.Dir.Acquire(Holder{Command: o.Command})
	}
	var locked *LockedError
	switch {
	case errors.As(err, &locked) && ro:
		h := locked.Holder
		st.Holder, err = &h, nil
	case err != nil:
		return nil, err
	}
	if st.Key, st.Chain, err = openChain(cfg, st.Dir, !ro, o.Clock.Now(), o.Logger); err != nil {
		return nil, err
	}
	if path := st.Dir.SilencesDB(); exists(path) {
		ss, err := silence.OpenStore(ctx, path)
		if err != nil {
			return nil, err
		}
		st.onClose(ss.Close)
		// The set answers the ticket service's timers from memory
		// (maintenance windows hold the repair timers).
		set, err := silence.NewSet(ctx, silence.Options{Store: ss, Clock: o.Clock, Logger: o.Logger})
		if err != nil {
			return nil, err
		}
		st.Silences = &silences{store: ss, set: set}
	}
	if path := st.Dir.TicketsDB(); cfg.Tickets.On() && (!ro || exists(path)) {
		to := ticketsOptions{Clock: o.Clock, Logger: o.Logger, ReadOnly: ro, Chain: st.Chain}
		if st.Silences != nil {
			to.Windows = st.Silences.set
		}
		if st.Tickets, err = openTickets(ctx, cfg, st.Dir, to); err != nil {
			return nil, err
		}
		st.onClose(st.Tickets.close)
	} else if ro {
		progress("没有工单库 no ticket database at " + path)
	}
	if path := st.Dir.InspectionsDB(); !ro || exists(path) {
		if st.Inspections, err = openInspections(st.Dir, st.Chain); err != nil {
			return nil, err
		}
		st.onClose(st.Inspections.Close)
	} else {
		progress("没有巡检记录 no inspection records at " + path)
	}
	// accounts.db is written by serve and the user command; a one-shot
	// tool only reads its audit chain (verify, the report's anchors).
	if path := st.Dir.AccountsDB(); ro && exists(path) {
		acc, err := accounts.Open(ctx, accounts.Options{Path: path, Chain: st.Chain, ReadOnly: true, Logger: o.Logger})
		switch {
		case errors.Is(err, accounts.ErrNoAuditTable):
			progress("账户库尚无审计表 no audit table in " + path)
		case err != nil:
			return nil, err
		default:
			st.Accounts = acc
			st.onClose(acc.Close)
		}
	}
	if !ro {
		if err := st.startChains(ctx, o.Logger); err != nil {
			return nil, err
		}
	}
	if path := st.Dir.Agents(); !ro || exists(path) || exists(path+".log") {
		if st.Agents, err = openAgents(st.Dir, registry.Options{ReadOnly: ro, Clock: o.Clock, Logger: o.Logger}); err != nil {
			return nil, err
		}
		st.onClose(st.Agents.Close)
	}
	if path := st.Dir.Rollups(); !ro || exists(path) {
		if err := st.openRollups(ctx, ro); err != nil {
			return nil, err
		}
	}
	if !o.NoTSDB {
		if err := st.openMetrics(cfg, o.Mode, progress); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// useExternal makes inspections.prometheus_url the query source when set.
func (st *Stores) useExternal(cfg *Config, progress func(string)) (bool, error) {
	u := cfg.Inspections.PrometheusURL
	if u == "" {
		return false, nil
	}
	q, err := store.NewHTTPQuerier(u, nil)
	if err != nil {
		return false, fmt.Errorf("inspections.prometheus_url: %w", err)
	}
	st.Metrics, st.metricsTSDB = q, false
	progress("指标查询 metrics from " + u)
	return true, nil
}

// useTSDB makes the TSDB opened here the query source.
func (st *Stores) useTSDB(db *store.Store) {
	st.TSDB, st.Metrics, st.metricsTSDB = db, db.PromQL(), true
}

// openMetrics picks the query source (see Stores.Metrics).
func (st *Stores) openMetrics(cfg *Config, mode Mode, progress func(string)) error {
	if ext, err := st.useExternal(cfg, progress); ext || err != nil {
		return err
	}
	if st.Holder != nil {
		if st.Holder.Listen == "" {
			return fmt.Errorf("the collector holding %s records no listen address; pass --url", st.Dir.Root)
		}
		u := "http://" + LoopbackAddr(st.Holder.Listen)
		q, err := store.NewHTTPQuerier(u, nil)
		if err != nil {
			return err
		}
		st.Metrics = q
		progress(fmt.Sprintf("数据目录被运行中的采集器占用，改用其查询接口 %s is held by %s; querying %s", st.Dir.Root, st.Holder, u))
		return nil
	}
	dir := st.Dir.TSDB()
	if mode == ReadOnly && !exists(dir) {
		progress("没有时序库，可用率与资产信息缺失 no TSDB at " + dir)
		return nil
	}
	db, err := store.Open(store.Options{Dir: dir, Retention: cfg.Storage.Retention.Std(), OutOfOrderWindow: cfg.Storage.OutOfOrderWindow.Std()})
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	st.onClose(db.Close)
	st.useTSDB(db)
	progress("指标 metrics from " + dir)
	return nil
}

// ReportSources are the report package's view of the stores.
func (st *Stores) ReportSources(cfg *Config, templates []*inspect.Template) report.Sources {
	src := report.Sources{Inventory: &cfg.Inventory, Metrics: st.Metrics, Templates: templates}
	if st.metricsTSDB {
		src.Series = st.TSDB
	}
	if st.Tickets != nil {
		src.Tickets, src.History, src.Complaints = st.Tickets.svc, st.Tickets.db, st.Tickets.svc
	}
	if st.Inspections != nil {
		src.Inspections = st.Inspections
	}
	if st.Agents != nil {
		src.Agents = st.Agents
	}
	if st.Rollups != nil {
		src.Rollups = st.Rollups
	}
	if st.Silences != nil {
		src.Silences = st.Silences.store
	}
	src.Anchors = st.anchors // chains.go
	return src
}

// openRollups opens the daily roll-ups (read-only: an existing file only).
func (st *Stores) openRollups(ctx context.Context, ro bool) error {
	open := rollup.Open
	if ro {
		open = rollup.OpenReadOnly
	}
	r, err := open(ctx, st.Dir.Rollups())
	if errors.Is(err, rollup.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("daily roll-ups: %w", err)
	}
	st.Rollups = r
	st.onClose(r.Close)
	return nil
}

// openInspections opens the inspection records; the directory exists (the
// lock is in it).
func openInspections(d DataDir, chain *integrity.Chain) (*inspect.Store, error) {
	recs, err := inspect.OpenStoreWith(d.InspectionsDB(), inspect.StoreOptions{Chain: chain})
	if err != nil {
		return nil, fmt.Errorf("inspections: %w", err)
	}
	return recs, nil
}

func openAgents(d DataDir, o registry.Options) (*registry.Registry, error) {
	o.Path = d.Agents()
	reg, err := registry.Open(o)
	if err != nil {
		return nil, fmt.Errorf("agent registry: %w", err)
	}
	return reg, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TicketService is the ticket service, nil when tickets are off or absent.
func (st *Stores) TicketService() *tickets.Service {
	if st.Tickets == nil {
		return nil
	}
	return st.Tickets.svc
}
