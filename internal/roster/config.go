package roster

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/config"
)

// Role is a duty role of the roster.
type Role string

// Roles on the roster. Engineer and ProjectManager are the escalation
// chain's roles (sla.Engineer, sla.ProjectManager) of the same names.
const (
	Engineer       Role = "engineer"        // 值班工程师 (驻场工程师)
	ProjectManager Role = "project_manager" // 项目经理
	DutyOperator   Role = "duty_operator"   // 值班员
)

// Roles returns the roster's roles in display order.
func Roles() []Role { return []Role{Engineer, ProjectManager, DutyOperator} }

// Valid reports whether r is a roster role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Chinese is the role's name on screen and in notices.
func (r Role) Chinese() string {
	switch r {
	case Engineer:
		return "值班工程师"
	case ProjectManager:
		return "项目经理"
	case DutyOperator:
		return "值班员"
	}
	return string(r)
}

// Rota maps a role to the accounts (login names) on duty in it.
type Rota map[Role][]string

// DefaultHandover is the handover time when the config sets none.
const DefaultHandover = "08:30"

// Config is the `roster:` section of the collector config.
type Config struct {
	// Handover is the time of day (HH:MM, in global.timezone) when one
	// shift hands over to the next; 08:30 by default.
	Handover string `yaml:"handover"`
	// Weekly is the weekly rota: monday … sunday, and daily for the days
	// not listed, each a Rota.
	Weekly map[string]Rota `yaml:"weekly"`
	// Holidays is the rota on statutory days off (放假, from the holiday
	// calendar); roles it leaves out follow the weekly rota. Make-up
	// working days (调休上班) follow the weekly rota of their weekday.
	Holidays Rota `yaml:"holidays"`
	// Overrides are dated changes: a major event's extra duty (重大活动保障)
	// or a swap. More are added through the API.
	Overrides []Override `yaml:"overrides"`

	handover time.Duration // parsed Handover
	lines    map[string]int
}

// Override puts Users on duty in Role for the shifts From … To (both
// included; To empty means From only).
type Override struct {
	From   calendar.Date `yaml:"from"`
	To     calendar.Date `yaml:"to"`
	Role   Role          `yaml:"role"`
	Users  []string      `yaml:"users"`
	Reason string        `yaml:"reason"`

	// ID is the stored override's id (0 for those of the config).
	ID int64 `yaml:"-"`
	// CreatedBy and CreatedAt: who added it through the API, and when.
	CreatedBy string    `yaml:"-"`
	CreatedAt time.Time `yaml:"-"`
}

// Last is the last shift the override covers.
func (o *Override) Last() calendar.Date {
	if o.To == (calendar.Date{}) {
		return o.From
	}
	return o.To
}

// Covers reports whether the override covers the shift of day d in role r.
func (o *Override) Covers(d calendar.Date, r Role) bool {
	return o.Role == r && !d.Before(o.From) && !o.Last().Before(d)
}

// Check checks one override (from the config or the API).
func (o *Override) Check() error {
	if o.From == (calendar.Date{}) {
		return fmt.Errorf("from is required (YYYY-MM-DD)")
	}
	if o.Last().Before(o.From) {
		return fmt.Errorf("to %s is before from %s", o.To, o.From)
	}
	if !o.Role.Valid() {
		return fmt.Errorf("role %q: use %s", o.Role, roleList())
	}
	if len(o.Users) == 0 {
		return fmt.Errorf("users: name at least one account")
	}
	return checkUsers(o.Users)
}

func checkUsers(users []string) error {
	seen := map[string]bool{}
	for _, u := range users {
		if strings.TrimSpace(u) == "" {
			return fmt.Errorf("an empty account name")
		}
		if seen[strings.ToLower(u)] {
			return fmt.Errorf("account %q listed twice", u)
		}
		seen[strings.ToLower(u)] = true
	}
	return nil
}

