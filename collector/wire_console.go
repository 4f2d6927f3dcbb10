package collector

import (
	"context"
	"fmt"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/console"
)

// wireConsole opens the account database and mounts the web console at "/":
// every path the APIs above do not claim (/api/…, /metrics, /-/…) is the
// console's. Logins, logouts and failures go to the audit file when one is
// configured (tickets.audit_file).
func wireConsole(ctx context.Context, s *Server) error {
	st := s.stores
	ao := accounts.Options{Path: st.Dir.AccountsDB(), Clock: s.opts.Clock, Logger: s.log}
	if st.Tickets != nil && st.Tickets.audit != nil {
		ao.Audit = st.Tickets.audit
	}
	acc, err := accounts.Open(ctx, ao)
	if err != nil {
		return fmt.Errorf("console: accounts: %w", err)
	}
	st.Accounts = acc
	st.onClose(acc.Close)
	if err := acc.WarnIfNoAdmin(ctx, s.log, st.Dir.Root); err != nil {
		return fmt.Errorf("console: accounts: %w", err)
	}
	loc, _ := s.cfg.Location()
	co := console.Options{Accounts: acc, Clock: s.opts.Clock, Logger: s.log, Location: loc, People: acc,
		Devices: newDeviceIndex(&s.cfg.Inventory)}
	if st.Tickets != nil { // the duty desk and the ticket pages
		co.Tickets = st.Tickets.svc
	}
	if st.Inspections != nil {
		co.Inspections = st.Inspections
	}
	c, err := console.New(co)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	s.OnShutdown(c.StopStreams)
	s.Handle("/", c)
	return nil
}
