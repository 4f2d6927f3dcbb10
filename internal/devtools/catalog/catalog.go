package catalog

import (
	"fmt"
	"sort"
	"strings"
)

// Source groups say which part of roomwatch produces a metric.
const (
	SourceAgent     = "agent"
	SourceProbe     = "probe"
	SourceSNMP      = "snmp-profile"
	SourceRegistry  = "registry"
	SourceCollector = "collector"
	SourceRules     = "rules"
)

// sourceOrder is the order of the groups in the documentation.
var sourceOrder = []string{SourceAgent, SourceProbe, SourceSNMP, SourceRegistry, SourceCollector, SourceRules}

// Entry is one metric family.
type Entry struct {
	Name string
	// Type is gauge, counter, histogram, summary or info (a gauge of value 1
	// whose name ends in _info). Where the code fixes the type only when a
	// value is emitted (const metrics), it is inferred from the name: counter
	// for *_total, gauge otherwise.
	Type string
	Help string
	// Unit is the base unit read from the name's suffix (seconds, bytes,
	// celsius, ratio…), empty when the name has none.
	Unit string
	// Labels are the label names the series carry, sorted.
	Labels []string
	// Source is the producing group (SourceAgent, …).
	Source string
	// Origins say where the name was found: a file, a profile, a package.
	Origins []string
}

// Catalog is a set of entries keyed by name.
type Catalog struct {
	byName map[string]*Entry
}

// New returns an empty catalogue.
func New() *Catalog { return &Catalog{byName: map[string]*Entry{}} }

// Add merges e into the catalogue. A name seen before keeps its first source
// and type; a missing help is filled, labels and origins are united.
func (c *Catalog) Add(e Entry) {
	if e.Unit == "" {
		e.Unit = UnitOf(e.Name)
	}
	old, ok := c.byName[e.Name]
	if !ok {
		n := e
		n.Labels = uniq(e.Labels)
		n.Origins = uniq(e.Origins)
		c.byName[e.Name] = &n
		return
	}
	if old.Help == "" {
		old.Help = e.Help
	}
	if old.Type == "" {
		old.Type = e.Type
	}
	old.Labels = uniq(append(old.Labels, e.Labels...))
	old.Origins = uniq(append(old.Origins, e.Origins...))
}

// Has reports whether name is in the catalogue.
func (c *Catalog) Has(name string) bool { _, ok := c.byName[name]; return ok }

// Get returns the entry of name.
func (c *Catalog) Get(name string) (Entry, bool) {
	e, ok := c.byName[name]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

// Rename moves an entry to a new name (tests use it to prove the checks fail).
func (c *Catalog) Rename(from, to string) error {
	e, ok := c.byName[from]
	if !ok {
		return fmt.Errorf("catalog: no metric %s", from)
	}
	delete(c.byName, from)
	e.Name = to
	c.byName[to] = e
	return nil
}

// Entries returns every entry sorted by source group, then name.
func (c *Catalog) Entries() []Entry {
	rank := map[string]int{}
	for i, s := range sourceOrder {
		rank[s] = i
	}
	out := make([]Entry, 0, len(c.byName))
	for _, e := range c.byName {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if rank[out[i].Source] != rank[out[j].Source] {
			return rank[out[i].Source] < rank[out[j].Source]
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Len is the number of entries.
func (c *Catalog) Len() int { return len(c.byName) }

var unitSuffixes = []struct{ suffix, unit string }{
	{"_bits_per_second", "bits/s"},
	{"_seconds", "seconds"},
	{"_bytes", "bytes"},
	{"_celsius", "celsius"},
	{"_ratio", "ratio"},
	{"_volts", "volts"},
	{"_hertz", "hertz"},
	{"_rpm", "rpm"},
	{"_records", "records"},
	{"_samples", "samples"},
	{"_points", "points"},
}

// UnitOf returns the base unit a metric name's suffix states, ignoring a
// trailing _total; "" when it states none.
func UnitOf(name string) string {
	n := strings.TrimSuffix(name, "_total")
	for _, u := range unitSuffixes {
		if strings.HasSuffix(n, u.suffix) {
			return u.unit
		}
	}
	return ""
}

// inferType is the type of a name whose type the code sets at emission.
func inferType(name string) string {
	switch {
	case strings.HasSuffix(name, "_total"):
		return "counter"
	case strings.HasSuffix(name, "_info"):
		return "info"
	}
	return "gauge"
}

func uniq(ss []string) []string {
	m := map[string]bool{}
	var out []string
	for _, s := range ss {
		if s != "" && !m[s] {
			m[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
