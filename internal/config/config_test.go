package config

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type sample struct {
	Listen   string   `yaml:"listen"`
	Interval Duration `yaml:"interval"`
	Labels   map[string]string
	Sources  []string `yaml:"sources"`
}

func (s *sample) Validate() error {
	if s.Listen == "" {
		return &LineError{Msg: "listen must be set"}
	}
	return nil
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; empty means success
	}{
		{name: "ok", in: "listen: :9100\ninterval: 2d\n"},
		{name: "unknown key", in: "listen: x\nlisten_adress: y\n", wantErr: "c.yml:2: field listen_adress not found"},
		{name: "bad duration", in: "listen: x\n\ninterval: fast\n", wantErr: `c.yml:3: invalid duration "fast"`},
		{name: "wrong type", in: "listen: x\nsources: 3\n", wantErr: "c.yml:2:"},
		{name: "syntax", in: "listen: x\n  - y: [\n", wantErr: "c.yml:"},
		{name: "validate", in: "interval: 1s\n", wantErr: "c.yml: listen must be set"},
		{name: "two documents", in: "listen: x\n---\nlisten: y\n", wantErr: "c.yml:2: a second YAML document"},
		{name: "empty still validated", in: "", wantErr: "listen must be set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s sample
			err := Decode("c.yml", []byte(tc.in), &s)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Decode error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "30s", want: 30 * time.Second},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "35d", want: 35 * 24 * time.Hour},
		{in: "0.5d", want: 12 * time.Hour},
		{in: "d", bad: true},
		{in: "-1s", bad: true},
		{in: "soon", bad: true},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseDuration(%q) = %v, want error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// lined records its line through a custom unmarshaler, which yaml.v3 decodes
// leniently; Decode must still reject unknown keys beneath it.
type lined struct {
	Name  string `yaml:"name"`
	Inner struct {
		A int `yaml:"a"`
	} `yaml:"inner"`
	line int
}

func (l *lined) UnmarshalYAML(n *yaml.Node) error {
	type plain lined
	l.line = n.Line
	return n.Decode((*plain)(l))
}

type holder struct {
	Items []lined          `yaml:"items"`
	Extra map[string]lined `yaml:"extra"`
	Base  `yaml:",inline"`
}

type Base struct {
	Site string `yaml:"site"`
}

func TestStrictBeneathCustomUnmarshaler(t *testing.T) {
	tests := []struct{ in, want string }{
		{"items:\n  - name: a\n    nmae: b\n", "h.yml:3: field nmae not found in type lined"},
		{"items:\n  - name: a\n    inner: {a: 1, b: 2}\n", "h.yml:3: field b not found"},
		{"extra:\n  x: {name: a, bogus: 1}\n", "h.yml:2: field bogus not found"},
		{"site: s1\nitems: [{name: a}]\n", ""},
		{"sight: s1\n", "h.yml:1: field sight not found in type holder"},
	}
	for _, tc := range tests {
		var h holder
		err := Decode("h.yml", []byte(tc.in), &h)
		if tc.want == "" {
			if err != nil || h.Site != "s1" || h.Items[0].line != 2 {
				t.Errorf("Decode(%q) = %v, %+v", tc.in, err, h)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%q) error = %v, want %q", tc.in, err, tc.want)
		}
	}
}
