package silence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
)

// ExternalOptions configure an External.
type ExternalOptions struct {
	// URL is the Alertmanager's base address, http(s)://host:port.
	URL string
	// Interval between polls; default 30s.
	Interval time.Duration
	// MaxStale is how long the silences of the last good poll are still
	// honoured while the Alertmanager does not answer; default 10m. After
	// that none are: a lost Alertmanager must not hide faults for ever.
	MaxStale time.Duration
	Client   *http.Client // default: 10s timeout
	Clock    clockwork.Clock
	Logger   *slog.Logger
}

// External honours the silences of an external Alertmanager the
// collector's rules also send to: the ticket pipeline gets those alerts
// straight from the rules, so without this an Alertmanager silence would
// not stop a ticket. It polls GET /api/v2/silences.
type External struct {
	o    ExternalOptions
	snap atomic.Pointer[externalSnap]
}

type externalSnap struct {
	at       time.Time // of the poll
	silences []*Silence
}

// NewExternal checks the options.
func NewExternal(o ExternalOptions) (*External, error) {
	u, err := url.Parse(strings.TrimRight(o.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("silence: alertmanager url %q: want http(s)://host:port", o.URL)
	}
	o.URL = u.String()
	if o.Interval <= 0 {
		o.Interval = 30 * time.Second
	}
	if o.MaxStale <= 0 {
		o.MaxStale = 10 * time.Minute
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	e := &External{o: o}
	e.snap.Store(&externalSnap{})
	return e, nil
}

// URL is the Alertmanager polled.
func (e *External) URL() string { return e.o.URL }

// Run polls every Interval until ctx ends.
func (e *External) Run(ctx context.Context) error {
	tk := e.o.Clock.NewTicker(e.o.Interval)
	defer tk.Stop()
	failing := false
	for {
		err := e.Poll(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			e.o.Logger.Warn("alertmanager silences: poll failed; the last ones are honoured for a while",
				"alertmanager", e.o.URL, "max_stale", e.o.MaxStale, "err", err)
			failing = true
		case err == nil && failing:
			e.o.Logger.Info("alertmanager silences: polling again", "alertmanager", e.o.URL)
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tk.Chan():
		}
	}
}

// ErrExternal marks an Alertmanager answer that is not a silence list.
var ErrExternal = errors.New("alertmanager silences")

// Poll reads the Alertmanager's silences once.
func (e *External) Poll(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.o.URL+"/api/v2/silences", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := e.o.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s: %s", ErrExternal, resp.Status, strings.TrimSpace(string(b)))
	}
	var in []APISilence
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("%w: %w", ErrExternal, err)
	}
	now := e.o.Clock.Now()
	out := make([]*Silence, 0, len(in))
	for i := range in {
		s, err := FromAPI(&in[i])
		if err != nil {
			e.o.Logger.Warn("alertmanager silences: skipping one", "alertmanager", e.o.URL, "id", in[i].ID, "err", err)
			continue
		}
		s.Source = e.o.URL
		if s.StateAt(now) != StateExpired {
			out = append(out, &s)
		}
	}
	e.snap.Store(&externalSnap{at: now, silences: out})
	return nil
}

// live returns the silences of the last poll, none once it is too old.
func (e *External) live(at time.Time) []*Silence {
	sn := e.snap.Load()
	if sn.at.IsZero() || at.Sub(sn.at) > e.o.MaxStale+e.o.Interval {
		return nil
	}
	return sn.silences
}

// Silenced implements the ticket pipeline's Silencer.
func (e *External) Silenced(ls map[string]string, at time.Time) (string, bool) {
	for _, s := range e.live(at) {
		if s.Matches(ls, at) {
			return s.ID, true
		}
	}
	return "", false
}

// LastPoll is when the last good poll was (zero: none yet).
func (e *External) LastPoll() time.Time { return e.snap.Load().at }

// Active returns copies of the silences active now.
func (e *External) Active() []Silence {
	now := e.o.Clock.Now()
	var out []Silence
	for _, s := range e.live(now) {
		if s.StateAt(now) == StateActive {
			out = append(out, *s)
		}
	}
	return out
}
