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
//	<root>/rollups.db         daily availability per device, kept 800 days
//	<root>/reports/           scheduled reports as delivered (reports.dir overrides)
//	<root>/silences.db        maintenance windows (silences)
//	<root>/roster.db          duty roster overrides added through the API, with their audit
//	<root>/integrity.key      the records' HMAC key (integrity.key_file overrides)
//	<root>/rules/             the embedded rules, extracted by serve
//
// Stores (stores.go) opens what is in it; nothing else joins these names.
type DataDir struct {
	// Root is global.data_dir.
	Root string
	// tsdb, tickets, reports and key are the configured overrides
	// (storage.path, tickets.db, reports.dir, integrity.key_file).
	tsdb, tickets, reports, key string
}

// NewDataDir returns the data directory of cfg, with its path overrides.
func NewDataDir(cfg *Config) DataDir {
	return DataDir{Root: cfg.Global.DataDir, tsdb: cfg.Storage.Path, tickets: cfg.Tickets.DB, reports: cfg.Reports.Dir, key: cfg.Integrity.KeyFile}
}

// File names inside the data directory.
const (
	lockFile        = "roomwatch.lock"
	tsdbDirName     = "tsdb"
	ticketsDBName   = "tickets.db"
	inspectionsName = "inspections.db"
	agentsFile      = "agents.json"
	accountsDBName  = "accounts.db"
	rollupsDBName   = "rollups.db"
	reportsDirName  = "reports"
	silencesDBName  = "silences.db"
	rosterDBName    = "roster.db"
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

// Reports is where scheduled reports are kept: reports.dir, else <root>/reports.
func (d DataDir) Reports() string {
	if d.reports != "" {
		return d.reports
	}
	return filepath.Join(d.Root, reportsDirName)
}

// Rollups is the database of daily availability roll-ups.
func (d DataDir) Rollups() string { return filepath.Join(d.Root, rollupsDBName) }

// SilencesDB is the maintenance-window (silence) database.
func (d DataDir) SilencesDB() string { return filepath.Join(d.Root, silencesDBName) }

// RosterDB is the duty roster's database (roster.db).
func (d DataDir) RosterDB() string { return filepath.Join(d.Root, rosterDBName) }

// Rules is where serve extracts the embedded rules, profiles and templates.
func (d DataDir) Rules() string { return filepath.Join(d.Root, rulesDirName) }
