package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/alertrules"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/inventory"
)

// Rhythm is how often a template runs (the paper sheets' 巡检 rhythm).
type Rhythm string

// The rhythms of shared/domain.md "Inspection rhythm".
const (
	Daily      Rhythm = "daily"       // 每日巡检
	Weekly     Rhythm = "weekly"      // 每周抽查
	Monthly    Rhythm = "monthly"     // 月度巡检 (4th week)
	Quarterly  Rhythm = "quarterly"   // 季度巡检
	HalfYearly Rhythm = "half_yearly" // 半年 (disaster-recovery drill)
	Yearly     Rhythm = "yearly"      // 年度 (lightning protection test)
	OnDemand   Rhythm = "on_demand"   // 重大活动保障, run by hand only
)

// Rhythms lists the valid rhythms.
func Rhythms() []Rhythm {
	return []Rhythm{Daily, Weekly, Monthly, Quarterly, HalfYearly, Yearly, OnDemand}
}

// Chinese returns the rhythm's name on screen.
func (r Rhythm) Chinese() string {
	switch r {
	case Daily:
		return "每日巡检"
	case Weekly:
		return "每周抽查"
	case Monthly:
		return "月度巡检"
	case Quarterly:
		return "季度巡检"
	case HalfYearly:
		return "半年度巡检"
	case Yearly:
		return "年度巡检"
	case OnDemand:
		return "专项巡检"
	}
	return string(r)
}

// DefaultSchedule is the cron schedule a rhythm runs on when the template sets none.
func (r Rhythm) DefaultSchedule() string {
	switch r {
	case Daily:
		return "30 8 * * *" // 08:30 every day
	case Weekly:
		return "30 9 * * 3" // Wednesday 09:30
	case Monthly:
		return "30 8 22 * *" // the 4th week begins on the 22nd
	case Quarterly:
		return "30 8 25 3,6,9,12 *"
	case HalfYearly:
		return "30 9 15 6,12 *"
	case Yearly:
		return "30 9 15 4 *" // before the thunderstorm season
	}
	return ""
}

// DefaultPeriod is the window a rhythm's metric checks look back over.
func (r Rhythm) DefaultPeriod() time.Duration {
	switch r {
	case Weekly:
		return 7 * 24 * time.Hour
	case Monthly:
		return 30 * 24 * time.Hour
	case Quarterly, HalfYearly, Yearly:
		return 30 * 24 * time.Hour // bounded by the TSDB's retention
	}
	return 24 * time.Hour
}

// Template is one check sheet: a rhythm, a schedule and its items.
type Template struct {
	Name     string          `yaml:"name"`
	Title    string          `yaml:"title"`
	TitleEN  string          `yaml:"title_en"`
	Rhythm   Rhythm          `yaml:"rhythm"`
	Schedule string          `yaml:"schedule"` // 5-field cron; the rhythm's default when empty
	Period   config.Duration `yaml:"period"`   // look-back of metric checks; the rhythm's default when 0
	Items    []Item          `yaml:"items"`

	cron *Cron
	file string
}

// Scope says what one row of an item is about.
type Scope string

// Scopes.
const (
	ScopeDevice Scope = "device" // one row per matching device (default)
	ScopeSite   Scope = "site"   // one row per site (lightning protection, drills)
	ScopeSystem Scope = "system" // one row for the whole system (data export job)
)

// Item is one line of the check sheet.
type Item struct {
	ID        string         `yaml:"id"`
	Name      string         `yaml:"name"`    // Chinese
	NameEN    string         `yaml:"name_en"` // English
	Scope     Scope          `yaml:"scope"`
	Select    Selector       `yaml:"select"`
	Metric    *MetricCheck   `yaml:"metric"`
	File      *FileCheck     `yaml:"file"`
	Manual    *ManualCheck   `yaml:"manual"`
	Level     classify.Level `yaml:"level"`     // the fault level an abnormal result carries
	Alertname string         `yaml:"alertname"` // the alertname of its tickets; inspection_<id> when empty
	// Family is the fault family (docs/rules.md) of the alert rules that
	// watch the same fault. An abnormal row carries it, so the ticket
	// pipeline (grouping by device and family) puts the row on the ticket
	// an alert already owns instead of opening a second one. Empty: the
	// item is a family of its own.
	Family string `yaml:"family"`
	Target string `yaml:"target"` // the row's name for scope system

	line int
}

// UnmarshalYAML records the item's line for validation messages.
func (it *Item) UnmarshalYAML(n *yaml.Node) error {
	type plain Item
	if err := n.Decode((*plain)(it)); err != nil {
		return err
	}
	it.line = n.Line
	return nil
}

// Line returns the line the item was declared on.
func (it *Item) Line() int { return it.line }

// Kind returns "metric", "file" or "manual".
func (it *Item) Kind() string {
	switch {
	case it.Metric != nil:
		return "metric"
	case it.File != nil:
		return "file"
	}
	return "manual"
}

