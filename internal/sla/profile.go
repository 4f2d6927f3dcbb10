package sla

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/config"
)

// Profile is one contract's SLA: its calendars and the timers for each fault
// level and equipment category. It is immutable and safe for concurrent use.
type Profile struct {
	Name    string
	Title   string // Chinese title shown on screen
	TitleEn string
	File    string

	calendars map[string]*calendar.Calendar
	timers    []timerRule
}

type timerRule struct {
	levels     []classify.Level
	categories []classify.Category
	spec       TimerSpec
}

// Timers returns the timers that apply to a ticket of this level and category,
// one per kind (the first matching entry of the profile wins), in Kinds order.
func (p *Profile) Timers(level classify.Level, cat classify.Category) []TimerSpec {
	var out []TimerSpec
	seen := map[Kind]bool{}
	for _, r := range p.timers {
		if seen[r.spec.Kind] {
			continue
		}
		if len(r.levels) > 0 && !slices.Contains(r.levels, level) {
			continue
		}
		if len(r.categories) > 0 && !slices.Contains(r.categories, cat) {
			continue
		}
		seen[r.spec.Kind] = true
		s := r.spec
		s.Chain = slices.Clone(s.Chain)
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b TimerSpec) int { return a.Kind.order() - b.Kind.order() })
	return out
}

// TimersFor implements the ticket service's Policy for one profile: the
// profile's timers for the facts' level and category (no matcher).
func (p *Profile) TimersFor(f Facts) (string, []TimerSpec) {
	return p.Name, p.Timers(f.Level, f.Category)
}

// Timer returns the spec of one kind for a level and category, ok=false when the
// contract has no such timer for them.
func (p *Profile) Timer(kind Kind, level classify.Level, cat classify.Category) (TimerSpec, bool) {
	for _, s := range p.Timers(level, cat) {
		if s.Kind == kind {
			return s, true
		}
	}
	return TimerSpec{}, false
}

// Calendar returns a calendar of the profile by name (nil when unknown).
func (p *Profile) Calendar(name string) *calendar.Calendar { return p.calendars[name] }

// CalendarOf returns the calendar a spec is measured on. Specs from Timers
// always name a calendar of their profile.
func (p *Profile) CalendarOf(spec TimerSpec) *calendar.Calendar { return p.calendars[spec.Calendar] }

