package snmp

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
)

// Profile says what to read from one kind of device and how to name it. It is
// decoded from one YAML file of rules/profiles/ (see docs/profiles.md).
type Profile struct {
	// Name identifies the profile; inventory devices may name it in `profile:`.
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Vendor is reported as the device's vendor when this profile matched.
	Vendor string `yaml:"vendor"`
	// Model names a scalar whose text is the device model (e.g. upsBasicIdentModel.0).
	Model string `yaml:"model"`
	// Match says which devices the profile applies to when the inventory names none.
	Match Match `yaml:"match"`
	// Include names further profiles applied together with this one.
	Include []string `yaml:"include"`
	// Scalars are single OIDs (with their instance, usually .0) fetched with GET.
	Scalars []Metric `yaml:"scalars"`
	// Tables are sets of columns sharing an index, fetched with GETBULK walks.
	Tables []Table `yaml:"tables"`
	// Info metrics have value 1 and carry text read from scalars as labels.
	Info []Info `yaml:"info"`

	file string
	re   *regexp.Regexp
}

// Match selects devices by sysObjectID prefix or sysDescr pattern.
type Match struct {
	// Always applies the profile to every SNMP device (system group, IF-MIB).
	Always bool `yaml:"always"`
	// SysObjectID lists OID prefixes; the longest matching prefix of all
	// profiles wins.
	SysObjectID []string `yaml:"sys_object_id"`
	// SysDescr is a regular expression tried when no sysObjectID prefix matched.
	SysDescr string `yaml:"sys_descr"`
}

// Metric maps one OID (a scalar instance, or a table column) to a sample.
type Metric struct {
	OID string `yaml:"oid"`
	// Fallback is read when OID has no value (e.g. ifInOctets for ifHCInOctets
	// on SNMPv1 or on agents without ifXTable). In tables it applies per row:
	// the fallback column is walked when the primary returned no row at all,
	// else read (GET) only for the rows that lack the primary.
	Fallback string `yaml:"fallback"`
	// FallbackScale replaces Scale when the fallback was read (ifSpeed in
	// bit/s standing in for ifHighSpeed in Mbit/s); 0 means Scale.
	FallbackScale float64 `yaml:"fallback_scale"`
	Name          string  `yaml:"name"`
	Help          string  `yaml:"help"`
	// Type is gauge (default) or counter (the name must end in _total).
	Type string `yaml:"type"`
	// Scale multiplies the value last (0.1 for tenths, 60 for minutes → seconds).
	Scale float64 `yaml:"scale"`
	// Parse "number" takes the first number out of text such as "15 PERCENT".
	Parse string `yaml:"parse"`
	// Map turns raw values (integers, text or OIDs, written as strings) into
	// documented numbers. Raw values not in the map are dropped unless Default is set.
	Map     map[string]float64 `yaml:"map"`
	Default *float64           `yaml:"default"`
	// Ignore lists raw placeholder values meaning "not available" (9999, -1…).
	Ignore []float64 `yaml:"ignore"`
	// Min and Max bound valid raw values; others are dropped.
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
	// DivideBy divides by another OID (same row in a table): level/capacity.
	DivideBy string `yaml:"divide_by"`
	// TotalWith divides by the sum with another OID: used/(used+free).
	TotalWith string `yaml:"total_with"`
	// Complement reports 1 − value (free/total → used ratio).
	Complement bool `yaml:"complement"`
	// Labels are fixed labels added to the sample (e.g. sensor: return_air).
	Labels map[string]string `yaml:"labels"`

	line int
}

// UnmarshalYAML records the metric's line for validation messages.
func (m *Metric) UnmarshalYAML(node *yaml.Node) error {
	type plain Metric
	if err := node.Decode((*plain)(m)); err != nil {
		return err
	}
	m.line = node.Line
	return nil
}

// Table is a set of columns sharing one index (columns of IF-MIB's ifTable
// and ifXTable together, for instance).
type Table struct {
	Name string `yaml:"name"`
	// IndexLabel, when set, puts the row index in a label of that name.
	IndexLabel string `yaml:"index_label"`
	// Labels are looked up from other columns of the same row.
	Labels []Label `yaml:"labels"`
	// Filter keeps only rows whose columns satisfy every condition.
	Filter  []Filter `yaml:"filter"`
	Metrics []Metric `yaml:"metrics"`

	line int
}

