package collector

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReachabilityAlertsFromRules: the ticket pipeline's reachability list
// is the configured one plus every family="reachability" rule loaded, so the
// shipped device-down rules and a site's own rule correlate children.
func TestReachabilityAlertsFromRules(t *testing.T) {
	t.Parallel()
	own := filepath.Join(t.TempDir(), "own.yml")
	if err := os.WriteFile(own, []byte(`groups:
- name: own
  rules:
  - alert: GateControllerSilent
    expr: roomwatch_probe_up{class="env"} == 0
    labels: {family: reachability}
  - alert: GateOpen
    expr: roomwatch_env_door_open == 1
    labels: {family: security}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Rules.Files = []string{filepath.Join("..", "rules", "alerts", "*.yml"), own}
	cfg.Tickets.ReachabilityAlerts = []string{"ConfiguredDown"}
	got, err := reachabilityAlerts(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ConfiguredDown", "NetworkDeviceDown", "NVRDown", "CheckpointOffline", "GateControllerSilent"} {
		if !slices.Contains(got, want) {
			t.Errorf("reachability alerts %v lack %s", got, want)
		}
	}
	if slices.Contains(got, "GateOpen") {
		t.Errorf("GateOpen (family security) is in %v", got)
	}
}
