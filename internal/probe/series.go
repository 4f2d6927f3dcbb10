package probe

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/labelset"
)

// Names of the series every check adds to what its probe measured.
const (
	MetricUp        = "roomwatch_probe_up"
	MetricDuration  = "roomwatch_probe_duration_seconds"
	MetricLastRun   = "roomwatch_probe_last_run_timestamp_seconds"
	MetricFailures  = "roomwatch_probe_failures_total"
	MetricErrorInfo = "roomwatch_probe_error_info"
	// MetricDeviceInfo holds the inventory's facts about a device. What the
	// device says it is goes to roomwatch_device_reported_info (SNMP and
	// camera probes), never to a second series of this one.
	MetricDeviceInfo = "roomwatch_device_info"
)

// identityLabels are the inventory labels every device series carries.
var identityLabels = []string{"device", "class", "site", "vendor", "model"}

// IdentityLabels returns the labels every device series carries, in order.
func IdentityLabels() []string { return slices.Clone(identityLabels) }

// Series is one series a check produces: what the TSDB stores and /metrics
// exposes for it.
type Series struct {
	Name   string
	Help   string
	Type   Type
	Labels []labelset.Label // sorted by name, no empty value, no __name__
	Value  float64
	// PerDevice is set on roomwatch_device_info: the same series comes with
	// every check of the device, not only with this one.
	PerDevice bool
	// Source is the index of this series' value in ResultValues of the
	// same result.
	Source int
}

// InvalidSampleError is a sample left out of a result's series because its
// metric or label name is not a valid Prometheus name.
type InvalidSampleError struct {
	Metric string
	Label  string // empty when the metric name is the invalid one
}

func (e *InvalidSampleError) Error() string {
	if e.Label == "" {
		return "invalid metric name " + strconv.Quote(e.Metric)
	}
	return "metric " + e.Metric + ": invalid label name " + strconv.Quote(e.Label)
}

// Reason is the short reason for dropped-sample counters: invalid_name or
// invalid_label.
func (e *InvalidSampleError) Reason() string {
	if e.Label == "" {
		return "invalid_name"
	}
	return "invalid_label"
}

// ResultSeries returns the series of one result: the one definition of what
// a check becomes, used by the TSDB sink (internal/store) and the /metrics
// store (internal/probe/exposition) alike. failures is how many times this
// (target, check) has failed so far.
//
// Every series carries the target's identity labels from the inventory
// (device, class, site, vendor, model), set over the sample's own labels by
// the honor_labels: false rule (labelset.SetTarget: a sample label of the same
// name is kept as exported_<name>). An info sample's name gets _info
// appended if it lacks it. Samples with invalid names are left out and
// returned in invalid; a later sample with the same name and labels as an
// earlier one is left out.
//
// The series: roomwatch_device_info (PerDevice: the inventory's facts about
// the device), roomwatch_probe_up, roomwatch_probe_duration_seconds,
// roomwatch_probe_last_run_timestamp_seconds (when Start is set),
// roomwatch_probe_failures_total, roomwatch_probe_error_info while failing
// (all with probe=<check>), then the probe's samples. A Brief result leaves
// out the duration, last-run and failures series and the samples marked
// Detail (docs/probes.md, "Brief series").
func ResultSeries(r Result, failures float64) (series []Series, invalid []*InvalidSampleError) {
	b := &seriesBuilder{target: identity(r.Target)}
	b.series = make([]Series, 0, 6+len(r.Samples))
	// One array for the labels of every series: the target's and the
	// series' own, and room for one exported_ label each.
	room := 8 + 2*len(b.target) + 2
	for _, smp := range r.Samples {
		room += len(smp.Labels) + len(b.target) + 1
	}
	b.arena = make([]labelset.Label, 0, 6*(len(b.target)+2)+room)

	info := b.labels(8)
	if d := r.Target.Device; d != nil {
		// By name; empty values are left out.
		info = append(info, labelset.Label{Name: "address", Value: r.Target.Address}, labelset.Label{Name: "display_name", Value: d.DisplayName},
			labelset.Label{Name: "location", Value: d.Location}, labelset.Label{Name: "owner", Value: d.Owner},
			labelset.Label{Name: "parent", Value: d.Parent}, labelset.Label{Name: "rack", Value: d.Rack},
			labelset.Label{Name: "room", Value: d.Room}, labelset.Label{Name: "tier", Value: d.Tier})
	}
	b.perDevice = true
	b.add(MetricDeviceInfo, Info, 1, "Inventory facts about a device, to join on device (value 1).", info)
	b.perDevice = false

	up := 1.0
	if r.Err != nil {
		up = 0
	}
	pl := func() []labelset.Label { return append(b.labels(1), labelset.Label{Name: "probe", Value: r.Probe}) }
	b.add(MetricUp, Gauge, up, "Whether the device answered the check (1) or not (0).", pl())
	if r.Brief {
		b.skip(2) // duration, failures
		if !r.Start.IsZero() {
			b.skip(1) // last run
		}
	} else {
		b.add(MetricDuration, Gauge, r.Duration.Seconds(), "How long the check took, in seconds (full series only, probes.series).", pl())
		if !r.Start.IsZero() {
			b.add(MetricLastRun, Gauge, float64(r.Start.UnixNano())/1e9, "When the check last ran, as a Unix time (full series only, probes.series).", pl())
		}
		b.add(MetricFailures, Counter, failures, "Checks that failed since the collector started (full series only, probes.series).", pl())
	}
	if r.Err != nil {
		b.add(MetricErrorInfo, Info, 1, "Why the check fails now (reason from a fixed set; the message is in the logs and the API).",
			append(b.labels(2), labelset.Label{Name: "probe", Value: r.Probe}, labelset.Label{Name: "reason", Value: Reason(r.Err)}))
	}
	for _, smp := range r.Samples {
		if r.Brief && smp.Detail {
			b.skip(1)
			continue
		}
		b.Add(smp.Name, smp.Type, smp.Value, smp.Help, smp.Labels)
	}
	return b.series, b.invalid
}