// UnmarshalYAML records the table's line for validation messages.
func (t *Table) UnmarshalYAML(node *yaml.Node) error {
	type plain Table
	if err := node.Decode((*plain)(t)); err != nil {
		return err
	}
	t.line = node.Line
	return nil
}

// Label is a label read from a column (in a table) or a scalar (in Info).
type Label struct {
	Name string `yaml:"name"`
	OID  string `yaml:"oid"`
	// Map rewrites raw values (e.g. a Liebert sensor-identity OID → "return_air").
	Map map[string]string `yaml:"map"`

	line int
}

// UnmarshalYAML records the label's line for validation messages.
func (l *Label) UnmarshalYAML(node *yaml.Node) error {
	type plain Label
	if err := node.Decode((*plain)(l)); err != nil {
		return err
	}
	l.line = node.Line
	return nil
}

// Filter keeps rows whose column value is among Equals, or not among NotEquals.
type Filter struct {
	OID       string   `yaml:"oid"`
	Equals    []string `yaml:"equals"`
	NotEquals []string `yaml:"not_equals"`
}

// Info is a metric of value 1 whose labels are text read from scalars.
type Info struct {
	Name   string  `yaml:"name"`
	Help   string  `yaml:"help"`
	Labels []Label `yaml:"labels"`
}

// Metric types a profile may use.
const (
	typeGauge   = "gauge"
	typeCounter = "counter"
)

var (
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	oidRE        = regexp.MustCompile(`^[0-9]+(\.[0-9]+)+$`)
)

// normOID strips a leading dot and surrounding space.
func normOID(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), ".") }

// ApplyDefaults normalises the profile's OIDs (no leading dot). Decode calls
// it on every Metric and Label first (see internal/config.Defaulter), so
// Validate only checks.
func (p *Profile) ApplyDefaults() {
	for i, o := range p.Match.SysObjectID {
		p.Match.SysObjectID[i] = normOID(o)
	}
	p.Model = normOID(p.Model)
	for ti := range p.Tables {
		for fi := range p.Tables[ti].Filter {
			f := &p.Tables[ti].Filter[fi]
			f.OID = normOID(f.OID)
		}
	}
}

// ApplyDefaults normalises the label's OID.
func (l *Label) ApplyDefaults() { l.OID = normOID(l.OID) }

// ApplyDefaults normalises the metric's OIDs and fills its type (gauge) and
// scale (1).
func (m *Metric) ApplyDefaults() {
	for _, o := range []*string{&m.OID, &m.Fallback, &m.DivideBy, &m.TotalWith} {
		*o = normOID(*o)
	}
	if m.Type == "" {
		m.Type = typeGauge
	}
	if m.Scale == 0 {
		m.Scale = 1
	}
}

// Validate checks one profile (after ApplyDefaults); it changes nothing.
func (p *Profile) Validate() error {
	if p.Name == "" || !labelNameRE.MatchString(strings.ReplaceAll(p.Name, "-", "_")) {
		return &config.LineError{Line: 1, Msg: fmt.Sprintf("profile name %q: use letters, digits, - and _", p.Name)}
	}
	for _, o := range p.Match.SysObjectID {
		if !oidRE.MatchString(o) {
			return &config.LineError{Msg: fmt.Sprintf("match.sys_object_id %q is not a numeric OID", o)}
		}
	}
	if p.Match.SysDescr != "" {
		if _, err := regexp.Compile(p.Match.SysDescr); err != nil {
			return &config.LineError{Msg: fmt.Sprintf("match.sys_descr: %v", err)}
		}
	}
	if p.Model != "" {
		if !oidRE.MatchString(p.Model) {
			return &config.LineError{Msg: fmt.Sprintf("model %q is not a numeric OID", p.Model)}
		}
	}
	for i := range p.Scalars {
		if err := p.Scalars[i].validate(nil); err != nil {
			return err
		}
	}
	for ti := range p.Tables {
		t := &p.Tables[ti]
		if len(t.Metrics) == 0 {
			return &config.LineError{Line: t.line, Msg: fmt.Sprintf("table %q has no metrics", t.Name)}
		}
		names := map[string]bool{}
		if t.IndexLabel != "" {
			if !labelNameRE.MatchString(t.IndexLabel) {
				return &config.LineError{Line: t.line, Msg: fmt.Sprintf("index_label %q is not a label name", t.IndexLabel)}
			}
			names[t.IndexLabel] = true
		}
		for li := range t.Labels {
			l := &t.Labels[li]
			if err := l.validate(); err != nil {
				return err
			}
			if names[l.Name] {
				return &config.LineError{Line: l.line, Msg: fmt.Sprintf("label %q given twice", l.Name)}
			}
			names[l.Name] = true
		}
		for fi := range t.Filter {
			f := &t.Filter[fi]
			if !oidRE.MatchString(f.OID) {
				return &config.LineError{Line: t.line, Msg: fmt.Sprintf("table %q: filter oid %q is not a numeric OID", t.Name, f.OID)}
			}
			if len(f.Equals) == 0 && len(f.NotEquals) == 0 {
				return &config.LineError{Line: t.line, Msg: fmt.Sprintf("table %q: a filter needs equals or not_equals", t.Name)}
			}
		}
		for mi := range t.Metrics {
			if err := t.Metrics[mi].validate(names); err != nil {
				return err
			}
		}
	}
	for ii := range p.Info {
		in := &p.Info[ii]
		if !metricNameRE.MatchString(in.Name) || !strings.HasSuffix(in.Name, "_info") {
			return &config.LineError{Msg: fmt.Sprintf("info metric %q: a metric name ending in _info", in.Name)}
		}
		for li := range in.Labels {
			if err := in.Labels[li].validate(); err != nil {
				return err
			}
		}
	}
	if len(p.Scalars) == 0 && len(p.Tables) == 0 && len(p.Info) == 0 && len(p.Include) == 0 {
		return &config.LineError{Line: 1, Msg: fmt.Sprintf("profile %q reads nothing: give scalars, tables, info or include", p.Name)}
	}
	return nil
}

