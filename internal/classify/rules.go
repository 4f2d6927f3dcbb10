package classify

import (
	"fmt"
	"strings"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
)

// Label names that override the rules (see the package comment).
const (
	LabelFaultLevel    = "fault_level"
	LabelFaultCategory = "fault_category"
	LabelHandlingGroup = "handling_group"
)

// Result is the grading of one alert.
type Result struct {
	Level    Level    `json:"level"`
	Category Category `json:"category"`
	Group    string   `json:"group"`
	// Rule is the name of the rule that matched, or "default".
	Rule string `json:"rule"`
	// LevelFrom tells where the level came from: "label", "rule" or "default".
	LevelFrom string `json:"level_from"`
	// Warnings lists override labels that were present but invalid (and ignored).
	Warnings []string `json:"warnings,omitempty"`
}

// Rules is a parsed rules/fault-levels.yml. It is immutable and safe for
// concurrent use.
type Rules struct {
	Default Outcome `yaml:"default"`
	Rules   []Rule  `yaml:"rules"`
}

// Outcome is what a rule (or the default) assigns.
type Outcome struct {
	Level    Level    `yaml:"level"`
	Category Category `yaml:"category"`
	Group    string   `yaml:"group"`

	line int // in the rules file, for error messages
}

// Rule is one ordered classification rule.
type Rule struct {
	Name string `yaml:"name"`
	// Match holds Alertmanager matchers, all of which must match, e.g.
	// ['class="ups"', 'alertname=~"UPSOnBattery|UPSLowBattery"']. One entry may
	// also hold several comma-separated matchers or a {…} block.
	Match   Matchers `yaml:"match"`
	Outcome `yaml:",inline"`

	line int
}

// Matchers is a list of Alertmanager matchers parsed from YAML strings.
type Matchers []*labels.Matcher

// UnmarshalYAML parses each string with labels.ParseMatchers, reporting the line.
func (m *Matchers) UnmarshalYAML(n *yaml.Node) error {
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		return config.Errorf(n, "match: expected a list of matchers such as 'class=\"ups\"'")
	}
	var out Matchers
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			return config.Errorf(it, "match: expected a matcher string")
		}
		ms, err := labels.ParseMatchers(it.Value)
		if err != nil {
			return config.Errorf(it, "bad matcher %q: %v", it.Value, err)
		}
		out = append(out, ms...)
	}
	*m = out
	return nil
}

// UnmarshalYAML decodes an Outcome, checking the level and category values.
func (o *Outcome) UnmarshalYAML(n *yaml.Node) error {
	var raw struct {
		Level    string `yaml:"level"`
		Category string `yaml:"category"`
		Group    string `yaml:"group"`
	}
	if err := n.Decode(&raw); err != nil {
		return err
	}
	if err := o.fill(n, raw.Level, raw.Category, raw.Group); err != nil {
		return err
	}
	o.line = n.Line
	return nil
}

func (o *Outcome) fill(n *yaml.Node, level, category, group string) error {
	*o = Outcome{Group: group}
	if level != "" {
		l, err := ParseLevel(level)
		if err != nil {
			return config.Errorf(config.ValueNode(n, "level"), "%v", err)
		}
		o.Level = l
	}
	if category != "" {
		c, err := ParseCategory(category)
		if err != nil {
			return config.Errorf(config.ValueNode(n, "category"), "%v", err)
		}
		o.Category = c
	}
	return nil
}

// UnmarshalYAML decodes a Rule and records its line.
func (r *Rule) UnmarshalYAML(n *yaml.Node) error {
	var raw struct {
		Name     string   `yaml:"name"`
		Match    Matchers `yaml:"match"`
		Level    string   `yaml:"level"`
		Category string   `yaml:"category"`
		Group    string   `yaml:"group"`
	}
	if err := n.Decode(&raw); err != nil {
		return err
	}
	*r = Rule{Name: raw.Name, Match: raw.Match, line: n.Line}
	if r.Name == "" {
		return config.Errorf(n, "rule needs a name")
	}
	if len(r.Match) == 0 {
		return config.Errorf(n, "rule %q needs at least one matcher in match", r.Name)
	}
	return r.Outcome.fill(n, raw.Level, raw.Category, raw.Group)
}

// Validate checks that the default is complete and rule names are unique.
func (r *Rules) Validate() error {
	if !r.Default.Level.Valid() || !r.Default.Category.Valid() || r.Default.Group == "" {
		var missing []string
		if !r.Default.Level.Valid() {
			missing = append(missing, "level")
		}
		if !r.Default.Category.Valid() {
			missing = append(missing, "category")
		}
		if r.Default.Group == "" {
			missing = append(missing, "group")
		}
		return &config.LineError{Line: r.Default.line,
			Msg: "default must set level, category and group (missing: " + strings.Join(missing, ", ") + ")"}
	}
	seen := map[string]int{}
	for _, ru := range r.Rules {
		if l, dup := seen[ru.Name]; dup {
			return &config.LineError{Line: ru.line, Msg: fmt.Sprintf("rule name %q already used at line %d", ru.Name, l)}
		}
		seen[ru.Name] = ru.line
	}
	return nil
}

// Load reads and parses a rules file (rules/fault-levels.yml).
func Load(path string) (*Rules, error) {
	var r Rules
	if err := config.LoadFile(path, &r); err != nil {
		return nil, fmt.Errorf("load fault-level rules: %w", err)
	}
	return &r, nil
}

// Parse parses rules from data; name is used in error messages.
func Parse(name string, data []byte) (*Rules, error) {
	var r Rules
	if err := config.Decode(name, data, &r); err != nil {
		return nil, fmt.Errorf("parse fault-level rules: %w", err)
	}
	return &r, nil
}

// Classify grades an alert by its labels (see the package comment for precedence).
func (r *Rules) Classify(lbls map[string]string) Result {
	ls := make(model.LabelSet, len(lbls))
	for k, v := range lbls {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	res := Result{
		Level: r.Default.Level, Category: r.Default.Category, Group: r.Default.Group,
		Rule: "default", LevelFrom: "default",
	}
	for _, ru := range r.Rules {
		if !labels.Matchers(ru.Match).Matches(ls) {
			continue
		}
		res.Rule = ru.Name
		if ru.Level.Valid() {
			res.Level, res.LevelFrom = ru.Level, "rule"
		}
		if ru.Category != "" {
			res.Category = ru.Category
		}
		if ru.Group != "" {
			res.Group = ru.Group
		}
		break
	}
	if v, ok := lbls[LabelFaultLevel]; ok && strings.TrimSpace(v) != "" {
		if l, err := ParseLevel(v); err == nil {
			res.Level, res.LevelFrom = l, "label"
		} else {
			res.Warnings = append(res.Warnings, fmt.Sprintf("label %s=%q ignored: %v", LabelFaultLevel, v, err))
		}
	}
	if v, ok := lbls[LabelFaultCategory]; ok && strings.TrimSpace(v) != "" {
		if c, err := ParseCategory(v); err == nil {
			res.Category = c
		} else {
			res.Warnings = append(res.Warnings, fmt.Sprintf("label %s=%q ignored: %v", LabelFaultCategory, v, err))
		}
	}
	if v := strings.TrimSpace(lbls[LabelHandlingGroup]); v != "" {
		res.Group = v
	}
	return res
}