func roleList() string {
	var s []string
	for _, r := range Roles() {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

// weekdays are the keys of Weekly besides daily.
var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

// dailyKey is the Weekly key of the days not listed.
const dailyKey = "daily"

// UnmarshalYAML decodes the section and records the lines of its parts for
// validation messages and the warnings about unknown accounts.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	type plain Config
	if err := n.Decode((*plain)(c)); err != nil {
		return err
	}
	c.lines = map[string]int{"": n.Line}
	c.lines["handover"] = config.ValueNode(n, "handover").Line
	if w := config.ValueNode(n, "weekly"); w != n && w.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(w.Content); i += 2 {
			day := w.Content[i].Value
			c.lines["weekly."+day] = w.Content[i].Line
			recordRota(c.lines, "weekly."+day, w.Content[i+1])
		}
	}
	if h := config.ValueNode(n, "holidays"); h != n {
		c.lines["holidays"] = h.Line
		recordRota(c.lines, "holidays", h)
	}
	if o := config.ValueNode(n, "overrides"); o != n && o.Kind == yaml.SequenceNode {
		for i, item := range o.Content {
			c.lines[fmt.Sprintf("overrides[%d]", i)] = item.Line
		}
	}
	return nil
}

func recordRota(lines map[string]int, prefix string, n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		lines[prefix+"."+n.Content[i].Value] = n.Content[i].Line
	}
}

// line returns the line of a part of the section (0 when unknown).
func (c *Config) line(key string) int { return c.lines[key] }

// ApplyDefaults implements config.Defaulter.
func (c *Config) ApplyDefaults() {
	if c.Handover == "" {
		c.Handover = DefaultHandover
	}
}

// parseHandover reads "HH:MM" as the time since midnight.
func parseHandover(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("handover %q: use HH:MM, e.g. 08:30", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// handoverText is Handover, or the default when defaults were not applied.
func (c *Config) handoverText() string {
	if c.Handover == "" {
		return DefaultHandover
	}
	return c.Handover
}

// HandoverOffset is the handover's time since midnight (valid after Validate).
func (c *Config) HandoverOffset() time.Duration { return c.handover }

// Enabled reports whether the config has a roster at all (any rota or override).
func (c *Config) Enabled() bool {
	return len(c.Weekly) > 0 || len(c.Holidays) > 0 || len(c.Overrides) > 0
}

// Validate implements config.Validator (after ApplyDefaults). Account names
// are not checked here: accounts may be created after the roster is
// written; Roster.Problems names the unknown ones.
func (c *Config) Validate() error {
	h, err := parseHandover(c.handoverText())
	if err != nil {
		return &config.LineError{Line: c.line("handover"), Msg: "roster." + err.Error()}
	}
	c.handover = h
	for day, rota := range c.Weekly {
		if _, ok := weekdays[day]; !ok && day != dailyKey {
			return &config.LineError{Line: c.line("weekly." + day),
				Msg: fmt.Sprintf("roster.weekly.%s: not a day (monday … sunday, or daily)", day)}
		}
		if err := c.checkRota("weekly."+day, rota); err != nil {
			return err
		}
	}
	if err := c.checkRota("holidays", c.Holidays); err != nil {
		return err
	}
	for i := range c.Overrides {
		if err := c.Overrides[i].Check(); err != nil {
			return &config.LineError{Line: c.line(fmt.Sprintf("overrides[%d]", i)), Msg: fmt.Sprintf("roster.overrides[%d]: %v", i, err)}
		}
	}
	return nil
}

func (c *Config) checkRota(where string, rota Rota) error {
	for role, users := range rota {
		at := c.line(where + "." + string(role))
		if !role.Valid() {
			return &config.LineError{Line: at, Msg: fmt.Sprintf("roster.%s: role %q: use %s", where, role, roleList())}
		}
		if err := checkUsers(users); err != nil {
			return &config.LineError{Line: at, Msg: fmt.Sprintf("roster.%s.%s: %v", where, role, err)}
		}
	}
	return nil
}
