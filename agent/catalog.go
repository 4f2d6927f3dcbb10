package agent

import (
	"github.com/jonboulle/clockwork"
	dto "github.com/prometheus/client_model/go"
)

// CatalogFamilies gathers every source once against the /proc, /sys and /etc
// tree under root (the agent's test fixture, agent/testdata/root) with a
// watch list of one process, and returns the metric families: what the agent
// exposes, for internal/devtools/catalog. The values are the fixture's; only the
// names, types, help and label names matter. No remote write section is
// configured, so the push series (push.go) are not among them.
func CatalogFamilies(root string) ([]*dto.MetricFamily, error) {
	cfg := DefaultConfig()
	cfg.Watch = []WatchRule{{Name: "init", Process: "systemd"}}
	opts := Options{Config: cfg, Clock: clockwork.NewFakeClock(), root: root}
	opts.defaults()
	reg, err := newRegistry(&opts)
	if err != nil {
		return nil, err
	}
	return reg.Gather()
}
