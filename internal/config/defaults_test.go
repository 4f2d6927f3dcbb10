package config

import (
	"errors"
	"testing"
)

type defSection struct {
	Name  string `yaml:"name"`
	Level int    `yaml:"level"`
}

func (s *defSection) ApplyDefaults() {
	if s.Level == 0 {
		s.Level = 3
	}
}

type defFile struct {
	Section defSection   `yaml:"section"`
	Ptr     *defSection  `yaml:"ptr"`
	List    []defSection `yaml:"list"`
	filled  bool
}

func (f *defFile) ApplyDefaults() {
	// Runs after the sections': it sees their defaults.
	f.filled = f.Section.Level == 3
}

func (f *defFile) Validate() error {
	if !f.filled || f.Section.Level != 3 || f.Ptr.Level != 3 || f.List[0].Level != 3 || f.List[1].Level != 1 {
		return errors.New("defaults not applied before Validate")
	}
	return nil
}

// TestDecodeAppliesDefaultsBeforeValidate: every Defaulter inside the decoded
// value fills its fields, innermost first, before Validate runs.
func TestDecodeAppliesDefaultsBeforeValidate(t *testing.T) {
	var f defFile
	data := "section: {name: a}\nptr: {name: b}\nlist: [{name: c}, {name: d, level: 1}]\n"
	if err := Decode("t.yml", []byte(data), &f); err != nil {
		t.Fatal(err)
	}
}
