// Package exposition turns probe results into Prometheus metrics: a Store
// keeps the latest Result of every (target, check) and is both a scheduler
// Sink and a prometheus.Collector for the program's /metrics; WriteText
// renders a set of results as text exposition (roomwatch-collector probe).
//
// Labels. Every series carries the device's identity from the inventory:
// device (the target name: the inventory name, or "<name>/<ip>" for a member
// of a range), class, site, vendor and model (from the inventory, never from
// what a probe detected, so a series does not change identity when a probe
// starts or stops answering). The display name, address, room and parent go
// on roomwatch_device_info only, to be joined in queries: they are long,
// Chinese and edited by people, and would otherwise fork every series.
//
// Errors. The last error message is unbounded text and never a label: it is
// logged and kept in the Store (Latest). The metrics carry
// roomwatch_probe_error_info{reason=...} from a fixed set of reasons
// (probe.Reasons) while the check fails, and roomwatch_probe_failures_total.
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

// Metric names of the per-check series the Store adds to every result.
const (
	MetricUp         = "roomwatch_probe_up"
	MetricDuration   = "roomwatch_probe_duration_seconds"
	MetricLastRun    = "roomwatch_probe_last_run_timestamp_seconds"
	MetricFailures   = "roomwatch_probe_failures_total"
	MetricErrorInfo  = "roomwatch_probe_error_info"
	MetricDeviceInfo = "roomwatch_device_info"
)

// IdentityLabels are the labels every device series carries, in order.
var identityLabels = []string{"device", "class", "site", "vendor", "model"}

// IdentityLabels returns the labels every device series carries.
func IdentityLabels() []string { return append([]string(nil), identityLabels...) }

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
	devices := map[string]bool{}
	for _, e := range entries {
		r := e.r
		id := identity(r)
		if !devices[r.Target.Name] {
			devices[r.Target.Name] = true
			info := map[string]string{}
			for k, v := range id {
				info[k] = v
			}
			if d := r.Target.Device; d != nil {
				info["display_name"], info["address"], info["room"], info["parent"] = d.DisplayName, r.Target.Address, d.Room, d.Parent
			}
			c.add(MetricDeviceInfo, "Inventory facts about a device, to join on device (value 1).", prometheus.GaugeValue, 1, info)
		}
		pl := with(id, "probe", r.Probe)
		up := 1.0
		if r.Err != nil {
			up = 0
		}
		c.add(MetricUp, "Whether the device answered the check (1) or not (0).", prometheus.GaugeValue, up, pl)
		c.add(MetricDuration, "How long the check took.", prometheus.GaugeValue, r.Duration.Seconds(), pl)
		if !r.Start.IsZero() {
			c.add(MetricLastRun, "When the check last ran.", prometheus.GaugeValue, float64(r.Start.UnixNano())/1e9, pl)
		}
		c.add(MetricFailures, "Checks that failed since the collector started.", prometheus.CounterValue, e.failures, pl)
		if r.Err != nil {
			c.add(MetricErrorInfo, "Why the check fails now (reason from a fixed set; the message is in the logs and the API).",
				prometheus.GaugeValue, 1, with(pl, "reason", probe.Reason(r.Err)))
		}
		for _, smp := range r.Samples {
			labels := with(id)
			for k, v := range smp.Labels {
				if _, clash := labels[k]; clash {
					k = "exported_" + k
				}
				labels[k] = v
			}
			name, typ := smp.Name, prometheus.GaugeValue
			switch smp.Type {
			case probe.Counter:
				typ = prometheus.CounterValue
			case probe.Info:
				if !strings.HasSuffix(name, "_info") {
					name += "_info"
				}
			}
			c.add(name, smp.Help, typ, smp.Value, labels)
		}
	}
}

// identity returns the identity labels of a result's target.
func identity(r probe.Result) map[string]string {
	l := map[string]string{"device": r.Target.Name}
	if d := r.Target.Device; d != nil {
		l["class"], l["site"], l["vendor"], l["model"] = string(d.Class), d.Site, d.Vendor, d.Model
	}
	for _, n := range identityLabels {
		if _, ok := l[n]; !ok {
			l[n] = ""
		}
	}
	return l
}

func with(m map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
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

func (c *collection) add(name, help string, typ prometheus.ValueType, v float64, labels map[string]string) {
	if h, ok := c.help[name]; ok {
		help = h
		if c.typ[name] != typ {
			return // a probe reused a name with another type: keep the first
		}
	} else {
		if help == "" {
			help = "Measured by a roomwatch probe."
		}
		c.help[name], c.typ[name] = help, typ
	}
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	values := make([]string, len(names))
	var sig strings.Builder
	sig.WriteString(name)
	for i, n := range names {
		values[i] = labels[n]
		sig.WriteString("\xff" + n + "\xfe" + values[i])
	}
	if c.seen[sig.String()] {
		return
	}
	c.seen[sig.String()] = true
	m, err := prometheus.NewConstMetric(prometheus.NewDesc(name, help, names, nil), typ, v, values...)
	if err != nil {
		m = prometheus.NewInvalidMetric(prometheus.NewDesc(name, help, nil, nil), err)
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
