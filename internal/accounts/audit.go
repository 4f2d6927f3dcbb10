package accounts

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AuditSink receives account events, e.g. *auth.AuditFile (JSON lines), the
// same interface the ticket service writes to. It is the optional copy of
// the chained audit table (auditchain.go).
type AuditSink interface {
	AppendJSON(v any) error
}

// Kinds of audit events.
const (
	EventLogin          = "login"
	EventLoginFailure   = "login_failure"
	EventLockout        = "lockout"
	EventLogout         = "logout"
	EventSessionExpired = "session_expired"
	EventPasswordChange = "password_change"
	EventPasswordReset  = "password_reset"
	EventUserAdd        = "user_add"
	EventUserDisable    = "user_disable"
	EventUserEnable     = "user_enable"
)

// Reasons of login failures (in the audit log only: the person at the
// login form always reads the same message, so that it does not tell which
// names exist).
const (
	FailUnknownUser   = "unknown_user"
	FailWrongPassword = "wrong_password"
	FailDisabled      = "disabled"
	FailLocked        = "locked"
)

// Event is one account event in the audit log.
type Event struct {
	At     time.Time  `json:"at"`
	Kind   string     `json:"kind"`
	User   string     `json:"user"`            // the account concerned (as typed, for failures)
	Actor  string     `json:"actor,omitempty"` // who did it when not the user (admin, "cli")
	Remote string     `json:"remote,omitempty"`
	Reason string     `json:"reason,omitempty"`
	Until  *time.Time `json:"until,omitempty"` // end of a lockout
}

// write runs fn in one transaction and appends the events it returns to
// the chained audit table in the same transaction: the change and its record
// commit together or not at all. The file copy is written after the commit.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) ([]Event, error)) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	events, err := fn(tx)
	if err != nil {
		return err
	}
	for _, e := range events {
		if err := s.appendAudit(ctx, tx, e); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, e := range events {
		s.fileCopy(e)
	}
	return nil
}

// audit records an event that goes with no change of its own (a refused
// login while locked, a wrong old password). A failure is logged: the
// caller's answer does not depend on it.
func (s *Store) audit(ctx context.Context, e Event) {
	err := s.write(ctx, func(*sql.Tx) ([]Event, error) { return []Event{e}, nil })
	if err != nil {
		s.o.Logger.Error("audit table", "kind", e.Kind, "user", e.User, "err", err)
	}
}

// one is a write's result of a single event.
func one(e Event) []Event { return []Event{e} }

func (s *Store) fileCopy(e Event) {
	if s.o.Audit == nil {
		return
	}
	if err := s.o.Audit.AppendJSON(e); err != nil {
		s.o.Logger.Error("audit file", "kind", e.Kind, "user", e.User, "err", fmt.Errorf("copy of the audit table: %w", err))
	}
}
