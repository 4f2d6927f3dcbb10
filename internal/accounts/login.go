package accounts

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ErrBadCredentials is the one answer to a wrong name, a wrong password or a
// disabled account: the login form must not tell them apart.
var ErrBadCredentials = errors.New("wrong user name or password")

// LockedError is returned while a name is locked after too many failures.
type LockedError struct {
	Until time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("too many failed logins: locked until %s", e.Until.Format(time.RFC3339))
}

// Login checks name and password and opens a session. It returns
// ErrBadCredentials or a *LockedError on failure. Unknown names cost the same
// bcrypt comparison as known ones and are locked out the same way, so neither
// the answer, its timing nor the lockout reveals whether a name exists.
// remote is the client address, for the audit log.
func (s *Store) Login(ctx context.Context, name, password, remote string) (Session, error) {
	now := s.o.Clock.Now()
	key := strings.ToLower(name)
	if len(key) > 256 {
		key = key[:256]
	}
	if until, err := s.lockedUntil(ctx, key, now); err != nil {
		return Session{}, err
	} else if !until.IsZero() {
		_ = s.compare(s.dummy, []byte(password)) // same timing
		t := until
		s.audit(ctx, Event{At: now, Kind: EventLoginFailure, User: name, Remote: remote, Reason: FailLocked, Until: &t})
		return Session{}, &LockedError{Until: until}
	}
	u, hash, err := s.getWithHash(ctx, "name = ?", name)
	reason := ""
	switch {
	case errors.Is(err, ErrNotFound):
		_ = s.compare(s.dummy, []byte(password))
		reason = FailUnknownUser
	case err != nil:
		return Session{}, err
	default:
		// bcrypt's comparison is constant-time in the hash it computes.
		if s.compare([]byte(hash), []byte(password)) != nil {
			reason = FailWrongPassword
		} else if u.Disabled {
			reason = FailDisabled
		}
	}
	if reason != "" {
		return Session{}, s.fail(ctx, key, name, remote, reason, now)
	}
	// A concurrent failure may have locked the name while bcrypt ran.
	s.mu.Lock()
	until, err := s.lockedUntil(ctx, key, now)
	if err == nil && until.IsZero() {
		_, err = s.db.ExecContext(ctx, `DELETE FROM failures WHERE name = ?`, key)
	}
	s.mu.Unlock()
	if err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	if !until.IsZero() {
		return Session{}, &LockedError{Until: until}
	}
	return s.newSession(ctx, u, remote, now, Event{At: now, Kind: EventLogin, User: u.Name, Remote: remote})
}

// lockedUntil returns the end of key's lockout, zero when not locked.
func (s *Store) lockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error) {
	var until int64
	err := s.db.QueryRowContext(ctx, `SELECT locked_until FROM failures WHERE name = ?`, key).Scan(&until)
	if err != nil {
		if errors.Is(err, errNoRows) {
			return time.Time{}, nil
		}
		return time.Time{}, fmt.Errorf("read failures: %w", err)
	}
	if t := time.Unix(0, until); until != 0 && now.Before(t) {
		return t, nil
	}
	return time.Time{}, nil
}

// fail counts a failed login and locks the name at MaxFailures. Failures
// older than Lockout are forgotten.
func (s *Store) fail(ctx context.Context, key, name, remote, reason string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var count int
	var last, locked int64
	err := s.db.QueryRowContext(ctx, `SELECT count, last_at, locked_until FROM failures WHERE name = ?`, key).Scan(&count, &last, &locked)
	if err != nil && !errors.Is(err, errNoRows) {
		return fmt.Errorf("read failures: %w", err)
	}
	if t := time.Unix(0, locked); locked != 0 && now.Before(t) {
		// Locked by a concurrent attempt meanwhile.
		return &LockedError{Until: t}
	}
	if err != nil || now.Sub(time.Unix(0, last)) > s.o.Lockout || locked != 0 {
		count = 0
	}
	count++
	var until time.Time
	if count >= s.o.MaxFailures {
		until = now.Add(s.o.Lockout)
	}
	var untilNS int64
	if !until.IsZero() {
		untilNS = until.UnixNano()
	}
	err = s.write(ctx, func(tx *sql.Tx) ([]Event, error) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO failures (name, count, last_at, locked_until) VALUES (?,?,?,?)
	  ON CONFLICT(name) DO UPDATE SET count = excluded.count, last_at = excluded.last_at, locked_until = excluded.locked_until`,
			key, count, now.UnixNano(), untilNS); err != nil {
			return nil, err
		}
		evs := one(Event{At: now, Kind: EventLoginFailure, User: name, Remote: remote, Reason: reason})
		if !until.IsZero() {
			evs = append(evs, Event{At: now, Kind: EventLockout, User: name, Remote: remote, Until: &until})
		}
		return evs, nil
	})
	if err != nil {
		return fmt.Errorf("count failure: %w", err)
	}
	// Forget stale counters (names typed once, long ago).
	if _, err := s.db.ExecContext(ctx, `DELETE FROM failures WHERE last_at < ? AND locked_until < ?`,
		now.Add(-s.o.Lockout).UnixNano(), now.UnixNano()); err != nil {
		s.o.Logger.Warn("prune login failures", "err", err)
	}
	if !until.IsZero() {
		return &LockedError{Until: until}
	}
	return ErrBadCredentials
}

// ChangePassword is the user's own change: old must be right and new must
// meet the policy and differ from old. Every session of the user ends; the
// returned session replaces the caller's.
func (s *Store) ChangePassword(ctx context.Context, name, old, new, remote string) (Session, error) {
	u, hash, err := s.getWithHash(ctx, "name = ?", name)
	if err != nil {
		return Session{}, err
	}
	if u.Disabled {
		return Session{}, ErrBadCredentials
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(old)) != nil {
		s.audit(ctx, Event{At: s.o.Clock.Now(), Kind: EventPasswordChange, User: u.Name, Remote: remote, Reason: FailWrongPassword})
		return Session{}, ErrBadCredentials
	}
	if subtle.ConstantTimeCompare([]byte(old), []byte(new)) == 1 {
		return Session{}, &PolicyError{Reason: ReasonSameAsOld, Policy: s.o.Policy}
	}
	if err := s.o.Policy.Check(u.Name, new); err != nil {
		return Session{}, err
	}
	now := s.o.Clock.Now()
	if err := s.setPassword(ctx, u, new, false, Event{At: now, Kind: EventPasswordChange, User: u.Name, Remote: remote}); err != nil {
		return Session{}, err
	}
	u.MustChangePassword = false
	return s.newSession(ctx, u, remote, now)
}