// Calendars returns the profile's calendar names, sorted.
func (p *Profile) Calendars() []string {
	var n []string
	for k := range p.calendars {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// Evaluate is the package Evaluate on the spec's own calendar.
func (p *Profile) Evaluate(spec TimerSpec, startedAt time.Time, stoppedAt *time.Time, now time.Time) TimerState {
	return Evaluate(spec, p.CalendarOf(spec), startedAt, stoppedAt, now)
}

// Steps is the package Steps on the spec's own calendar.
func (p *Profile) Steps(spec TimerSpec, startedAt time.Time, stoppedAt *time.Time, now time.Time) []Step {
	return Steps(spec, p.CalendarOf(spec), startedAt, stoppedAt, now)
}

// Set is the loaded profiles by name.
type Set struct {
	profiles map[string]*Profile
	holidays *calendar.Holidays
}

// Get returns a profile by name.
func (s *Set) Get(name string) (*Profile, bool) {
	p, ok := s.profiles[name]
	return p, ok
}

// Names returns the profile names, sorted.
func (s *Set) Names() []string {
	var n []string
	for k := range s.profiles {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// Holidays returns the holiday data the profiles were built with.
func (s *Set) Holidays() *calendar.Holidays { return s.holidays }

// LoadOptions configures LoadProfiles.
type LoadOptions struct {
	// Holidays feeds every working-hours calendar with holidays: true; nil
	// means none.
	Holidays *calendar.Holidays
	// Location is the calendars' time zone; nil means Asia/Shanghai.
	Location *time.Location
}

// LoadProfiles reads every *.yml in dir, one profile per file.
func LoadProfiles(dir string, o LoadOptions) (*Set, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	if err != nil {
		return nil, fmt.Errorf("load SLA profiles: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("load SLA profiles: no *.yml in %s", dir)
	}
	set := &Set{profiles: map[string]*Profile{}, holidays: o.Holidays}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("load SLA profiles: %w", err)
		}
		p, err := ParseProfile(f, data, o)
		if err != nil {
			return nil, err
		}
		if old, dup := set.profiles[p.Name]; dup {
			return nil, fmt.Errorf("load SLA profiles: %s: profile name %q already used in %s", f, p.Name, old.File)
		}
		set.profiles[p.Name] = p
	}
	return set, nil
}

// ParseProfile parses one profile file; name is used in error messages.
func ParseProfile(name string, data []byte, o LoadOptions) (*Profile, error) {
	var f profileFile
	if err := config.Decode(name, data, &f); err != nil {
		return nil, fmt.Errorf("parse SLA profile: %w", err)
	}
	loc := o.Location
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation(calendar.DefaultZone); err != nil {
			return nil, fmt.Errorf("parse SLA profile: %w", err)
		}
	}
	p := &Profile{Name: f.Name, Title: f.Title, TitleEn: f.TitleEn, File: name, calendars: map[string]*calendar.Calendar{}}
	for cname, c := range f.Calendars {
		cal, err := c.build(cname, loc, o.Holidays)
		if err != nil {
			return nil, withFile(name, config.Errorf(c.node, "%v", err))
		}
		p.calendars[cname] = cal
	}
	for _, t := range f.Timers {
		spec := TimerSpec{
			Kind: t.Kind, Target: t.Target.Std(), Calendar: f.Defaults.Calendar, From: FromOpened,
			Warn: f.Defaults.Warn, Chain: f.Defaults.Chain, Every: f.Defaults.Every.Std(), Note: t.Note,
			Profile: f.Name, MetBy: t.MetBy, Pausable: slices.Contains(f.Defaults.Pausable, t.Kind),
		}
		if t.Pausable != nil {
			spec.Pausable = *t.Pausable
		}
		if t.Kind == Report {
			spec.From = FromResolved
		}
		if t.Calendar != "" {
			spec.Calendar = t.Calendar
		}
		if t.From != "" {
			spec.From = t.From
		}
		if t.Warn != nil {
			spec.Warn = *t.Warn
		}
		if t.Chain != nil {
			spec.Chain = t.Chain
		}
		if t.Every != nil {
			spec.Every = t.Every.Std()
		}
		if p.calendars[spec.Calendar] == nil {
			return nil, withFile(name, config.Errorf(t.node, "timer %s: unknown calendar %q (define it under calendars)", t.Kind, spec.Calendar))
		}
		p.timers = append(p.timers, timerRule{levels: t.Levels, categories: t.Categories, spec: spec})
	}
	return p, nil
}

func withFile(name string, err error) error {
	var le *config.LineError
	if errors.As(err, &le) && le.File == "" {
		c := *le
		c.File = name
		return fmt.Errorf("parse SLA profile: %w", &c)
	}
	return fmt.Errorf("parse SLA profile: %w", err)
}

// profileFile is the YAML form of a profile (see docs/sla.md).
type profileFile struct {
	Name      string                  `yaml:"name"`
	Title     string                  `yaml:"title"`
	TitleEn   string                  `yaml:"title_en"`
	Calendars map[string]calendarSpec `yaml:"calendars"`
	Defaults  defaultsSpec            `yaml:"defaults"`
	Timers    []timerEntry            `yaml:"timers"`
}

func (f *profileFile) Validate() error {
	for _, k := range f.Defaults.Pausable {
		if !k.Valid() {
			return &config.LineError{Msg: fmt.Sprintf("defaults.pausable: timer kind %q: use one of %s", k, kindNames())}
		}
	}
	if f.Name == "" {
		return &config.LineError{Msg: "profile needs a name"}
	}
	if f.Title == "" {
		return &config.LineError{Msg: "profile needs a title (Chinese, shown on screen)"}
	}
	if len(f.Calendars) == 0 {
		return &config.LineError{Msg: "profile needs at least one calendar"}
	}
	if len(f.Timers) == 0 {
		return &config.LineError{Msg: "profile needs at least one timer"}
	}
	if f.Defaults.Warn < 0 || f.Defaults.Warn >= 1 {
		return &config.LineError{Msg: "defaults.warn must be in [0, 1)"}
	}
	return nil
}

type defaultsSpec struct {
	// Pausable lists the timer kinds an agreed pause (挂起) stops.
	Pausable []Kind          `yaml:"pausable"`
	Calendar string          `yaml:"calendar"`
	Warn     float64         `yaml:"warn"`
	Chain    []Role          `yaml:"chain"`
	Every    config.Duration `yaml:"every"`
}

type calendarSpec struct {
	Type     string   `yaml:"type"` // 24x7 | working_hours
	Open     string   `yaml:"open"` // "09:00"
	Close    string   `yaml:"close"`
	Weekdays []string `yaml:"weekdays"`
	Holidays bool     `yaml:"holidays"`

	node *yaml.Node
}

func (c *calendarSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain calendarSpec
	if err := n.Decode((*plain)(c)); err != nil {
		return err
	}
	c.node = n
	switch c.Type {
	case "24x7", "working_hours":
	default:
		return config.Errorf(n, "calendar type %q: use 24x7 or working_hours", c.Type)
	}
	return nil
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func (c calendarSpec) build(name string, loc *time.Location, hol *calendar.Holidays) (*calendar.Calendar, error) {
	if c.Type == "24x7" {
		return calendar.Always(name, loc), nil
	}
	open, err := parseClock(c.Open)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: open: %w", name, err)
	}
	cl, err := parseClock(c.Close)
	if err != nil {
		return nil, fmt.Errorf("calendar %s: close: %w", name, err)
	}
	var wd []time.Weekday
	for _, w := range c.Weekdays {
		d, ok := weekdayNames[strings.ToLower(strings.TrimSpace(w))]
		if !ok {
			return nil, fmt.Errorf("calendar %s: weekday %q: use mon, tue, wed, thu, fri, sat or sun", name, w)
		}
		wd = append(wd, d)
	}
	o := calendar.WorkingHoursOptions{Name: name, Location: loc, Open: open, Close: cl, Weekdays: wd}
	if c.Holidays {
		o.Holidays = hol
	}
	return calendar.WorkingHours(o)
}

// parseClock parses "09:00" or "17:30" (and "24:00") as an offset from midnight.
func parseClock(s string) (time.Duration, error) {
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) || len(s) != 5 {
		return 0, fmt.Errorf("invalid time of day %q: use HH:MM", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

type timerEntry struct {
	Kind       Kind             `yaml:"kind"`
	Levels     levelList        `yaml:"levels"`
	Categories categoryList     `yaml:"categories"`
	Target     config.Duration  `yaml:"target"`
	Calendar   string           `yaml:"calendar"`
	From       Anchor           `yaml:"from"`
	Warn       *float64         `yaml:"warn"`
	Chain      []Role           `yaml:"chain"`
	Every      *config.Duration `yaml:"every"`
	Note       string           `yaml:"note"`
	MetBy      []string         `yaml:"met_by"`
	Pausable   *bool            `yaml:"pausable"`

	node *yaml.Node
}

func (t *timerEntry) UnmarshalYAML(n *yaml.Node) error {
	type plain timerEntry
	if err := n.Decode((*plain)(t)); err != nil {
		return err
	}
	t.node = n
	switch {
	case !t.Kind.Valid():
		return config.Errorf(config.ValueNode(n, "kind"), "timer kind %q: use one of %s", t.Kind, kindNames())
	case t.Target <= 0:
		return config.Errorf(n, "timer %s: target must be a positive duration", t.Kind)
	case t.From != "" && !t.From.Valid():
		return config.Errorf(config.ValueNode(n, "from"), "timer %s: from %q: use opened, onsite, resolved or repair_out", t.Kind, t.From)
	case badMilestone(t.MetBy) != "":
		return config.Errorf(config.ValueNode(n, "met_by"), "timer %s: met_by %q: use %s", t.Kind, badMilestone(t.MetBy), strings.Join(Milestones(), ", "))
	case t.Warn != nil && (*t.Warn < 0 || *t.Warn >= 1):
		return config.Errorf(config.ValueNode(n, "warn"), "timer %s: warn must be a fraction in [0, 1), e.g. 0.8", t.Kind)
	}
	return nil
}

func kindNames() string {
	var n []string
	for _, k := range Kinds() {
		n = append(n, string(k))
	}
	return strings.Join(n, ", ")
}

// badMilestone returns the first name in m that is not a milestone, or "".
func badMilestone(m []string) string {
	for _, v := range m {
		if !slices.Contains(Milestones(), v) {
			return v
		}
	}
	return ""
}

type levelList []classify.Level

func (l *levelList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return config.Errorf(n, "levels: expected a list such as [I, II]")
	}
	for _, c := range n.Content {
		v, err := classify.ParseLevel(c.Value)
		if err != nil {
			return config.Errorf(c, "%v", err)
		}
		*l = append(*l, v)
	}
	return nil
}

type categoryList []classify.Category

func (l *categoryList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return config.Errorf(n, "categories: expected a list such as [room_it, room_infra]")
	}
	for _, c := range n.Content {
		v, err := classify.ParseCategory(c.Value)
		if err != nil {
			return config.Errorf(c, "%v", err)
		}
		*l = append(*l, v)
	}
	return nil
}
