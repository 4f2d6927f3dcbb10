// Package classify grades an alert: from its labels (severity, class, site, device,
// alertname, …) it derives a fault level I–IV (故障等级), an equipment category used
// for dispatch (派单类别) and a handling group, using ordered rules written in
// Alertmanager matcher syntax (rules/fault-levels.yml). The first matching rule wins;
// a default applies when none matches.
//
// Precedence, highest first:
//  1. a valid `fault_level` label on the alert ("I".."IV", "1".."4" or the Chinese
//     name), set by the alerting rule that fired, decides the level;
//  2. the first rule whose matchers all match decides whatever the label did not
//     (level, category, group; a rule may leave category or group empty, in which
//     case the default's value is used);
//  3. the default.
//
// A `fault_category` or `handling_group` label likewise overrides the category or
// the group.
package classify

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
)

// Level is a fault level: LevelI (紧急, most urgent) to LevelIV (普通). The zero
// value is not a valid level.
type Level int

// The four fault levels of the contracts.
const (
	LevelI   Level = 1 // 紧急: system crash, business stopped, data loss
	LevelII  Level = 2 // 严重: part failed, performance down, business still runs
	LevelIII Level = 3 // 较严重: errors or warnings, business unaffected
	LevelIV  Level = 4 // 普通: questions, configuration, no business impact
)

// Levels returns the valid levels, most urgent first.
func Levels() []Level { return []Level{LevelI, LevelII, LevelIII, LevelIV} }

var levelNames = [...]struct{ roman, zh, en string }{
	{},
	{"I", "紧急", "critical"},
	{"II", "严重", "major"},
	{"III", "较严重", "minor"},
	{"IV", "普通", "normal"},
}

// Valid reports whether l is one of LevelI..LevelIV.
func (l Level) Valid() bool { return l >= LevelI && l <= LevelIV }

// String returns the Roman numeral ("II"), or "Level(n)" for an invalid value.
func (l Level) String() string {
	if !l.Valid() {
		return fmt.Sprintf("Level(%d)", int(l))
	}
	return levelNames[l].roman
}

// Chinese returns the Chinese name (紧急, 严重, 较严重, 普通).
func (l Level) Chinese() string {
	if !l.Valid() {
		return l.String()
	}
	return levelNames[l].zh
}

// English returns the English name (critical, major, minor, normal).
func (l Level) English() string {
	if !l.Valid() {
		return l.String()
	}
	return levelNames[l].en
}

// Label returns the on-screen form, e.g. "II级 严重".
func (l Level) Label() string { return l.String() + "级 " + l.Chinese() }

// ParseLevel accepts "I".."IV" (any case, an optional trailing 级), "1".."4", the
// Chinese names and the English names.
func ParseLevel(s string) (Level, error) {
	v := strings.TrimSpace(s)
	v = strings.TrimSuffix(v, "级")
	u := strings.ToUpper(v)
	for l := LevelI; l <= LevelIV; l++ {
		n := levelNames[l]
		if u == n.roman || v == n.zh || strings.EqualFold(v, n.en) || v == fmt.Sprint(int(l)) {
			return l, nil
		}
	}
	return 0, fmt.Errorf("invalid fault level %q: use I, II, III or IV", s)
}

// MarshalText implements encoding.TextMarshaler ("II").
func (l Level) MarshalText() ([]byte, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("invalid fault level %d", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (see ParseLevel).
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler, naming the line of a bad level.
func (l *Level) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return config.Errorf(n, "expected a fault level: I, II, III or IV")
	}
	v, err := ParseLevel(n.Value)
	if err != nil {
		return config.Errorf(n, "%v", err)
	}
	*l = v
	return nil
}

// Category is an equipment category, the unit of dispatch (派单).
type Category string

// The four categories of the contracts' ticket flow.
const (
	CategoryRoomIT    Category = "room_it"    // 机房IT设备: servers, storage, network, security
	CategoryRoomInfra Category = "room_infra" // 机房基础设施: UPS, AC, power, environment
	CategoryFrontEnd  Category = "front_end"  // 前端设备: cameras, checkpoints, NVRs, stations
	CategoryFibre     Category = "fibre"      // 光纤网络: transmission lines, links
)

// Categories returns the valid categories.
func Categories() []Category {
	return []Category{CategoryRoomIT, CategoryRoomInfra, CategoryFrontEnd, CategoryFibre}
}

// Valid reports whether c is one of the four categories.
func (c Category) Valid() bool {
	for _, k := range Categories() {
		if c == k {
			return true
		}
	}
	return false
}

// Chinese returns the Chinese name of the category (机房IT设备, …).
func (c Category) Chinese() string {
	switch c {
	case CategoryRoomIT:
		return "机房IT设备"
	case CategoryRoomInfra:
		return "机房基础设施"
	case CategoryFrontEnd:
		return "前端设备"
	case CategoryFibre:
		return "光纤网络"
	}
	return string(c)
}

// UnmarshalYAML implements yaml.Unmarshaler, naming the line of a bad category.
func (c *Category) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return config.Errorf(n, "expected an equipment category: room_it, room_infra, front_end or fibre")
	}
	v, err := ParseCategory(n.Value)
	if err != nil {
		return config.Errorf(n, "%v", err)
	}
	*c = v
	return nil
}

// ParseCategory accepts the key ("room_it") or the Chinese name ("机房IT设备").
func ParseCategory(s string) (Category, error) {
	v := strings.TrimSpace(s)
	for _, c := range Categories() {
		if v == string(c) || v == c.Chinese() {
			return c, nil
		}
	}
	return "", fmt.Errorf("invalid equipment category %q: use room_it, room_infra, front_end or fibre", s)
}
