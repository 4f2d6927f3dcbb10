// Package devtools holds code that is not part of either binary: the
// benchmark programs under bench/ (run by deploy/dev/bench-*.sh), and the
// generators whose output the tests pin, catalog (the metric catalogue,
// docs/metrics.md) and dashboards (the Grafana JSON under dashboards/).
// Nothing in agent/ or collector/ imports it.
package devtools
