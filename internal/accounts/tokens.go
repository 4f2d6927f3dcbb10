package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/auth"
)

// Kinds of issued tokens.
const (
	// TokenAPI is a machine's bearer token for the APIs (Alertmanager,
	// scripts), with a role.
	TokenAPI = "api"
	// TokenKiosk opens the read-only wall display (/wall?k=…) and nothing else.
	TokenKiosk = "kiosk"
)

// Audit kinds of token events.
const (
	EventTokenIssue  = "token_issue"
	EventTokenRevoke = "token_revoke"
)

// ErrNoToken means a presented token is unknown, revoked or malformed.
var ErrNoToken = errors.New("no such token (unknown or revoked)")

// tokenPrefix starts every issued token: "rwt_<id>_<secret>". The id finds
// the one row to compare against, so a check costs one bcrypt comparison.
const tokenPrefix = "rwt_"

const tokenSchema = `
CREATE TABLE IF NOT EXISTS api_tokens (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL,
  role       TEXT NOT NULL,
  hash       TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL DEFAULT 0,
  revoked_by TEXT NOT NULL DEFAULT ''
);
`

// IssuedToken is a token issued in the console. The secret is shown once,
// when issued; the database holds its bcrypt hash only.
type IssuedToken struct {
	ID        int64
	Name      string
	Kind      string // TokenAPI or TokenKiosk
	Role      auth.Role
	CreatedBy string
	CreatedAt time.Time
	RevokedAt time.Time // zero while valid
	RevokedBy string
}

// Revoked reports whether the token was revoked.
func (t IssuedToken) Revoked() bool { return !t.RevokedAt.IsZero() }

// tokenCache remembers presented tokens that passed bcrypt, by their SHA-256,
// so that a busy sender (or a wall display refreshing) pays bcrypt once.
// Revocation is read from the database on every check.
type tokenCache struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]int64
}

func (c *tokenCache) get(sum [sha256.Size]byte) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.m[sum]
	return id, ok
}

func (c *tokenCache) put(sum [sha256.Size]byte, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[sha256.Size]byte]int64{}
	}
	if len(c.m) >= 1024 {
		clear(c.m)
	}
	c.m[sum] = id
}

// IssueToken creates a token of kind (TokenAPI with role, or TokenKiosk) and
// returns it with its secret, which is not kept.
func (s *Store) IssueToken(ctx context.Context, name, kind string, role auth.Role, actor string) (IssuedToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 64 {
		return IssuedToken{}, "", fmt.Errorf("%w: a token needs a name of 1 to 64 characters", ErrInvalidName)
	}
	switch kind {
	case TokenAPI:
		if role <= auth.RoleNone || role > auth.RoleAdmin {
			return IssuedToken{}, "", ErrInvalidRole
		}
	case TokenKiosk:
		role = auth.RoleViewer
	default:
		return IssuedToken{}, "", fmt.Errorf("token kind %q: want %s or %s", kind, TokenAPI, TokenKiosk)
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return IssuedToken{}, "", fmt.Errorf("token: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	hash, err := bcrypt.GenerateFromPassword([]byte(secret), s.o.BcryptCost)
	if err != nil {
		return IssuedToken{}, "", fmt.Errorf("hash token: %w", err)
	}
	now := s.o.Clock.Now()
	var id int64
	err = s.write(ctx, func(tx *sql.Tx) ([]Event, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (name, kind, role, hash, created_by, created_at) VALUES (?,?,?,?,?,?)`,
			name, kind, role.String(), string(hash), actor, now.UnixNano())
		if err != nil {
			return nil, err
		}
		if id, err = res.LastInsertId(); err != nil {
			return nil, err
		}
		return one(Event{At: now, Kind: EventTokenIssue, User: name, Actor: actor, Reason: kind + ":" + role.String()}), nil
	})
	if err != nil {
		return IssuedToken{}, "", fmt.Errorf("issue token: %w", err)
	}
	t := IssuedToken{ID: id, Name: name, Kind: kind, Role: role, CreatedBy: actor, CreatedAt: now}
	return t, tokenPrefix + strconv.FormatInt(id, 10) + "_" + secret, nil
}

const tokenCols = `id, name, kind, role, created_by, created_at, revoked_at, revoked_by`

func scanToken(sc interface{ Scan(...any) error }, extra ...any) (IssuedToken, error) {
	var (
		t                IssuedToken
		role             string
		created, revoked int64
	)
	if err := sc.Scan(append([]any{&t.ID, &t.Name, &t.Kind, &role, &t.CreatedBy, &created, &revoked, &t.RevokedBy}, extra...)...); err != nil {
		return IssuedToken{}, err
	}
	r, err := auth.ParseRole(role)
	if err != nil {
		return IssuedToken{}, fmt.Errorf("token %d: %w", t.ID, err)
	}
	t.Role, t.CreatedAt = r, time.Unix(0, created)
	if revoked != 0 {
		t.RevokedAt = time.Unix(0, revoked)
	}
	return t, nil
}

// Tokens lists the issued tokens, newest first.
func (s *Store) Tokens(ctx context.Context) ([]IssuedToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []IssuedToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token; revoking a revoked token changes nothing.
func (s *Store) RevokeToken(ctx context.Context, id int64, actor string) error {
	now := s.o.Clock.Now()
	changed := false
	err := s.write(ctx, func(tx *sql.Tx) ([]Event, error) {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at = 0`,
			now.UnixNano(), actor, id)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		changed = true
		return one(Event{At: now, Kind: EventTokenRevoke, User: strconv.FormatInt(id, 10), Actor: actor}), nil
	})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if !changed {
		var x int
		if err := s.db.QueryRowContext(ctx, `SELECT 1 FROM api_tokens WHERE id = ?`, id).Scan(&x); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("token %d: %w", id, ErrNoToken)
		}
	}
	return nil
}

// CheckToken returns the valid token of kind whose secret presented is
// ("rwt_<id>_<secret>"); ErrNoToken otherwise.
func (s *Store) CheckToken(ctx context.Context, presented, kind string) (IssuedToken, error) {
	rest, ok := strings.CutPrefix(presented, tokenPrefix)
	if !ok {
		return IssuedToken{}, ErrNoToken
	}
	ids, secret, ok := strings.Cut(rest, "_")
	id, err := strconv.ParseInt(ids, 10, 64)
	if !ok || err != nil || secret == "" || len(secret) > 72 {
		return IssuedToken{}, ErrNoToken
	}
	var hash string
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenCols+`, hash FROM api_tokens WHERE id = ?`, id), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return IssuedToken{}, ErrNoToken
	}
	if err != nil {
		return IssuedToken{}, fmt.Errorf("check token: %w", err)
	}
	if t.Kind != kind || t.Revoked() {
		return IssuedToken{}, ErrNoToken
	}
	sum := sha256.Sum256([]byte(presented))
	if cid, ok := s.tokens.get(sum); ok && cid == id {
		return t, nil
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(secret)) != nil {
		return IssuedToken{}, ErrNoToken
	}
	s.tokens.put(sum, id)
	return t, nil
}

// LookupToken implements auth.TokenSource: an issued API token's name
// ("token:<name>") and role.
func (s *Store) LookupToken(ctx context.Context, presented string) (auth.Principal, bool, error) {
	t, err := s.CheckToken(ctx, presented, TokenAPI)
	if errors.Is(err, ErrNoToken) {
		return auth.Principal{}, false, nil
	}
	if err != nil {
		return auth.Principal{}, false, err
	}
	return auth.Principal{Name: t.Name, Role: t.Role}, true, nil
}
