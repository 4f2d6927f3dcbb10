// Package config loads roomwatch's YAML files strictly: an unknown key, a value of
// the wrong type or a failed validation is reported with the file name and the line
// it stands on, so an engineer can fix a config without reading source code.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Validator is implemented by config types that check their own values after
// decoding. Errors should be LineErrors (see Errorf) when a line is known.
type Validator interface {
	Validate() error
}

// Defaulter is implemented by config types that fill the fields a file left
// empty with their defaults. Decode calls ApplyDefaults on the decoded value
// and on every struct inside it (innermost first) before Validate, so that
// Validate only checks and never changes the value.
type Defaulter interface {
	ApplyDefaults()
}

// ApplyDefaults calls ApplyDefaults on every Defaulter in v, a pointer: the
// structs inside v (through exported struct fields, pointers and slices)
// first, then v itself.
func ApplyDefaults(v any) {
	applyDefaults(reflect.ValueOf(v))
}

func applyDefaults(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		e := v.Elem()
		if e.Kind() == reflect.Struct {
			for i := 0; i < e.NumField(); i++ {
				if e.Type().Field(i).IsExported() {
					applyDefaults(e.Field(i).Addr())
				}
			}
		} else {
			applyDefaults(e)
		}
		if d, ok := v.Interface().(Defaulter); ok {
			d.ApplyDefaults()
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if el := v.Index(i); el.CanAddr() {
				applyDefaults(el.Addr())
			}
		}
	}
}

// LineError is a problem at one line of a config file.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	case e.File != "":
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return e.Msg
}

// Errorf returns a LineError for the given YAML node (nil means "no line known").
func Errorf(node *yaml.Node, format string, args ...any) error {
	e := &LineError{Msg: fmt.Sprintf(format, args...)}
	if node != nil {
		e.Line = node.Line
	}
	return e
}

// ValueNode returns the value node of key in the mapping n, or n itself when
// n is not a mapping or lacks key: Errorf(ValueNode(n, "level"), …) points at
// the offending value's line rather than the start of its mapping.
func ValueNode(n *yaml.Node, key string) *yaml.Node {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	}
	return n
}

// LoadFile reads path and decodes it strictly into v (see Decode).
func LoadFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	return Decode(path, data, v)
}

// Decode decodes YAML strictly into v: unknown keys and type mismatches are errors
// naming their line, and v.Validate is called when v implements Validator. The
// name is used as the file name in error messages. An empty document leaves v as
// it was (so defaults set before the call stand) and still validates it.
// Defaulters in v fill their empty fields (see ApplyDefaults) before Validate.
func Decode(name string, data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if err != nil && !errors.Is(err, io.EOF) {
		return withFile(name, err)
	}
	if err == nil {
		var extra yaml.Node
		if dec.Decode(&extra) == nil {
			return &LineError{File: name, Line: extra.Line, Msg: "a second YAML document is not allowed here"}
		}
		if err := checkKeys(&doc, reflect.TypeOf(v)); err != nil {
			return withFile(name, err)
		}
		if err := doc.Decode(v); err != nil {
			return withFile(name, err)
		}
	}
	ApplyDefaults(v)
	if val, ok := v.(Validator); ok {
		if err := val.Validate(); err != nil {
			return withFile(name, err)
		}
	}
	return nil
}

// withFile puts the file name in front of yaml.v3 and LineError messages.
func withFile(name string, err error) error {
	var le *LineError
	if errors.As(err, &le) {
		if le.File == "" {
			c := *le
			c.File = name
			return &c
		}
		return err
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		// yaml.v3 reports "line N: msg" per problem; keep every one.
		msgs := make([]string, 0, len(te.Errors))
		for _, m := range te.Errors {
			msgs = append(msgs, name+":"+strings.TrimPrefix(m, "line "))
		}
		return fmt.Errorf("invalid config: %s", strings.Join(msgs, "; "))
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		return fmt.Errorf("invalid config: %s:%s", name, rest)
	}
	return fmt.Errorf("invalid config: %s: %s", name, msg)
}

// Duration is a time.Duration written in YAML as "30s", "5m", "1h30m" or "2d".
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler with the line of a bad value.
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return Errorf(node, "expected a duration such as 30s or 5m")
	}
	v, err := ParseDuration(node.Value)
	if err != nil {
		return Errorf(node, "invalid duration %q: use a number with a unit: ms, s, m, h, d", node.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// ParseDuration is time.ParseDuration plus a "d" (24 h) unit, as in Prometheus.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok && days != "" && !strings.ContainsAny(days, "hmsun") {
		var n float64
		if _, err := fmt.Sscanf(days, "%g", &n); err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return v, nil
}