// AlertName returns the alertname a failed item raises.
func (it *Item) AlertName() string {
	if it.Alertname != "" {
		return it.Alertname
	}
	return "inspection_" + it.ID
}

// Selector chooses inventory devices by class and labels.
type Selector struct {
	Class  []inventory.Class `yaml:"class"`
	Site   []string          `yaml:"site"`
	Labels map[string]string `yaml:"labels"` // all must equal the device's labels
}

// Matches reports whether d is selected.
func (s *Selector) Matches(d *inventory.Device) bool {
	if len(s.Class) > 0 && !slices.Contains(s.Class, d.Class) {
		return false
	}
	if len(s.Site) > 0 && !slices.Contains(s.Site, d.Site) {
		return false
	}
	for k, v := range s.Labels {
		if d.Labels[k] != v {
			return false
		}
	}
	return true
}

// MetricCheck is a PromQL expression evaluated at the end of the inspection
// period. "$period" in the query is replaced with the period ("1d", "30d").
// The result's series are matched to rows by their device label (site label
// for scope site); several series of one device are reduced (max by default).
type MetricCheck struct {
	Query    string    `yaml:"query"`
	Unit     string    `yaml:"unit"`
	Scale    float64   `yaml:"scale"`  // multiply the value for display (ratio → %), 1 when 0
	Reduce   string    `yaml:"reduce"` // max (default) or min
	Warning  Threshold `yaml:"warning"`
	Abnormal Threshold `yaml:"abnormal"`
}

// FileCheck checks that the newest file matching a glob is fresh (the daily
// data export to the internet query platform).
type FileCheck struct {
	Path     string          `yaml:"path"`
	MaxAge   config.Duration `yaml:"max_age"`   // abnormal beyond
	WarnAge  config.Duration `yaml:"warn_age"`  // warning beyond (optional)
	MinBytes int64           `yaml:"min_bytes"` // an empty export is abnormal too
}

// ManualCheck is done by an engineer on site; the row stays pending until
// the result is recorded.
type ManualCheck struct {
	Hint  string `yaml:"hint"` // what to look at, Chinese
	Photo bool   `yaml:"photo"`
}

// Threshold is a comparison such as "> 0.8" or "== 1"; empty never matches.
type Threshold struct {
	Op    string
	Value float64
	set   bool
}

var thresholdRE = regexp.MustCompile(`^\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$`)

// ParseThreshold parses "OP NUMBER".
func ParseThreshold(s string) (Threshold, error) {
	if strings.TrimSpace(s) == "" {
		return Threshold{}, nil
	}
	m := thresholdRE.FindStringSubmatch(s)
	if m == nil {
		return Threshold{}, fmt.Errorf("threshold %q: want OP NUMBER with OP one of > >= < <= == !=", s)
	}
	v, err := strconv.ParseFloat(m[2], 64)
	if err != nil {
		return Threshold{}, fmt.Errorf("threshold %q: %w", s, err)
	}
	return Threshold{Op: m[1], Value: v, set: true}, nil
}

// UnmarshalYAML parses the threshold with the line of a bad value.
func (t *Threshold) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := ParseThreshold(s)
	if err != nil {
		return config.Errorf(n, "%v", err)
	}
	*t = v
	return nil
}

// MarshalYAML writes the threshold back as text.
func (t Threshold) MarshalYAML() (any, error) { return t.String(), nil }

// String returns "OP VALUE", or "" when unset.
func (t Threshold) String() string {
	if !t.set {
		return ""
	}
	return t.Op + " " + strconv.FormatFloat(t.Value, 'g', -1, 64)
}

// Set reports whether the threshold is configured.
func (t Threshold) Set() bool { return t.set }

// Match reports whether v meets the threshold.
func (t Threshold) Match(v float64) bool {
	if !t.set {
		return false
	}
	switch t.Op {
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case "==":
		return v == t.Value
	case "!=":
		return v != t.Value
	}
	return false
}

var idRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ApplyDefaults implements config.Defaulter: an item's scope (device, or
// system for a file check), level III, and a metric's scale 1 and reduce max.
func (t *Template) ApplyDefaults() {
	for i := range t.Items {
		it := &t.Items[i]
		if it.Scope == "" {
			it.Scope = ScopeDevice
			if it.File != nil {
				it.Scope = ScopeSystem
			}
		}
		if it.Level == 0 {
			it.Level = classify.LevelIII
		}
		if m := it.Metric; m != nil {
			if m.Scale == 0 {
				m.Scale = 1
			}
			if m.Reduce == "" {
				m.Reduce = "max"
			}
		}
	}
}

