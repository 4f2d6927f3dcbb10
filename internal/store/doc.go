// Package store is the collector's embedded time-series store: a Prometheus TSDB
// in the data directory with the PromQL engine over it. It exposes the standard
// storage interfaces (storage.Appendable for ingest, storage.Queryable for
// queries and rules) and a small Querier for inspections and reports, which has
// a second implementation over an external Prometheus HTTP API (scale mode).
//
// It owns the TSDB directory and its lock, the PromQL engine and the sample
// sink; the collector wires it (collector/server.go, core_config.go, scrape.go)
// and the CLI opens it read-only for reports and inspections.
package store
