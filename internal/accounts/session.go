package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

var errNoRows = sql.ErrNoRows

// ErrNoSession means the session id is unknown, expired or of a disabled user.
var ErrNoSession = errors.New("no such session (expired or logged out)")

// Session is a logged-in user's session.
type Session struct {
	// Token is the cookie value: 256 random bits, base64url. The database
	// holds only its SHA-256, so a copy of the database opens no session.
	Token string
	User  User
	// CSRF is the session's anti-forgery token, derived from Token: forms
	// carry it, and it can only be computed by whoever holds the cookie.
	CSRF      string
	CreatedAt time.Time
	LastSeen  time.Time
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func csrfOf(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("roomwatch csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports, in constant time, whether got is the session's CSRF token.
func (s Session) CheckCSRF(got string) bool {
	return s.CSRF != "" && hmac.Equal([]byte(s.CSRF), []byte(got))
}

// newSession opens a session of u and records events with it, in one
// transaction.
func (s *Store) newSession(ctx context.Context, u User, remote string, now time.Time, events ...Event) (Session, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Session{}, fmt.Errorf("session id: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	// Expired sessions of anyone go when someone logs in.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen < ? OR created_at < ?`,
		now.Add(-s.o.IdleTimeout).UnixNano(), now.Add(-s.o.MaxLifetime).UnixNano()); err != nil {
		s.o.Logger.Warn("prune sessions", "err", err)
	}
	if len(remote) > 100 {
		remote = remote[:100]
	}
	err := s.write(ctx, func(tx *sql.Tx) ([]Event, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen, remote) VALUES (?,?,?,?,?)`,
			hashToken(tok), u.ID, now.UnixNano(), now.UnixNano(), remote)
		return events, err
	})
	if err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	return Session{Token: tok, User: u, CSRF: csrfOf(tok), CreatedAt: now, LastSeen: now}, nil
}

// touchEvery bounds how often a session's last use is written (one write per
// request would be one fsync per page).
const touchEvery = 15 * time.Second

// Session returns the session of token and marks it used. It returns
// ErrNoSession when the token is unknown, idle for IdleTimeout, older than
// MaxLifetime, or its user is disabled.
func (s *Store) Session(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	now := s.o.Clock.Now()
	id := hashToken(token)
	var created, seen int64
	var uid int64
	var remote string
	err := s.db.QueryRowContext(ctx, `SELECT user_id, created_at, last_seen, remote FROM sessions WHERE id_hash = ?`, id).
		Scan(&uid, &created, &seen, &remote)
	if errors.Is(err, errNoRows) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	u, err := s.getBy(ctx, "id = ?", uid)
	if errors.Is(err, ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	createdAt, seenAt := time.Unix(0, created), time.Unix(0, seen)
	reason := ""
	switch {
	case u.Disabled:
		reason = FailDisabled
	case now.Sub(seenAt) >= s.o.IdleTimeout:
		reason = "idle"
	case now.Sub(createdAt) >= s.o.MaxLifetime:
		reason = "lifetime"
	}
	if reason != "" {
		err := s.write(ctx, func(tx *sql.Tx) ([]Event, error) {
			res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, id)
			if err != nil {
				return nil, err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil, nil // ended meanwhile (and recorded there)
			}
			return one(Event{At: now, Kind: EventSessionExpired, User: u.Name, Remote: remote, Reason: reason}), nil
		})
		if err != nil {
			return Session{}, fmt.Errorf("end session: %w", err)
		}
		return Session{}, ErrNoSession
	}
	if now.Sub(seenAt) >= touchEvery {
		if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE id_hash = ?`, now.UnixNano(), id); err != nil {
			return Session{}, fmt.Errorf("touch session: %w", err)
		}
		seenAt = now
	}
	return Session{Token: token, User: u, CSRF: csrfOf(token), CreatedAt: createdAt, LastSeen: seenAt}, nil
}

// Logout ends the session of token (no error when there is none).
func (s *Store) Logout(ctx context.Context, token, remote string) error {
	sess, err := s.Session(ctx, token)
	if errors.Is(err, ErrNoSession) {
		return nil
	}
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) ([]Event, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, hashToken(token))
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil // ended meanwhile
		}
		return one(Event{At: s.o.Clock.Now(), Kind: EventLogout, User: sess.User.Name, Remote: remote}), nil
	})
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}
