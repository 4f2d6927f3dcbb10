package collector

import (
	"path/filepath"
)

// DataDir is the collector's data directory and the one place that knows its
// layout:
//
//	<root>/roomwatch.lock     who holds the directory (lock.go)
//	<root>/tsdb/              the embedded TSDB (storage.path overrides)
//	<root>/tickets.db         tickets, events, parts (tickets.db overrides)
//	<root>/inspections.db     inspection records and their hash chain
//	<root>/inspections/photos inspection photos, named by content hash
//	<root>/agents.json        the agent registry
//	<root>/accounts.db        console accounts and sessions
//	<root>/integrity.key      the records' HMAC key (integrity.key_file overrides)
//	<root>/rules/             the embedded rules, extracted by serve
//
// Stores (stores.go) opens what is in it; nothing else joins these names.
type DataDir struct {
	// Root is global.data_dir.
	Root string
	// tsdb, tickets and key are the configured overrides (storage.path,
	// tickets.db, integrity.key_file).
	tsdb, tickets, key string
}

// NewDataDir returns the data directory of cfg, with its path overrides.
func NewDataDir(cfg *Config) DataDir {
	return DataDir{Root: cfg.Global.DataDir, tsdb: cfg.Storage.Path, tickets: cfg.Tickets.DB, key: cfg.Integrity.KeyFile}
}

// File names inside the data directory.
const (
	lockFile        = "roomwatch.lock"
	tsdbDirName     = "tsdb"
	ticketsDBName   = "tickets.db"
	inspectionsName = "inspections.db"
	agentsFile      = "agents.json"
	accountsDBName  = "accounts.db"
	rulesDirName    = "rules"
)

// Lock is the lock file that keeps a second writer off the directory.
func (d DataDir) Lock() string { return filepath.Join(d.Root, lockFile) }

// TSDB is where the TSDB lives: storage.path, else <root>/tsdb.
func (d DataDir) TSDB() string {
	if d.tsdb != "" {
		return d.tsdb
	}
	return filepath.Join(d.Root, tsdbDirName)
}

// TicketsDB is the ticket database: tickets.db, else <root>/tickets.db.
func (d DataDir) TicketsDB() string {
	if d.tickets != "" {
		return d.tickets
	}
	return filepath.Join(d.Root, ticketsDBName)
}

// InspectionsDB is the inspection record database.
func (d DataDir) InspectionsDB() string { return filepath.Join(d.Root, inspectionsName) }

// PhotoDir is where inspection photos are kept.
func (d DataDir) PhotoDir() string { return filepath.Join(d.Root, "inspections", "photos") }

// Agents is the agent registry's file.
func (d DataDir) Agents() string { return filepath.Join(d.Root, agentsFile) }

// AccountsDB is the console's account database.
func (d DataDir) AccountsDB() string { return filepath.Join(d.Root, accountsDBName) }

// Rules is where serve extracts the embedded rules, profiles and templates.
func (d DataDir) Rules() string { return filepath.Join(d.Root, rulesDirName) }
