package collector

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// TestConsoleEnabled: the console is on unless console.enabled is false.
func TestConsoleEnabled(t *testing.T) {
	for _, c := range []struct {
		yaml string
		on   bool
	}{
		{`{}`, true},
		{`{max_failures: 5}`, true},
		{`{enabled: true}`, true},
		{`{enabled: false}`, false},
	} {
		var cc Console
		if err := yaml.Unmarshal([]byte(c.yaml), &cc); err != nil {
			t.Fatalf("%s: %v", c.yaml, err)
		}
		if cc.On() != c.on {
			t.Errorf("%s: On() = %v, want %v", c.yaml, cc.On(), c.on)
		}
		if err := cc.Validate(); err != nil {
			t.Errorf("%s: %v", c.yaml, err)
		}
	}
}
