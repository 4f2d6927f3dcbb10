package silence

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
)

// ErrInvalid marks a silence or matcher that is not valid.
var ErrInvalid = errors.New("invalid silence")

// MatchType is one of =, !=, =~, !~.
type MatchType = labels.MatchType

// The match types.
const (
	MatchEqual     = labels.MatchEqual
	MatchNotEqual  = labels.MatchNotEqual
	MatchRegexp    = labels.MatchRegexp
	MatchNotRegexp = labels.MatchNotRegexp
)

// Matcher is one label matcher of a silence, with Alertmanager's semantics:
// a regular expression is anchored at both ends, and a label the alert does
// not have matches as the empty string (so device!="x" matches an alert
// without a device label, and device=~".*" matches every alert).
type Matcher struct {
	Name  string
	Value string
	Type  MatchType
	m     *labels.Matcher // compiled
}

// NewMatcher checks and compiles a matcher.
func NewMatcher(t MatchType, name, value string) (Matcher, error) {
	if name == "" {
		return Matcher{}, fmt.Errorf("%w: matcher without a label name", ErrInvalid)
	}
	if !validLabelName(name) {
		return Matcher{}, fmt.Errorf("%w: %q is not a label name", ErrInvalid, name)
	}
	m, err := labels.NewMatcher(t, name, value)
	if err != nil {
		return Matcher{}, fmt.Errorf("%w: matcher %s%s%q: %w", ErrInvalid, name, t, value, err)
	}
	return Matcher{Name: name, Value: value, Type: t, m: m}, nil
}

// validLabelName is Prometheus's classic label-name rule.
func validLabelName(s string) bool {
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// Matches reports whether the labels satisfy the matcher.
func (m Matcher) Matches(ls map[string]string) bool {
	if m.m == nil {
		return false // zero Matcher: never built by NewMatcher
	}
	return m.m.Matches(ls[m.Name])
}

// String is the matcher as amtool writes it: name="value".
func (m Matcher) String() string { return m.Name + m.Type.String() + strconv.Quote(m.Value) }

// IsRegex and IsEqual are the matcher in Alertmanager's API terms.
func (m Matcher) IsRegex() bool { return m.Type == MatchRegexp || m.Type == MatchNotRegexp }

// IsEqual is false for != and !~.
func (m Matcher) IsEqual() bool { return m.Type == MatchEqual || m.Type == MatchRegexp }

// TypeOf returns the match type of Alertmanager's isRegex/isEqual pair.
func TypeOf(isRegex, isEqual bool) MatchType {
	switch {
	case isRegex && isEqual:
		return MatchRegexp
	case isRegex:
		return MatchNotRegexp
	case isEqual:
		return MatchEqual
	}
	return MatchNotEqual
}

// ParseMatcher parses one matcher as amtool and the command line write it:
// name=value, name!=value, name=~regex or name!~regex, the value optionally
// in double quotes (Go escapes inside them).
func ParseMatcher(s string) (Matcher, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		return Matcher{}, fmt.Errorf("%w: %q: want name=value, name!=value, name=~regex or name!~regex", ErrInvalid, s)
	}
	name, rest := strings.TrimSpace(s[:i]), s[i:]
	var t MatchType
	switch {
	case strings.HasPrefix(rest, "=~"):
		t, rest = MatchRegexp, rest[2:]
	case strings.HasPrefix(rest, "!~"):
		t, rest = MatchNotRegexp, rest[2:]
	case strings.HasPrefix(rest, "!="):
		t, rest = MatchNotEqual, rest[2:]
	case strings.HasPrefix(rest, "="):
		t, rest = MatchEqual, rest[1:]
	default:
		return Matcher{}, fmt.Errorf("%w: %q: unknown operator", ErrInvalid, s)
	}
	val := strings.TrimSpace(rest)
	if strings.HasPrefix(val, `"`) {
		u, err := strconv.Unquote(val)
		if err != nil {
			return Matcher{}, fmt.Errorf("%w: %q: bad quoted value: %w", ErrInvalid, s, err)
		}
		val = u
	}
	return NewMatcher(t, name, val)
}

// ParseMatchers parses each argument with ParseMatcher.
func ParseMatchers(args []string) ([]Matcher, error) {
	ms := make([]Matcher, 0, len(args))
	for _, a := range args {
		m, err := ParseMatcher(a)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// matchAll reports whether every matcher matches.
func matchAll(ms []Matcher, ls map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(ls) {
			return false
		}
	}
	return true
}