func (l *Label) validate() error {
	if !labelNameRE.MatchString(l.Name) {
		return &config.LineError{Line: l.line, Msg: fmt.Sprintf("label name %q: letters, digits and _", l.Name)}
	}
	if !oidRE.MatchString(l.OID) {
		return &config.LineError{Line: l.line, Msg: fmt.Sprintf("label %q: oid %q is not a numeric OID", l.Name, l.OID)}
	}
	return nil
}

// validate checks a metric; tableLabels holds the label names of its table
// (nil for scalars), which fixed labels must not repeat.
func (m *Metric) validate(tableLabels map[string]bool) error {
	at := func(format string, args ...any) error {
		return &config.LineError{Line: m.line, Msg: fmt.Sprintf("metric %q: ", m.Name) + fmt.Sprintf(format, args...)}
	}
	if !metricNameRE.MatchString(m.Name) {
		return at("name must match %s", metricNameRE)
	}
	for _, o := range []string{m.OID, m.Fallback, m.DivideBy, m.TotalWith} {
		if o != "" && !oidRE.MatchString(o) {
			return at("%q is not a numeric OID", o)
		}
	}
	if m.OID == "" {
		return at("needs an oid")
	}
	switch m.Type {
	case typeGauge:
	case typeCounter:
		if !strings.HasSuffix(m.Name, "_total") {
			return at("a counter's name must end in _total")
		}
	default:
		return at("type %q: use gauge or counter", m.Type)
	}
	if m.Type == typeGauge && strings.HasSuffix(m.Name, "_total") {
		return at("only counters end in _total")
	}
	switch m.Parse {
	case "", "number":
	default:
		return at("parse %q: the only parser is number", m.Parse)
	}
	if math.IsNaN(m.FallbackScale) || math.IsInf(m.FallbackScale, 0) {
		return at("fallback_scale must be a finite number")
	}
	if m.FallbackScale != 0 && m.Fallback == "" {
		return at("fallback_scale needs a fallback")
	}
	if math.IsNaN(m.Scale) || math.IsInf(m.Scale, 0) {
		return at("scale must be a finite number")
	}
	if m.DivideBy != "" && m.TotalWith != "" {
		return at("give divide_by or total_with, not both")
	}
	if m.Default != nil && m.Map == nil {
		return at("default only applies with map")
	}
	for k := range m.Labels {
		if !labelNameRE.MatchString(k) {
			return at("label name %q: letters, digits and _", k)
		}
		if tableLabels[k] {
			return at("fixed label %q is also a table label", k)
		}
	}
	return nil
}

// ProfileSet is a checked set of profiles, looked up by name or by device.
type ProfileSet struct {
	byName map[string]*Profile
	names  []string
}

