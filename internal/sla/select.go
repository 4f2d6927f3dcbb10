package sla

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/config"
)

// Facts are what a profile is chosen by and a ticket's timers depend on.
type Facts struct {
	Level    classify.Level
	Category classify.Category
	Site     string
	Class    string
	Device   string
	Labels   map[string]string
}

// Match chooses a profile for a ticket: every field set must match (AND);
// a list matches when it holds the ticket's value (OR). An empty Match
// matches every ticket.
type Match struct {
	Sites      []string            `yaml:"site"`
	Categories []classify.Category `yaml:"category"`
	Classes    []string            `yaml:"class"`
	// Labels must all be present on the ticket's labels with these values.
	Labels map[string]string `yaml:"labels"`
}

// Matches reports whether f satisfies m.
func (m Match) Matches(f Facts) bool {
	if len(m.Sites) > 0 && !slices.Contains(m.Sites, f.Site) {
		return false
	}
	if len(m.Categories) > 0 && !slices.Contains(m.Categories, f.Category) {
		return false
	}
	if len(m.Classes) > 0 && !slices.Contains(m.Classes, f.Class) {
		return false
	}
	for k, v := range m.Labels {
		if f.Labels[k] != v {
			return false
		}
	}
	return true
}

// String describes the match for --check-config ("site=看守所,拘留所 class=router").
func (m Match) String() string {
	var p []string
	if len(m.Sites) > 0 {
		p = append(p, "site="+strings.Join(m.Sites, ","))
	}
	if len(m.Categories) > 0 {
		var c []string
		for _, v := range m.Categories {
			c = append(c, string(v))
		}
		p = append(p, "category="+strings.Join(c, ","))
	}
	if len(m.Classes) > 0 {
		p = append(p, "class="+strings.Join(m.Classes, ","))
	}
	keys := make([]string, 0, len(m.Labels))
	for k := range m.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p = append(p, fmt.Sprintf("%s=%q", k, m.Labels[k]))
	}
	if len(p) == 0 {
		return "(every ticket)"
	}
	return strings.Join(p, " ")
}

// SelectRule is one entry of the sla.select list of the collector config.
type SelectRule struct {
	Profile string `yaml:"profile"`
	Match   Match  `yaml:"match"`

	node *yaml.Node
}

// UnmarshalYAML keeps the rule's line for errors.
func (r *SelectRule) UnmarshalYAML(n *yaml.Node) error {
	type plain SelectRule
	if err := n.Decode((*plain)(r)); err != nil {
		return err
	}
	r.node = n
	if r.Profile == "" {
		return config.Errorf(n, "sla.select: an entry needs a profile")
	}
	for _, c := range r.Match.Categories {
		if !c.Valid() {
			return config.Errorf(config.ValueNode(n, "match"), "sla.select: unknown category %q", c)
		}
	}
	return nil
}

// Selection is the profiles in force: the select rules in order (the first
// matching wins), then the default profile.
type Selection struct {
	rules    []selected
	fallback *Profile
	set      *Set
}

type selected struct {
	match   Match
	profile *Profile
}

// NewSelection resolves the rules' profile names in set.
func NewSelection(set *Set, fallback *Profile, rules []SelectRule) (*Selection, error) {
	s := &Selection{fallback: fallback, set: set}
	for i, r := range rules {
		p, ok := set.Get(r.Profile)
		if !ok {
			return nil, config.Errorf(r.node, "sla.select[%d]: profile %q not found (have %s)", i, r.Profile, strings.Join(set.Names(), ", "))
		}
		s.rules = append(s.rules, selected{match: r.Match, profile: p})
	}
	return s, nil
}

// Select returns the profile a ticket with these facts gets and the rule
// that chose it ("default" when none matched).
func (s *Selection) Select(f Facts) (*Profile, string) {
	for i, r := range s.rules {
		if r.match.Matches(f) {
			return r.profile, fmt.Sprintf("select[%d] %s", i, r.match)
		}
	}
	return s.fallback, "default"
}

// TimersFor returns the chosen profile's name and its timers for the facts'
// level and category.
func (s *Selection) TimersFor(f Facts) (string, []TimerSpec) {
	p, _ := s.Select(f)
	return p.TimersFor(f)
}

// CalendarOf returns the calendar of the spec's own profile (the default
// profile's calendar of that name for a spec stored without a profile).
func (s *Selection) CalendarOf(spec TimerSpec) *calendar.Calendar {
	if p, ok := s.set.Get(spec.Profile); ok {
		if c := p.CalendarOf(spec); c != nil {
			return c
		}
	}
	return s.fallback.CalendarOf(spec)
}
