package accounts

import "time"

// AuditSink receives account events, e.g. *auth.AuditFile (JSON lines), the
// same interface the ticket service writes to.
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

func (s *Store) audit(e Event) {
	if s.o.Audit == nil {
		return
	}
	if err := s.o.Audit.AppendJSON(e); err != nil {
		s.o.Logger.Error("audit log", "kind", e.Kind, "user", e.User, "err", err)
	}
}
