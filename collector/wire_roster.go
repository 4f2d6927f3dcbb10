package collector

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/roster"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// dutyRoster is serve's duty roster: the `roster:` section with the
// overrides kept in roster.db. The roster has its own file rather than a
// table in accounts.db or tickets.db: its overrides and their audit are
// neither accounts nor tickets, a backup or restore of either leaves it be,
// and it migrates on its own (user_version).
type dutyRoster struct {
	roster *roster.Roster
	store  *roster.Store
	acc    lateAccounts
}

// lateAccounts is the account store for the roster: the escalator needs
// the roster before the console opens accounts.db (wireConsole), so the
// roster looks people up through this until wireRoster sets it.
type lateAccounts struct {
	p atomic.Pointer[accounts.Store]
}

// errAccountsNotOpen: a lookup before accounts.db is open (the first
// moments of serve); the notice then goes as without a roster.
var errAccountsNotOpen = errors.New("accounts not open yet")

func (l *lateAccounts) Get(ctx context.Context, name string) (accounts.User, error) {
	a := l.p.Load()
	if a == nil {
		return accounts.User{}, errAccountsNotOpen
	}
	return a.Get(ctx, name)
}

// openRoster opens roster.db and builds the roster (before the ticket
// pipeline mounts its escalator, which asks it who is on duty).
func openRoster(ctx context.Context, s *Server) error {
	st := s.stores
	path := st.Dir.RosterDB()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	var hol *calendar.Holidays
	if st.Tickets != nil {
		hol = st.Tickets.sla.Holidays
	} else if loaded, err := s.cfg.SLA.Load(); err == nil {
		hol = loaded.Holidays
	} else {
		return fmt.Errorf("roster: holiday calendar: %w", err)
	}
	db, err := roster.OpenStore(ctx, path)
	if err != nil {
		return err
	}
	st.onClose(db.Close)
	loc, _ := s.cfg.Location()
	dr := &dutyRoster{store: db}
	dr.roster, err = roster.New(ctx, roster.Options{Config: s.cfg.Roster, Location: loc, Holidays: hol, Store: db,
		Accounts: &dr.acc, Clock: s.opts.Clock, Logger: s.log})
	if err != nil {
		return err
	}
	st.Roster = dr
	return nil
}

// duty is the escalator's roster (nil without one).
func (s *Server) duty() tickets.DutyRoster {
	if s.stores.Roster == nil {
		return nil
	}
	return s.stores.Roster.roster
}

// escalationAccounts is the escalator's account lookup (the filer of a
// complaint, for the reply notice): accounts.db once the console opened it
// (lateAccounts); nil without a roster.
func (s *Server) escalationAccounts() tickets.Accounts {
	if s.stores.Roster == nil {
		return nil
	}
	return &s.stores.Roster.acc
}

// wireRoster, after the console opened accounts.db, lets the roster look
// people up, mounts the roster API and warns of names on the roster that
// have no enabled account (also shown on the console's roster page).
func wireRoster(ctx context.Context, s *Server) error {
	dr := s.stores.Roster
	if dr == nil {
		return nil
	}
	if s.stores.Accounts != nil {
		dr.acc.p.Store(s.stores.Accounts)
	}
	h, err := roster.NewAPI(roster.APIOptions{Roster: dr.roster, Auth: s.auth, Logger: s.log})
	if err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	for _, p := range roster.Routes {
		s.Handle(p, h)
	}
	probs, err := dr.roster.Problems(ctx)
	if err != nil {
		return err
	}
	for _, p := range probs {
		s.log.Warn("值班表中的账号不存在或已停用 / duty roster names an account that does not exist or is disabled",
			"user", p.User, "where", p.Where, "disabled", p.Disabled)
	}
	return nil
}