// ParseProfile decodes one profile strictly; name is used in error messages.
func ParseProfile(name string, data []byte) (*Profile, error) {
	p := &Profile{file: name}
	if err := config.Decode(name, data, p); err != nil {
		return nil, err
	}
	if p.Match.SysDescr != "" {
		p.re = regexp.MustCompile(p.Match.SysDescr) // Validate compiled it once already
	}
	return p, nil
}

// LoadProfiles reads every *.yml and *.yaml file of dir as one profile.
func LoadProfiles(dir string) (*ProfileSet, error) {
	var files []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, fmt.Errorf("list profiles: %w", err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no profiles (*.yml) in %s", dir)
	}
	sort.Strings(files)
	var ps []*Profile
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read profile: %w", err)
		}
		p, err := ParseProfile(f, data)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return NewProfileSet(ps...)
}

// NewProfileSet checks that names are unique, includes exist and a metric name
// has one type everywhere.
func NewProfileSet(ps ...*Profile) (*ProfileSet, error) {
	s := &ProfileSet{byName: map[string]*Profile{}}
	for _, p := range ps {
		if prev, dup := s.byName[p.Name]; dup {
			return nil, fmt.Errorf("%s: profile name %q already used by %s", p.file, p.Name, prev.file)
		}
		s.byName[p.Name] = p
		s.names = append(s.names, p.Name)
	}
	types := map[string]string{}
	var errs []error
	for _, p := range ps {
		for _, inc := range p.Include {
			if _, ok := s.byName[inc]; !ok {
				errs = append(errs, fmt.Errorf("%s: include %q: no such profile", p.file, inc))
			}
		}
		each := func(m *Metric) {
			if t, ok := types[m.Name]; ok && t != m.Type {
				errs = append(errs, fmt.Errorf("%s:%d: metric %s is a %s here and a %s elsewhere", p.file, m.line, m.Name, m.Type, t))
			}
			types[m.Name] = m.Type
		}
		for i := range p.Scalars {
			each(&p.Scalars[i])
		}
		for ti := range p.Tables {
			for mi := range p.Tables[ti].Metrics {
				each(&p.Tables[ti].Metrics[mi])
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.Strings(s.names)
	return s, nil
}

// Names returns the profile names, sorted.
func (s *ProfileSet) Names() []string { return append([]string(nil), s.names...) }

// Get returns the named profile.
func (s *ProfileSet) Get(name string) (*Profile, bool) {
	p, ok := s.byName[name]
	return p, ok
}

// Select returns the profiles for a device: the always-profiles, then either
// the explicitly named ones (comma-separated) or the best match on sysObjectID
// (longest prefix) or sysDescr, each followed by what it includes.
func (s *ProfileSet) Select(explicit, sysObjectID, sysDescr string) ([]*Profile, error) {
	var chosen []string
	for _, n := range s.names {
		if s.byName[n].Match.Always {
			chosen = append(chosen, n)
		}
	}
	if explicit != "" {
		for _, n := range strings.Split(explicit, ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			if _, ok := s.byName[n]; !ok {
				return nil, fmt.Errorf("profile %q is not defined (known: %s)", n, strings.Join(s.names, ", "))
			}
			chosen = append(chosen, n)
		}
	} else if best := s.match(normOID(sysObjectID), sysDescr); best != "" {
		chosen = append(chosen, best)
	}
	seen := map[string]bool{}
	var out []*Profile
	var add func(n string, depth int)
	add = func(n string, depth int) {
		if seen[n] || depth > 8 {
			return
		}
		seen[n] = true
		p := s.byName[n]
		out = append(out, p)
		for _, inc := range p.Include {
			add(inc, depth+1)
		}
	}
	for _, n := range chosen {
		add(n, 0)
	}
	return out, nil
}

// match returns the profile with the longest sysObjectID prefix of oid, else
// the first (by name) whose sysDescr pattern matches.
func (s *ProfileSet) match(oid, descr string) string {
	best, bestLen := "", -1
	for _, n := range s.names {
		for _, pre := range s.byName[n].Match.SysObjectID {
			if (oid == pre || strings.HasPrefix(oid, pre+".")) && len(pre) > bestLen {
				best, bestLen = n, len(pre)
			}
		}
	}
	if best != "" || descr == "" {
		return best
	}
	for _, n := range s.names {
		if re := s.byName[n].re; re != nil && re.MatchString(descr) {
			return n
		}
	}
	return ""
}