// ResultValues appends to dst the values ResultSeries gives r's series, by
// Series.Source: a caller that built the series of a result of the same
// shape (SameShape) takes this one's values without building them again.
// It must follow ResultSeries' order of Add calls; the series a Brief result
// leaves out keep their place (ResultSeries skips their Source).
func ResultValues(dst []float64, r Result, failures float64) []float64 {
	up := 1.0
	if r.Err != nil {
		up = 0
	}
	dst = append(dst, 1, up, r.Duration.Seconds())
	if !r.Start.IsZero() {
		dst = append(dst, float64(r.Start.UnixNano())/1e9)
	}
	dst = append(dst, failures)
	if r.Err != nil {
		dst = append(dst, 1)
	}
	for _, smp := range r.Samples {
		dst = append(dst, smp.Value)
	}
	return dst
}

// SameShape reports whether ResultSeries gives a and b the same series
// (names, types, help and labels) in the same order, whatever their values:
// the same target and check, both failing for the same reason or neither,
// both with a start time or neither, and samples alike but for their values.
func SameShape(a, b Result) bool {
	if a.Target.Name != b.Target.Name || a.Target.Address != b.Target.Address || a.Target.Device != b.Target.Device ||
		a.Probe != b.Probe || a.Start.IsZero() != b.Start.IsZero() || (a.Err == nil) != (b.Err == nil) ||
		a.Brief != b.Brief || len(a.Samples) != len(b.Samples) {
		return false
	}
	if a.Err != nil && Reason(a.Err) != Reason(b.Err) {
		return false
	}
	for i := range a.Samples {
		x, y := &a.Samples[i], &b.Samples[i]
		if x.Name != y.Name || x.Type != y.Type || x.Help != y.Help || x.Detail != y.Detail || !maps.Equal(x.Labels, y.Labels) {
			return false
		}
	}
	return true
}

// identity returns the identity labels of a target, as target labels.
func identity(t inventory.Target) []labelset.Label {
	out := []labelset.Label{{Name: "device", Value: t.Name}}
	if d := t.Device; d != nil {
		out = append(out, labelset.Label{Name: "class", Value: string(d.Class)}, labelset.Label{Name: "site", Value: d.Site},
			labelset.Label{Name: "vendor", Value: d.Vendor}, labelset.Label{Name: "model", Value: d.Model})
	}
	return out
}

