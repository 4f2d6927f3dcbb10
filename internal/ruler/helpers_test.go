package ruler

import (
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
)

// New0 returns a bare rule manager for loading files in tests.
func New0(t *testing.T) *rules.Manager {
	t.Helper()
	return rules.NewManager(&rules.ManagerOptions{})
}

// mustLabels parses a PromQL series selector with equality matchers only.
func mustLabels(t *testing.T, sel string) labels.Labels {
	t.Helper()
	ls, err := parser.NewParser(parser.Options{}).ParseMetric(sel)
	if err != nil {
		t.Fatalf("parse %s: %v", sel, err)
	}
	return ls
}
