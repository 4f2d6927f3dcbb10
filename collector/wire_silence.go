package collector

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/buildinfo"
	"github.com/roomwatch/roomwatch/internal/silence"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// windowPass is how often the collector looks for maintenance windows that
// began or ended, to note them on the tickets they cover.
const windowPass = 30 * time.Second

// silences are serve's maintenance windows: its own (silences.db, the
// Alertmanager-compatible API) and those of the Alertmanagers its rules send
// to (rules.alertmanagers, polled).
type silences struct {
	store *silence.Store
	set   *silence.Set
	ext   []*silence.External
	all   silence.Any // set, then each external
	// kick asks the window pass to run now: the console's maintenance
	// page created or ended a window (consoleSet).
	kick chan struct{}
}

// consoleSet is the Set as the console's maintenance page uses it: a window
// created or ended there is noted on the tickets it covers at once (the
// window pass runs now, not at its next tick), so the desk and the wall
// show 维护窗口中 within seconds.
type consoleSet struct {
	*silence.Set
	kick chan struct{}
}

func (c consoleSet) poke() {
	select {
	case c.kick <- struct{}{}:
	default: // a pass is already asked for
	}
}

// Put implements console.Silences.
func (c consoleSet) Put(ctx context.Context, s silence.Silence) (string, error) {
	id, err := c.Set.Put(ctx, s)
	if err == nil {
		c.poke()
	}
	return id, err
}

// Expire implements console.Silences.
func (c consoleSet) Expire(ctx context.Context, id string) error {
	err := c.Set.Expire(ctx, id)
	if err == nil {
		c.poke()
	}
	return err
}

// openSilences opens the data directory's silence database and the pollers
// of the configured Alertmanagers (started by wireSilences).
func openSilences(ctx context.Context, cfg *Config, d DataDir, clk clockwork.Clock, log *slog.Logger) (*silences, error) {
	path := d.SilencesDB()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("silences: %w", err)
	}
	st, err := silence.OpenStore(ctx, path)
	if err != nil {
		return nil, err
	}
	set, err := silence.NewSet(ctx, silence.Options{Store: st, Clock: clk, Logger: log})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	sl := &silences{store: st, set: set, all: silence.Any{set}, kick: make(chan struct{}, 1)}
	for _, u := range cfg.Rules.Alertmanagers {
		e, err := silence.NewExternal(silence.ExternalOptions{URL: u, Clock: clk, Logger: log})
		if err != nil {
			_ = st.Close()
			return nil, err
		}
		sl.ext = append(sl.ext, e)
		sl.all = append(sl.all, e)
	}
	return sl, nil
}

func (sl *silences) close() error { return sl.store.Close() }

// wireSilences mounts the silence API and starts the Alertmanager pollers
// and, with tickets on, the pass that notes windows on open tickets.
func wireSilences(s *Server) error {
	sl := s.stores.Silences
	if sl == nil {
		return nil
	}
	h, err := silence.NewAPI(silence.APIOptions{Set: sl.set, Auth: s.auth, Clock: s.opts.Clock, Logger: s.log,
		Version: buildinfo.Version})
	if err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	for _, p := range silence.Routes {
		s.Handle(p, h)
	}
	if err := s.reg.Register(newSilenceMetrics(sl)); err != nil {
		return fmt.Errorf("silences: metrics: %w", err)
	}
	for _, e := range sl.ext {
		s.Go(e.Run)
	}
	if tp := s.stores.Tickets; tp != nil {
		w := &windowWatch{src: sl.all, svc: tp.svc, set: sl.set, clock: s.opts.Clock, log: s.log, marked: map[string]silence.Silence{},
			kick: sl.kick}
		s.Go(w.run)
	}
	return nil
}

// windowWatch notes on open tickets that a window covering them began
// (进入维护窗口) and, later, that it ended; the ticket service keeps the
// notes to one per window and ticket, across restarts too.
type windowWatch struct {
	src    silence.Source
	svc    *tickets.Service
	set    *silence.Set
	clock  clockwork.Clock
	log    *slog.Logger
	marked map[string]silence.Silence // windows noted as begun
	kick   <-chan struct{}            // run a pass now (consoleSet)
}

func (w *windowWatch) run(ctx context.Context) error {
	tk := w.clock.NewTicker(windowPass)
	defer tk.Stop()
	for {
		w.pass(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tk.Chan():
		case <-w.kick:
		}
	}
}

func window(s silence.Silence) tickets.Window {
	return tickets.Window{ID: s.ID, CreatedBy: s.CreatedBy, Comment: s.Comment, StartsAt: s.StartsAt, EndsAt: s.EndsAt,
		Matches: func(ls map[string]string) bool { return s.Matches(ls, s.StartsAt) }}
}

func (w *windowWatch) pass(ctx context.Context) {
	w.set.Prune()
	active := map[string]bool{}
	for _, s := range w.src.Active() {
		active[s.ID] = true
		ids, err := w.svc.MarkSilenced(ctx, window(s))
		if err != nil {
			w.log.Error("maintenance window: note on tickets", "silence", s.ID, "err", err)
			continue
		}
		if len(ids) > 0 {
			w.log.Info("maintenance window covers open tickets", "silence", s.ID, "tickets", ids)
		}
		w.marked[s.ID] = s
	}
	for id, s := range w.marked {
		if active[id] {
			continue
		}
		if _, err := w.svc.MarkSilenceEnded(ctx, window(s)); err != nil {
			w.log.Error("maintenance window: note its end", "silence", id, "err", err)
			continue
		}
		delete(w.marked, id)
	}
}
