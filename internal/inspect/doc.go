// Package inspect runs roomwatch's scheduled and on-demand inspections (巡检):
// templates (data under rules/inspections/) list check items per device class,
// each a PromQL metric check with thresholds, a file-freshness check or a
// manual check an engineer completes. A run evaluates every item for every
// matching inventory device, opens tickets for abnormal items through the
// ticket intake, and stores the result as an append-only, SHA-256 hash-chained
// record in SQLite, which Verify checks.
//
// It owns templates (template.go), schedules (schedule.go, cron.go), runs
// (run.go), the record store and its hash chain (store.go, canonical.go) and
// photos (photo.go); the HTTP API is inspect/api. It is wired by the collector
// (collector/wire_inspect.go) and the CLI (collector/cli/inspect.go).
package inspect
