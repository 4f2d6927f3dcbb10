package collector

import (
	"context"
	"fmt"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/report"
)

// wireConsole opens the account database and mounts the web console at "/":
// every path the APIs above do not claim (/api/…, /metrics, /-/…) is the
// console's. Logins, logouts and failures go to accounts.db's chained audit
// table, and also to the audit file when one is configured
// (tickets.audit_file). API tokens an admin issues in the console
// are accepted by every API beside the configured ones.
func wireConsole(ctx context.Context, s *Server) error {
	st := s.stores
	ao := s.cfg.Console.AccountOptions(st.Dir.AccountsDB())
	ao.Clock, ao.Logger, ao.Chain = s.opts.Clock, s.log, st.Chain
	if st.Tickets != nil && st.Tickets.audit != nil {
		ao.Audit = st.Tickets.audit
	}
	acc, err := accounts.Open(ctx, ao)
	if err != nil {
		return fmt.Errorf("console: accounts: %w", err)
	}
	st.Accounts = acc
	st.onClose(acc.Close)
	if err := st.startAccountsChain(ctx, s.log); err != nil { // chains.go
		return fmt.Errorf("console: accounts: %w", err)
	}
	if err := acc.WarnIfNoAdmin(ctx, s.log, st.Dir.Root); err != nil {
		return fmt.Errorf("console: accounts: %w", err)
	}
	if s.auth != nil {
		s.auth.UseSource(acc)
	}
	loc, _ := s.cfg.Location()
	co := console.Options{Accounts: acc, Clock: s.opts.Clock, Logger: s.log, Location: loc, People: acc,
		MaxFailures: s.cfg.Console.MaxFailures, Lockout: s.cfg.Console.Lockout.Std(),
		Devices: newDeviceIndex(&s.cfg.Inventory), Sources: s.consoleSources(acc)}
	if st.Tickets != nil { // the duty desk and the ticket pages
		co.Tickets = st.Tickets.svc
	}
	if st.Inspections != nil {
		co.Inspections = st.Inspections
	}
	if st.Roster != nil { // the 值班表 page and the desk's on-duty line (wire_roster.go)
		co.Roster = st.Roster.roster
	}
	if sl := st.Silences; sl != nil && sl.set != nil {
		co.Silences = consoleSet{Set: sl.set, kick: sl.kick}
	}
	c, err := console.New(co)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	s.OnShutdown(c.StopStreams)
	s.Handle("/", c)
	return nil
}

// consoleSources are the stores behind the console's pages.
func (s *Server) consoleSources(acc *accounts.Store) console.Sources {
	st := s.stores
	loc, _ := s.cfg.Location()
	src := console.Sources{
		Templates: s.templates,
		Sheet:     report.SheetOptions{Bureau: s.cfg.Global.Bureau, Location: loc},
		PhotoDir:  st.Dir.PhotoDir(),
		Report:    report.Options{Bureau: s.cfg.Global.Bureau, Location: loc, Clock: s.opts.Clock},
		PDF:       s.printer(),
		Inventory: &s.cfg.Inventory,
		Users:     acc,
		Tokens:    acc,
	}
	rs := st.ReportSources(&s.cfg, s.templates)
	src.Reports = &rs
	if st.Inspections != nil {
		src.Inspections = st.Inspections
	}
	if s.runner != nil {
		src.Runner = s.runner
	}
	if st.Metrics != nil {
		src.Metrics = st.Metrics
	}
	if svc := st.TicketService(); svc != nil {
		src.Tickets = svc
	}
	// The audit search reads the chained tables; tickets.audit_file, when
	// set, is a copy of them.
	logs := console.AuditLogs{console.AuditSearch(acc.SearchAudit)}
	if st.Tickets != nil {
		logs = append(logs, console.AuditSearch(st.Tickets.db.SearchAudit))
	}
	if st.Roster != nil { // overrides added and removed (wire_roster.go)
		logs = append(logs, console.AuditSearch(st.Roster.store.SearchAudit))
	}
	src.Audit = logs
	return src
}
