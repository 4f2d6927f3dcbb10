// Package exposition turns probe results into Prometheus metrics: a Store
// keeps the latest Result of every (target, check) and is both a scheduler
// Sink and a prometheus.Collector for the program's /metrics; WriteText
// renders a set of results as text exposition (roomwatch-collector probe).
//
// The series are probe.ResultSeries, the same the TSDB sink stores: labels,
// device info and the error decision are documented there and in
// docs/probes.md. Only the latest result of a check is exposed, so the
// samples of a check's last success disappear when it fails, as they go stale
// in the TSDB.
//
// The last error message is unbounded text and never a label: it is logged
// and kept in the Store (Latest).
package exposition

import (
	"context"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/roomwatch/roomwatch/internal/probe"
)

type key struct{ target, probe string }

type entry struct {
	r        probe.Result
	failures float64
}

// Store keeps the latest result of every target and check. It is safe for
// concurrent use.
type Store struct {
	mu     sync.RWMutex
	latest map[key]*entry
}

// NewStore returns an empty Store.
func NewStore() *Store { return &Store{latest: map[key]*entry{}} }

// Write implements the scheduler's Sink.
func (s *Store) Write(_ context.Context, rs []probe.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		k := key{r.Target.Name, r.Probe}
		e := s.latest[k]
		if e == nil {
			e = &entry{}
			s.latest[k] = e
		}
		e.r = r
		if r.Err != nil {
			e.failures++
		}
	}
	return nil
}

// Latest returns the latest result of every target and check, sorted by
// target then check; Err holds the last error message.
func (s *Store) Latest() []probe.Result {
	s.mu.RLock()
	out := make([]probe.Result, 0, len(s.latest))
	for _, e := range s.latest {
		out = append(out, e.r)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Target.Name != out[j].Target.Name {
			return out[i].Target.Name < out[j].Target.Name
		}
		return out[i].Probe < out[j].Probe
	})
	return out
}

// Describe implements prometheus.Collector; the Store is an unchecked collector.
func (s *Store) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (s *Store) Collect(ch chan<- prometheus.Metric) {
	s.mu.RLock()
	entries := make([]entry, 0, len(s.latest))
	for _, e := range s.latest {
		entries = append(entries, *e)
	}
	s.mu.RUnlock()
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i].r, entries[j].r
		if a.Target.Name != b.Target.Name {
			return a.Target.Name < b.Target.Name
		}
		return a.Probe < b.Probe
	})
	c := newCollection(ch)
	for _, e := range entries {
		series, _ := probe.ResultSeries(e.r, e.failures) // invalid samples: counted and logged by the TSDB sink
		for _, sr := range series {
			typ := prometheus.GaugeValue
			if sr.Type == probe.Counter {
				typ = prometheus.CounterValue
			}
			c.add(sr, typ)
		}
	}
}

// collection emits const metrics, keeping one help text per name and
// dropping exact duplicate series (two checks reporting one clock offset).
type collection struct {
	ch   chan<- prometheus.Metric
	help map[string]string
	typ  map[string]prometheus.ValueType
	seen map[string]bool
}

func newCollection(ch chan<- prometheus.Metric) *collection {
	return &collection{ch: ch, help: map[string]string{}, typ: map[string]prometheus.ValueType{}, seen: map[string]bool{}}
}

func (c *collection) add(sr probe.Series, typ prometheus.ValueType) {
	help := sr.Help
	if h, ok := c.help[sr.Name]; ok {
		help = h
		if c.typ[sr.Name] != typ {
			return // a probe reused a name with another type: keep the first
		}
	} else {
		if help == "" {
			help = "Measured by a roomwatch probe."
		}
		c.help[sr.Name], c.typ[sr.Name] = help, typ
	}
	names := make([]string, len(sr.Labels))
	values := make([]string, len(sr.Labels))
	var sig strings.Builder
	sig.WriteString(sr.Name)
	for i, l := range sr.Labels {
		names[i], values[i] = l.Name, l.Value
		sig.WriteString("\xff" + l.Name + "\xfe" + l.Value)
	}
	if c.seen[sig.String()] {
		return // roomwatch_device_info of a device's next check, or two checks reporting one clock offset
	}
	c.seen[sig.String()] = true
	m, err := prometheus.NewConstMetric(prometheus.NewDesc(sr.Name, help, names, nil), typ, sr.Value, values...)
	if err != nil {
		m = prometheus.NewInvalidMetric(prometheus.NewDesc(sr.Name, help, nil, nil), err)
	}
	c.ch <- m
}

// WriteText writes results as Prometheus text exposition, sorted by metric
// and labels.
func WriteText(w io.Writer, results []probe.Result) error {
	s := NewStore()
	if err := s.Write(context.Background(), results); err != nil {
		return err
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(s); err != nil {
		return err
	}
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}
