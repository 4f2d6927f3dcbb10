package inspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// canonical re-encodes JSON with object keys sorted and no insignificant
// space, byte for byte as decoding into `any` (numbers kept as json.Number)
// and json.Marshal would: that is how record hashes were defined first, and
// canonical_test.go fuzzes the two against each other. It walks the text once
// instead of building maps, which matters for a run of 100,000 rows.
func canonical(s string) ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	c := canon{in: s}
	out := make([]byte, 0, len(s))
	out, err := c.value(out, 0)
	if err != nil {
		return nil, err
	}
	c.space()
	if c.pos != len(c.in) {
		return nil, fmt.Errorf("invalid character %q after top-level value", c.in[c.pos])
	}
	return out, nil
}

type canon struct {
	in  string
	pos int
}

const maxDepth = 10000

var errEnd = errors.New("unexpected end of JSON input")

func (c *canon) space() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *canon) value(out []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, errors.New("exceeded max depth")
	}
	c.space()
	if c.pos >= len(c.in) {
		return nil, errEnd
	}
	switch ch := c.in[c.pos]; {
	case ch == '{':
		return c.object(out, depth)
	case ch == '[':
		c.pos++
		out = append(out, '[')
		c.space()
		if c.pos < len(c.in) && c.in[c.pos] == ']' {
			c.pos++
			return append(out, ']'), nil
		}
		for first := true; ; first = false {
			if !first {
				out = append(out, ',')
			}
			var err error
			if out, err = c.value(out, depth+1); err != nil {
				return nil, err
			}
			c.space()
			if c.pos >= len(c.in) {
				return nil, errEnd
			}
			switch c.in[c.pos] {
			case ',':
				c.pos++
			case ']':
				c.pos++
				return append(out, ']'), nil
			default:
				return nil, fmt.Errorf("invalid character %q after array element", c.in[c.pos])
			}
		}
	case ch == '"':
		raw, err := c.str()
		if err != nil {
			return nil, err
		}
		return appendString(out, raw)
	case ch == 't':
		return c.lit(out, "true")
	case ch == 'f':
		return c.lit(out, "false")
	case ch == 'n':
		return c.lit(out, "null")
	case ch == '-' || (ch >= '0' && ch <= '9'):
		start := c.pos
		c.number()
		n := c.in[start:c.pos]
		if !json.Valid([]byte(n)) {
			return nil, fmt.Errorf("invalid number %q", n)
		}
		return append(out, n...), nil
	default:
		return nil, fmt.Errorf("invalid character %q looking for beginning of value", ch)
	}
}

func (c *canon) lit(out []byte, w string) ([]byte, error) {
	if len(c.in)-c.pos < len(w) || c.in[c.pos:c.pos+len(w)] != w {
		return nil, fmt.Errorf("invalid literal at offset %d", c.pos)
	}
	c.pos += len(w)
	return append(out, w...), nil
}

func (c *canon) number() {
	for c.pos < len(c.in) {
		switch ch := c.in[c.pos]; {
		case ch >= '0' && ch <= '9', ch == '-', ch == '+', ch == '.', ch == 'e', ch == 'E':
			c.pos++
		default:
			return
		}
	}
}

// str returns the raw string token including its quotes.
func (c *canon) str() (string, error) {
	start := c.pos
	c.pos++
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case '\\':
			c.pos += 2
		case '"':
			c.pos++
			return c.in[start:c.pos], nil
		default:
			c.pos++
		}
	}
	return "", errEnd
}

// plain reports whether a raw string token re-encodes as itself: no escapes,
// no control characters, nothing json.Marshal escapes, valid UTF-8.
func plain(raw string) bool {
	body := raw[1 : len(raw)-1]
	for i := 0; i < len(body); i++ {
		b := body[i]
		if b < 0x20 || b == '\\' || b == '<' || b == '>' || b == '&' || b == '"' {
			return false
		}
		if b >= 0x80 {
			r, size := utf8.DecodeRuneInString(body[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return false
			}
			i += size - 1
		}
	}
	return true
}

func unquote(raw string) (string, error) {
	if plain(raw) {
		return raw[1 : len(raw)-1], nil
	}
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return "", err
	}
	return s, nil
}

func appendString(out []byte, raw string) ([]byte, error) {
	if plain(raw) {
		return append(out, raw...), nil
	}
	s, err := unquote(raw)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return append(out, b...), nil
}

type member struct {
	key        string // unquoted
	start, end int    // the canonical value in the object's scratch buffer
}

func (c *canon) object(out []byte, depth int) ([]byte, error) {
	c.pos++
	c.space()
	if c.pos < len(c.in) && c.in[c.pos] == '}' {
		c.pos++
		return append(out, '{', '}'), nil
	}
	// Values are rendered after out's end, then moved into key order.
	base := len(out)
	var ms []member
	for {
		c.space()
		if c.pos >= len(c.in) {
			return nil, errEnd
		}
		if c.in[c.pos] != '"' {
			return nil, fmt.Errorf("invalid character %q looking for beginning of object key string", c.in[c.pos])
		}
		raw, err := c.str()
		if err != nil {
			return nil, err
		}
		key, err := unquote(raw)
		if err != nil {
			return nil, err
		}
		c.space()
		if c.pos >= len(c.in) || c.in[c.pos] != ':' {
			return nil, errors.New("expected ':' after object key")
		}
		c.pos++
		start := len(out)
		if out, err = c.value(out, depth+1); err != nil {
			return nil, err
		}
		m := member{key, start - base, len(out) - base}
		// A repeated key keeps the last value, as decoding into a map does.
		if i := slices.IndexFunc(ms, func(x member) bool { return x.key == key }); i >= 0 {
			ms[i] = m
		} else {
			ms = append(ms, m)
		}
		c.space()
		if c.pos >= len(c.in) {
			return nil, errEnd
		}
		if c.in[c.pos] == ',' {
			c.pos++
			continue
		}
		if c.in[c.pos] != '}' {
			return nil, fmt.Errorf("invalid character %q after object key:value pair", c.in[c.pos])
		}
		c.pos++
		break
	}
	scratch := append([]byte(nil), out[base:]...)
	out = out[:base]
	slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.key, b.key) })
	out = append(out, '{')
	for i, m := range ms {
		if i > 0 {
			out = append(out, ',')
		}
		var err error
		if out, err = appendString(out, quoteKey(m.key)); err != nil {
			return nil, err
		}
		out = append(out, ':')
		out = append(out, scratch[m.start:m.end]...)
	}
	return append(out, '}'), nil
}

// quoteKey returns a raw token for an unquoted key (appendString re-encodes
// it unless it is plain).
func quoteKey(k string) string {
	raw := `"` + k + `"`
	if plain(raw) {
		return raw
	}
	b, _ := json.Marshal(k)
	return string(b)
}
