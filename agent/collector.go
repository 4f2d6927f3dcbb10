package agent

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
)

// source is one group of host measurements (cpu, memory, …), like a
// node_exporter collector. update appends the current values to out; it is
// never called again while a previous call is still running.
type source interface {
	update(ctx context.Context, out *sink) error
}

// sourceEnv is what a source may use when it is built.
type sourceEnv struct {
	cfg    *Config
	clock  clockwork.Clock
	logger *slog.Logger
	// root is prepended to /proc and /sys paths (tests point it at a fixture tree).
	root string
}

// sourceSpec names a source and builds it.
type sourceSpec struct {
	name string
	help string
	new  func(env sourceEnv) (source, error)
}

// sourceTable lists every source the agent knows, in exposition order. Each
// lives in a file of its own.
func sourceTable() []sourceSpec {
	return []sourceSpec{
		{"cpu", "CPU time per CPU and mode, CPU count; on Linux also interrupts, context switches, forks", newCPUSource},
		{"loadavg", "1, 5 and 15 minute load averages", newLoadSource},
		{"memory", "memory and swap", newMemorySource},
		{"filesystem", "size, free space, inodes and read-only state of every real filesystem", newFilesystemSource},
		{"diskio", "disk I/O counters per block device", newDiskIOSource},
		{"netdev", "network interface counters, link state, speed and MTU", newNetdevSource},
		{"process", "process count and the configured watch list", newProcessSource},
		{"sensors", "temperatures and fans where the OS exposes them", newSensorsSource},
		{"host", "uptime, boot time and host information for the asset inventory", newHostSource},
	}
}

// SourceNames lists the names accepted in sources.enabled and sources.disabled.
func SourceNames() []string {
	t := sourceTable()
	names := make([]string, len(t))
	for i, s := range t {
		names[i] = s.name
	}
	return names
}

// namedSource is a running source with its in-flight guard.
type namedSource struct {
	name string
	src  source
	busy atomic.Bool
}

// hostCollector runs every source concurrently on each scrape, bounds each by
// the timeout, and reports per-source success and duration.
type hostCollector struct {
	sources  []*namedSource
	timeout  time.Duration
	clock    clockwork.Clock
	logger   *slog.Logger
	success  *prometheus.Desc
	duration *prometheus.Desc
}

func newHostCollector(sources []*namedSource, timeout time.Duration, clock clockwork.Clock, logger *slog.Logger) *hostCollector {
	return &hostCollector{
		sources: sources,
		timeout: timeout,
		clock:   clock,
		logger:  logger,
		success: prometheus.NewDesc("node_scrape_collector_success",
			"roomwatch-agent: whether a source succeeded (1) or failed or timed out (0) in this scrape.", []string{"collector"}, nil),
		duration: prometheus.NewDesc("node_scrape_collector_duration_seconds",
			"roomwatch-agent: how long a source took in this scrape (the timeout when it timed out).", []string{"collector"}, nil),
	}
}

// buildSources makes the enabled sources of cfg from table.
func buildSources(table []sourceSpec, env sourceEnv) ([]*namedSource, error) {
	var out []*namedSource
	for _, spec := range table {
		if !env.cfg.sourceEnabled(spec.name) {
			continue
		}
		src, err := spec.new(env)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", spec.name, err)
		}
		out = append(out, &namedSource{name: spec.name, src: src})
	}
	return out, nil
}

// Describe sends nothing: the collector is unchecked, because which series
// exist depends on the host (disks, interfaces, sensors).
func (c *hostCollector) Describe(chan<- *prometheus.Desc) {}

type sourceResult struct {
	idx int
	out *sink
	err error
	dur time.Duration
}

// Collect implements prometheus.Collector.
func (c *hostCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := make(chan sourceResult, len(c.sources))

	pending := make([]bool, len(c.sources))
	n := 0
	for i, s := range c.sources {
		if !s.busy.CompareAndSwap(false, true) {
			// The previous call is still stuck (a hung NFS statfs, say): do
			// not pile up goroutines behind it.
			c.logger.Warn("source still busy from an earlier scrape; skipped", "source", s.name)
			c.report(ch, s.name, false, 0)
			continue
		}
		pending[i] = true
		n++
		go func() {
			defer s.busy.Store(false)
			start := c.clock.Now()
			out := &sink{}
			err := s.src.update(ctx, out)
			results <- sourceResult{idx: i, out: out, err: err, dur: c.clock.Since(start)}
		}()
	}
	handle := func(r sourceResult) {
		n--
		pending[r.idx] = false
		s := c.sources[r.idx]
		err := r.err
		if err == nil && r.out.err != nil {
			err = r.out.err
		}
		if err != nil {
			c.logger.Warn("source failed", "source", s.name, "err", err)
		}
		for _, m := range r.out.metrics {
			ch <- m
		}
		c.report(ch, s.name, r.err == nil, r.dur)
	}
	// The timer starts once every source has started (tests rely on it).
	timer := c.clock.NewTimer(c.timeout)
	defer timer.Stop()
	for expired := timer.Chan(); n > 0 && expired != nil; {
		select {
		case r := <-results:
			handle(r)
		case <-expired:
			expired = nil
		}
	}
	// Take what finished meanwhile; the rest timed out.
	for drained := false; n > 0 && !drained; {
		select {
		case r := <-results:
			handle(r)
		default:
			drained = true
		}
	}
	for i, p := range pending {
		if p {
			c.logger.Warn("source timed out", "source", c.sources[i].name, "timeout", c.timeout)
			c.report(ch, c.sources[i].name, false, c.timeout)
		}
	}
}

func (c *hostCollector) report(ch chan<- prometheus.Metric, name string, ok bool, d time.Duration) {
	v := 0.0
	if ok {
		v = 1
	}
	ch <- prometheus.MustNewConstMetric(c.success, prometheus.GaugeValue, v, name)
	ch <- prometheus.MustNewConstMetric(c.duration, prometheus.GaugeValue, d.Seconds(), name)
}

// sink collects one source's metrics for one scrape.
type sink struct {
	metrics []prometheus.Metric
	// err is the first metric that could not be built (a bug, or a label value
	// that could not be repaired); it is logged but does not fail the source.
	err error
}

func (s *sink) gauge(d *prometheus.Desc, v float64, labels ...string) {
	s.add(d, prometheus.GaugeValue, v, labels)
}

func (s *sink) counter(d *prometheus.Desc, v float64, labels ...string) {
	s.add(d, prometheus.CounterValue, v, labels)
}

func (s *sink) add(d *prometheus.Desc, t prometheus.ValueType, v float64, labels []string) {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		// Label values come from the host (mount points, interface names) and
		// may not be UTF-8: repair them rather than lose the series.
		for i, l := range labels {
			if !utf8.ValidString(l) {
				labels[i] = strings.ToValidUTF8(l, "\uFFFD")
			}
		}
		m, err = prometheus.NewConstMetric(d, t, v, labels...)
	}
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		return
	}
	s.metrics = append(s.metrics, m)
}

func validLabelValue(s string) bool { return utf8.ValidString(s) }

// desc is shorthand for prometheus.NewDesc without constant labels (those are
// added by the registry wrapper).
func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}
