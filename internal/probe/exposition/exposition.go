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
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

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
		e.r.Samples = ownSamples(r)
		if r.Err != nil {
			e.failures++
		}
	}
	return nil
}

// ownSamples returns a copy of r's samples, without those a Brief result
// never shows. A batch prober's results share one array per sweep
// (icmp.ProbeAll: 10,000 cameras × 5 samples, 3.6 MB), which the Store would
// otherwise keep whole until the next sweep. The copy is new on every Write,
// never reused: entries hands out the results it holds without a lock.
func ownSamples(r probe.Result) []probe.Sample {
	n := 0
	for _, smp := range r.Samples {
		if !r.Brief || !smp.Detail {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]probe.Sample, 0, n)
	for _, smp := range r.Samples {
		if !r.Brief || !smp.Detail {
			out = append(out, smp)
		}
	}
	return out
}

// Latest returns the latest result of every target and check, sorted by
// target then check; Err holds the last error message.
func (s *Store) Latest() []probe.Result {
	es := s.entries()
	out := make([]probe.Result, len(es))
	for i, e := range es {
		out[i] = e.r
	}
	return out
}

// entries is a snapshot of the Store, sorted by target then check.
func (s *Store) entries() []entry {
	s.mu.RLock()
	out := make([]entry, 0, len(s.latest))
	for _, e := range s.latest {
		out = append(out, *e)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].r, out[j].r
		if a.Target.Name != b.Target.Name {
			return a.Target.Name < b.Target.Name
		}
		return a.Probe < b.Probe
	})
	return out
}

// Describe implements prometheus.Collector; the Store is an unchecked collector.
func (s *Store) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (s *Store) Collect(ch chan<- prometheus.Metric) {
	c := newCollection(ch)
	for _, e := range s.entries() {
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
// and labels, exactly as a registry's Gather and expfmt's text encoder
// would write the Store's metrics (the golden test holds the two equal).
// It writes the series directly: going through const metrics and a registry
// cost the probe command of a 10,000-camera fleet 70 % of its CPU and most
// of its memory (docs/benchmarks.md).
func WriteText(w io.Writer, results []probe.Result) error {
	es := entriesOf(results)
	return newLayout(es).write(w, es)
}

// entriesOf is the entries a Store holds after writing results: the latest
// result of each target and check with its failures, sorted.
func entriesOf(results []probe.Result) []entry {
	s := NewStore()
	_ = s.Write(context.Background(), results) // never fails
	return s.entries()
}

// layout is the text exposition of a set of entries without the values:
// the families in output order, each with its rows sorted, each row naming
// the entry and the Series.Source its value comes from.
type layout struct {
	names []string
	fams  map[string]*family
}

type family struct {
	help string
	typ  probe.Type
	rows []line
	seen map[string]bool // labels written, to drop duplicates
}

type line struct {
	name, labels string
	values       []string // label values in label-name order, for sorting
	entry        int32    // index of the entry
	source       int32    // Series.Source: where the value is in the entry's ResultValues
}

// newLayout builds the layout of es: their series (probe.ResultSeries), one
// help text and type per name, exact duplicates dropped, rows sorted as
// client_golang's Gather sorts them.
func newLayout(es []entry) *layout {
	l := &layout{fams: map[string]*family{}}
	// Scratch and arenas: one allocation per series (its labels' text)
	// instead of a handful; 10,000 cameras are 100,000 series.
	var buf []byte
	var vals []string
	for ei, e := range es {
		series, _ := probe.ResultSeries(e.r, e.failures)
		for _, sr := range series {
			typ := sr.Type
			if typ != probe.Counter {
				typ = probe.Gauge
			}
			f := l.fams[sr.Name]
			if f == nil {
				help := sr.Help
				if help == "" {
					help = "Measured by a roomwatch probe."
				}
				// Most names come once per check (sized for that: growing
				// these maps was a tenth of the time).
				f = &family{help: help, typ: typ, seen: make(map[string]bool, len(es)), rows: make([]line, 0, len(es))}
				l.fams[sr.Name] = f
			} else if f.typ != typ {
				continue // a probe reused a name with another type: keep the first
			}
			buf = buf[:0]
			for i, lb := range sr.Labels {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, lb.Name...)
				buf = append(buf, `="`...)
				buf = appendEscapedLabel(buf, lb.Value)
				buf = append(buf, '"')
			}
			if f.seen[string(buf)] {
				continue // roomwatch_device_info of a device's next check, or two checks reporting one clock offset
			}
			labels := string(buf)
			f.seen[labels] = true
			if cap(vals)-len(vals) < len(sr.Labels) {
				vals = make([]string, 0, max(1024, len(sr.Labels)))
			}
			from := len(vals)
			for _, lb := range sr.Labels {
				vals = append(vals, lb.Value)
			}
			f.rows = append(f.rows, line{sr.Name, labels, vals[from:len(vals):len(vals)], int32(ei), int32(sr.Source)})
		}
	}
	for n, f := range l.fams {
		l.names = append(l.names, n)
		f.seen = nil // only newLayout needs it
		// The order client_golang's Gather gives: fewer labels first, then
		// label values in label-name order.
		sort.Slice(f.rows, func(i, j int) bool {
			a, b := f.rows[i].values, f.rows[j].values
			if len(a) != len(b) {
				return len(a) < len(b)
			}
			return slices.Compare(a, b) < 0
		})
	}
	sort.Strings(l.names)
	return l
}

// write writes the layout with the values of es, which have the shape of
// the entries it was built from (probe.SameShape, one for one).
func (l *layout) write(w io.Writer, es []entry) error {
	// Every entry's values in one array, by entry then Source.
	offs := make([]int, len(es)+1)
	var vals []float64
	for i, e := range es {
		offs[i] = len(vals)
		vals = probe.ResultValues(vals, e.r, e.failures)
	}
	offs[len(es)] = len(vals)
	bw := bufio.NewWriterSize(w, 64<<10)
	var num []byte
	for _, n := range l.names {
		f := l.fams[n]
		typ := "gauge"
		if f.typ == probe.Counter {
			typ = "counter"
		}
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", n, escapeHelp(f.help), n, typ)
		for _, ln := range f.rows {
			bw.WriteString(ln.name)
			if ln.labels != "" {
				bw.WriteByte('{')
				bw.WriteString(ln.labels)
				bw.WriteByte('}')
			}
			bw.WriteByte(' ')
			num = appendValue(num[:0], vals[offs[ln.entry]+int(ln.source)])
			bw.Write(num)
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeHelp(v string) string { return helpEscaper.Replace(v) }

// appendEscapedLabel appends a label value escaped as the text format does.
func appendEscapedLabel(b []byte, v string) []byte {
	if !strings.ContainsAny(v, "\\\n\"") {
		return append(b, v...)
	}
	return append(b, labelEscaper.Replace(v)...)
}

// appendValue appends a sample value as the text format writes it.
func appendValue(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, +1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
