// Package catalog is roomwatch's catalogue of metric names: every metric
// family the agent, the probes, the SNMP profiles, the agent registry, the
// collector itself and the recording rules produce, built from the code and
// the data files rather than from a hand-kept list.
//
// Build assembles it from four kinds of evidence:
//   - the agent's sources, gathered once against the agent's /proc and /sys
//     fixture (agent.CatalogFamilies), so node_exporter-compatible names that
//     are derived at run time (node_memory_*_bytes) are exact;
//   - the Go source of the probes and the collector, read with go/parser:
//     probe.Result.Add calls, prometheus.NewDesc and *Opts literals,
//     buildinfo collectors and package-level name constants;
//   - the SNMP device profiles (rules/profiles, loaded with snmp.LoadProfiles);
//   - the alerting rule files (recording rules' outputs, and ALERTS with the
//     labels the alerting rules set).
//
// Check tests (catalog_test.go) hold rules, inspection templates and the
// Grafana dashboards to the catalogue, and the docs/metrics.md golden file is
// rendered from it, so a renamed metric breaks a test, not the wall display.
//
// It owns no runtime code: nothing in agent/ or collector/ imports it; its
// tests are where it is used.
package catalog
