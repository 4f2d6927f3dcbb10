// Package agent is roomwatch-agent: a light exporter for the machine room's
// Linux and Windows servers. It serves host metrics on /metrics under
// node_exporter's names (so existing dashboards and rules work unchanged) plus
// roomwatch_ series for what node_exporter lacks: watched processes and the host
// description that feeds the asset inventory.
//
// Each group of measurements is a source in a file of its own (cpu.go,
// memory.go, filesystem.go, …) listed in sourceTable. Every scrape runs the
// sources concurrently, bounds each by a timeout and reports
// node_scrape_collector_success and _duration_seconds per source, so a hung
// NFS mount or a missing sensor never fails or stalls the scrape. On Linux the
// sources read /proc and /sys directly and gopsutil is not linked; elsewhere
// gopsutil does the work (the *_other.go files).
//
// Run starts the parts as goroutines: the HTTP listener and, with a
// remote_write section, the pusher (push.go, internal/pushbuf) that gathers
// the same registry into an on-disk buffer and sends it to the collector.
//
// It owns the agent's configuration (config.go) and every source; it is wired
// by agent/cmd/roomwatch-agent, a thin main that calls Run.
package agent