// Validate implements config.Validator (after ApplyDefaults); it changes
// nothing (ParseTemplate keeps the parsed schedule afterwards).
func (t *Template) Validate() error {
	if !idRE.MatchString(t.Name) {
		return &config.LineError{Msg: fmt.Sprintf("template name %q: want lower-case letters, digits and _", t.Name)}
	}
	if t.Title == "" {
		return &config.LineError{Msg: "template " + t.Name + ": title is required"}
	}
	if !slices.Contains(Rhythms(), t.Rhythm) {
		return &config.LineError{Msg: fmt.Sprintf("template %s: rhythm %q: want one of %v", t.Name, t.Rhythm, Rhythms())}
	}
	if _, err := t.parseSchedule(); err != nil {
		return &config.LineError{Msg: fmt.Sprintf("template %s: schedule: %v", t.Name, err)}
	}
	if len(t.Items) == 0 {
		return &config.LineError{Msg: "template " + t.Name + ": no items"}
	}
	seen := map[string]bool{}
	for i := range t.Items {
		it := &t.Items[i]
		bad := func(format string, args ...any) error {
			return &config.LineError{Line: it.line, Msg: fmt.Sprintf("item %q: ", it.ID) + fmt.Sprintf(format, args...)}
		}
		if !idRE.MatchString(it.ID) {
			return bad("id: want lower-case letters, digits and _")
		}
		if seen[it.ID] {
			return bad("duplicate id")
		}
		seen[it.ID] = true
		if it.Name == "" || it.NameEN == "" {
			return bad("name and name_en are required")
		}
		if it.Family != "" && !alertrules.ValidFamily(it.Family) {
			return bad("family %q: want one of %v", it.Family, alertrules.Families())
		}
		n := 0
		for _, set := range []bool{it.Metric != nil, it.File != nil, it.Manual != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return bad("exactly one of metric, file, manual is required")
		}
		switch it.Scope {
		case ScopeDevice, ScopeSite, ScopeSystem:
		default:
			return bad("scope %q: want device, site or system", it.Scope)
		}
		for _, c := range it.Select.Class {
			if !c.Valid() {
				return bad("select.class %q: want one of %v", c, inventory.Classes())
			}
		}
		if !it.Level.Valid() {
			return bad("level: want I..IV")
		}
		if m := it.Metric; m != nil {
			if strings.TrimSpace(m.Query) == "" {
				return bad("metric.query is required")
			}
			if !m.Abnormal.Set() {
				return bad("metric.abnormal threshold is required")
			}
			switch m.Reduce {
			case "max", "min":
			default:
				return bad("metric.reduce %q: want max or min", m.Reduce)
			}
		}
		if f := it.File; f != nil {
			if f.Path == "" || f.MaxAge <= 0 {
				return bad("file.path and file.max_age are required")
			}
			if _, err := filepath.Match(f.Path, ""); err != nil {
				return bad("file.path: %v", err)
			}
		}
	}
	return nil
}

// parseSchedule parses the schedule, or the rhythm's default one; nil for
// on-demand templates.
func (t *Template) parseSchedule() (*Cron, error) {
	sched := t.Schedule
	if sched == "" {
		sched = t.Rhythm.DefaultSchedule()
	}
	if sched == "" {
		return nil, nil
	}
	return ParseCron(sched)
}

// Cron returns the parsed schedule (nil for on-demand templates). A template
// built in code rather than parsed has its schedule parsed on each call; an
// invalid one gives nil.
func (t *Template) Cron() *Cron {
	if t.cron != nil {
		return t.cron
	}
	c, _ := t.parseSchedule()
	return c
}

// File returns the file the template was loaded from.
func (t *Template) File() string { return t.file }

// PeriodDuration returns the look-back of the metric checks.
func (t *Template) PeriodDuration() time.Duration {
	if t.Period > 0 {
		return t.Period.Std()
	}
	return t.Rhythm.DefaultPeriod()
}

// Item returns the item with the given id.
func (t *Template) Item(id string) (*Item, bool) {
	for i := range t.Items {
		if t.Items[i].ID == id {
			return &t.Items[i], true
		}
	}
	return nil, false
}

// ParseTemplate decodes one template strictly (errors name file:line).
func ParseTemplate(name string, data []byte) (*Template, error) {
	var t Template
	if err := config.Decode(name, data, &t); err != nil {
		return nil, err
	}
	t.file = name
	t.cron, _ = t.parseSchedule() // Validate has parsed it without error
	return &t, nil
}

// LoadDir reads every *.yml template in dir, sorted by name; names must be unique.
func LoadDir(dir string) ([]*Template, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	if err != nil {
		return nil, err
	}
	var out []*Template
	seen := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		t, err := ParseTemplate(f, data)
		if err != nil {
			return nil, err
		}
		if prev, ok := seen[t.Name]; ok {
			return nil, fmt.Errorf("%s: template %q already defined in %s", f, t.Name, prev)
		}
		seen[t.Name] = f
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no inspection templates (*.yml)", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