type seriesBuilder struct {
	target  []labelset.Label
	series  []Series
	n       int              // series added (or left out) so far: the next one's Source
	arena   []labelset.Label // the series' labels (seriesBuilder.labels)
	invalid []*InvalidSampleError
	// seen holds the signatures of series once there are linearDedup of
	// them; below that, dup compares with each.
	seen map[string]bool
	sig  []byte // scratch for seen's keys
	// perDevice marks the series added next as PerDevice.
	perDevice bool
}

// skip leaves out the next n series of ResultValues' order.
func (b *seriesBuilder) skip(n int) { b.n += n }

// labels returns an empty label slice with room for n labels, the target's
// and an exported_ one, from the arena.
func (b *seriesBuilder) labels(n int) []labelset.Label {
	n += len(b.target) + 1
	if cap(b.arena)-len(b.arena) < n {
		b.arena = make([]labelset.Label, 0, max(n, 64))
	}
	ls := b.arena[len(b.arena) : len(b.arena) : len(b.arena)+n]
	b.arena = b.arena[:len(b.arena)+n]
	return ls
}

// Add adds one series of a sample: its labels with the target's set over them.
func (b *seriesBuilder) Add(name string, typ Type, value float64, help string, labels map[string]string) {
	ls := b.labels(len(labels))
	for k, v := range labels {
		if k == model.MetricNameLabel || !model.LegacyValidation.IsValidLabelName(k) {
			b.n++ // the sample's place in ResultValues
			if typ == Info && !strings.HasSuffix(name, "_info") {
				name += "_info"
			}
			if !model.LegacyValidation.IsValidMetricName(name) {
				b.invalid = append(b.invalid, &InvalidSampleError{Metric: name})
				return
			}
			b.invalid = append(b.invalid, &InvalidSampleError{Metric: name, Label: k})
			return
		}
		ls = append(ls, labelset.Label{Name: k, Value: v})
	}
	b.add(name, typ, value, help, ls)
}

// add adds one series: exposed (valid names, from b.labels) with the
// target's labels set over them; empty values are left out.
func (b *seriesBuilder) add(name string, typ Type, value float64, help string, exposed []labelset.Label) {
	src := b.n
	b.n++
	if typ == Info && !strings.HasSuffix(name, "_info") {
		name += "_info"
	}
	if !model.LegacyValidation.IsValidMetricName(name) {
		b.invalid = append(b.invalid, &InvalidSampleError{Metric: name})
		return
	}
	exposed = slices.DeleteFunc(exposed, func(l labelset.Label) bool { return l.Value == "" })
	ls := labelset.SetTarget(exposed, b.target)
	ls = slices.DeleteFunc(ls, func(l labelset.Label) bool { return l.Value == "" })
	slices.SortFunc(ls, func(a, c labelset.Label) int { return strings.Compare(a.Name, c.Name) })
	if b.dup(name, ls) {
		return
	}
	b.series = append(b.series, Series{Name: name, Help: help, Type: typ, Labels: ls, Value: value, PerDevice: b.perDevice, Source: src})
}

// linearDedup is how many series a result may have before dup keeps a map:
// most results (a ping, an HTTP check) have about ten, and comparing with
// each costs less than a map and a string per series (for a 10,000-camera
// fleet, a quarter of the probe command's CPU).
const linearDedup = 32

// dup reports whether a series of that name and labels was added already,
// and remembers it otherwise.
func (b *seriesBuilder) dup(name string, ls []labelset.Label) bool {
	if b.seen == nil {
		for i := range b.series {
			if b.series[i].Name == name && slices.Equal(b.series[i].Labels, ls) {
				return true
			}
		}
		if len(b.series) < linearDedup {
			return false
		}
		b.seen = make(map[string]bool, 2*len(b.series))
		for _, sr := range b.series {
			b.seen[string(b.signature(sr.Name, sr.Labels))] = true
		}
	}
	sig := b.signature(name, ls)
	if b.seen[string(sig)] {
		return true
	}
	b.seen[string(sig)] = true
	return false
}

// signature writes name and labels into the reused buffer b.sig: looking it
// up in seen allocates nothing, only a new one is copied into the map.
func (b *seriesBuilder) signature(name string, ls []labelset.Label) []byte {
	sig := append(b.sig[:0], name...)
	for _, l := range ls {
		sig = append(sig, '\xff')
		sig = append(sig, l.Name...)
		sig = append(sig, '\xfe')
		sig = append(sig, l.Value...)
	}
	b.sig = sig
	return sig
}
