// Package accounts keeps the console's personal accounts in SQLite: users
// with their roles and contacts, bcrypt password hashes under a password
// policy, lockout after repeated failures (counted in the database, so that a
// restart does not reset it), forced change of an initial password, and
// sessions (random 256-bit ids stored only as SHA-256, with an idle timeout
// and an absolute lifetime). Every login, logout, failure, lockout, password
// and user change and issued token is a record of the chained audit table
// (auditchain.go), written in the transaction of the change it records, and
// is copied to an AuditSink when one is given. All time comes from a
// clockwork.Clock.
package accounts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite" // the pure-Go driver "sqlite"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/dbfile"
	"github.com/roomwatch/roomwatch/internal/integrity"
)

// FileName is the accounts database's name inside the collector's data directory.
const FileName = "accounts.db"

// Defaults of Options.
const (
	DefaultMaxFailures = 5
	DefaultLockout     = 15 * time.Minute
	DefaultIdleTimeout = 30 * time.Minute
	DefaultMaxLifetime = 12 * time.Hour
)

// Errors of the store.
var (
	ErrNotFound    = errors.New("no such user")
	ErrExists      = errors.New("user already exists")
	ErrInvalidName = errors.New("invalid user name: 1 to 64 letters, digits, '.', '_', '-' or '@'")
	ErrInvalidRole = errors.New("a user needs a role (viewer, customer, engineer, manager or admin)")
)

// Options configures Open.
type Options struct {
	// Path of the database file (created when missing), normally
	// filepath.Join(dataDir, FileName).
	Path  string
	Clock clockwork.Clock // real clock when nil
	// Policy for new passwords; DefaultPolicy fields where zero.
	Policy Policy
	// MaxFailures failed logins within Lockout lock a name for Lockout;
	// defaults 5 and 15 minutes.
	MaxFailures int
	Lockout     time.Duration
	// IdleTimeout ends a session not used for this long (default 30 min);
	// MaxLifetime ends any session this long after login (default 12 h).
	IdleTimeout time.Duration
	MaxLifetime time.Duration
	// BcryptCost; default bcrypt.DefaultCost (tests may use bcrypt.MinCost).
	BcryptCost int
	// Chain links the audit table's records (integrity key); nil writes
	// them unkeyed (no hashes), as the ticket store does without a key.
	Chain *integrity.Chain
	// Audit gets a JSON-lines copy of every audit record; nil: none.
	Audit AuditSink
	// ReadOnly opens an existing database for reading (verify): nothing is
	// created, and missing protective triggers are named, not recreated.
	ReadOnly bool
	Logger   *slog.Logger
}

// Store is the account database.
type Store struct {
	db     *sql.DB
	o      Options
	mu     sync.Mutex // serialises read-modify-write of failure counters
	dummy  []byte     // a bcrypt hash compared against for unknown names (same timing)
	tokens tokenCache // issued tokens that passed bcrypt (tokens.go)
	// compare is bcrypt.CompareHashAndPassword; a test counts the
	// comparisons a login makes.
	compare func(hash, password []byte) error
	// recreated names the audit table's protective triggers missing at Open.
	recreated []string
}

// User is one personal account.
type User struct {
	ID          int64
	Name        string // login name, unique regardless of case
	DisplayName string
	Phone       string
	WeComID     string // 企业微信 userid
	DingTalkID  string // 钉钉 userid
	Email       string
	Role        auth.Role
	Sites       []string // sites the user covers; empty = all
	Disabled    bool
	// MustChangePassword is set for an initial or reset password: the user
	// can do nothing but change it.
	MustChangePassword bool
	CreatedAt          time.Time
	PasswordChangedAt  time.Time
}

// Label is the display name, or the login name when there is none.
func (u User) Label() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Name
}

const schema = `
CREATE TABLE IF NOT EXISTS users (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name  TEXT NOT NULL DEFAULT '',
  phone         TEXT NOT NULL DEFAULT '',
  wecom_id      TEXT NOT NULL DEFAULT '',
  dingtalk_id   TEXT NOT NULL DEFAULT '',
  email         TEXT NOT NULL DEFAULT '',
  role          TEXT NOT NULL,
  sites         TEXT NOT NULL DEFAULT '[]',
  password_hash TEXT NOT NULL,
  must_change   INTEGER NOT NULL DEFAULT 1,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  password_at   INTEGER NOT NULL
);
-- failures counts failed logins per name as typed (lower case), whether or not
-- the user exists, so that lockout does not reveal which names exist.
CREATE TABLE IF NOT EXISTS failures (
  name         TEXT PRIMARY KEY,
  count        INTEGER NOT NULL,
  last_at      INTEGER NOT NULL,
  locked_until INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
  id_hash    TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  remote     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
PRAGMA user_version = 1;
`

// Open opens (or creates) the account database.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Path == "" {
		return nil, errors.New("accounts: no database path")
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Policy = o.Policy.withDefaults()
	if o.MaxFailures <= 0 {
		o.MaxFailures = DefaultMaxFailures
	}
	if o.Lockout <= 0 {
		o.Lockout = DefaultLockout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxLifetime <= 0 {
		o.MaxLifetime = DefaultMaxLifetime
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.DefaultCost
	}
	if o.ReadOnly {
		return openReadOnly(ctx, o)
	}
	// Password hashes: readable by the collector's user only. SQLite gives
	// the -wal and -shm files the database file's mode.
	if f, err := os.OpenFile(o.Path, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("open accounts %s: %w", o.Path, err)
	} else {
		f.Close()
	}
	db, err := sql.Open("sqlite", dbfile.Writable(o.Path, "foreign_keys(1)"))
	if err != nil {
		return nil, fmt.Errorf("open accounts %s: %w", o.Path, err)
	}
	had, err := hasAuditTable(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	created := !had
	if _, err := db.ExecContext(ctx, schema+tokenSchema+auditSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open accounts %s: %w", o.Path, err)
	}
	recreated, err := recreateTriggers(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open accounts %s: %w", o.Path, err)
	}
	if len(recreated) > 0 && !created {
		o.Logger.Warn("accounts: the audit table's protective triggers were missing (dropped outside roomwatch) and are recreated; run roomwatch-collector verify",
			"db", o.Path, "triggers", recreated)
	} else if created {
		recreated = nil // a new table gets its triggers for the first time
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("roomwatch-dummy-password"), o.BcryptCost)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open accounts: %w", err)
	}
	return &Store{db: db, o: o, dummy: dummy, compare: bcrypt.CompareHashAndPassword, recreated: recreated}, nil
}

// hasAuditTable reports whether db has the audit table yet.
func hasAuditTable(ctx context.Context, db *sql.DB) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit'`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("open accounts: %w", err)
	}
	return n > 0, nil
}

// openReadOnly opens an existing database for reading only.
func openReadOnly(ctx context.Context, o Options) (*Store, error) {
	if _, err := os.Stat(o.Path); err != nil {
		return nil, fmt.Errorf("open accounts %s: %w", o.Path, err)
	}
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", "file:"+o.Path+"?"+v.Encode())
	if err != nil {
		return nil, fmt.Errorf("open accounts %s: %w", o.Path, err)
	}
	ok, err := hasAuditTable(ctx, db)
	if err == nil && !ok {
		db.Close()
		return nil, fmt.Errorf("open accounts %s: %w", o.Path, ErrNoAuditTable)
	}
	var missing []string
	if err == nil {
		missing, err = missingTriggers(ctx, db)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open accounts %s: %w", o.Path, err)
	}
	return &Store{db: db, o: o, compare: bcrypt.CompareHashAndPassword, recreated: missing}, nil
}

// ErrNoAuditTable is a database written before accounts had an audit table
// (opened read-only, it has no chain to verify).
var ErrNoAuditTable = errors.New("no audit table yet (written by an older roomwatch)")

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Policy returns the password policy in force.
func (s *Store) Policy() Policy { return s.o.Policy }

// IdleTimeout returns the session idle timeout in force.
func (s *Store) IdleTimeout() time.Duration { return s.o.IdleTimeout }

// ValidName reports whether name is acceptable as a login name.
func ValidName(name string) bool {
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-@", r)) {
			return false
		}
	}
	return true
}

// NewUser is what Add needs.
type NewUser struct {
	Name, DisplayName, Phone, WeComID, DingTalkID, Email string
	Role                                                 auth.Role
	Sites                                                []string
	// Password is the initial password; the user must change it at first login.
	Password string
}

// Add creates a user; actor is who did it (for the audit log).
func (s *Store) Add(ctx context.Context, n NewUser, actor string) (User, error) {
	if !ValidName(n.Name) {
		return User{}, fmt.Errorf("%q: %w", n.Name, ErrInvalidName)
	}
	if n.Role <= auth.RoleNone || n.Role > auth.RoleAdmin {
		return User{}, ErrInvalidRole
	}
	if err := s.o.Policy.Check(n.Name, n.Password); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), s.o.BcryptCost)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	sites, err := json.Marshal(nonNil(n.Sites))
	if err != nil {
		return User{}, err
	}
	if _, err := s.Get(ctx, n.Name); err == nil {
		return User{}, fmt.Errorf("%q: %w", n.Name, ErrExists)
	}
	now := s.o.Clock.Now()
	var id int64
	err = s.write(ctx, func(tx *sql.Tx) ([]Event, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO users
	  (name, display_name, phone, wecom_id, dingtalk_id, email, role, sites, password_hash, must_change, created_at, password_at)
	  VALUES (?,?,?,?,?,?,?,?,?,1,?,?)`,
			n.Name, n.DisplayName, n.Phone, n.WeComID, n.DingTalkID, n.Email, n.Role.String(), string(sites), string(hash), now.UnixNano(), now.UnixNano())
		if err != nil {
			return nil, err
		}
		id, _ = res.LastInsertId()
		return one(Event{At: now, Kind: EventUserAdd, User: n.Name, Actor: actor, Reason: n.Role.String()}), nil
	})
	if err != nil {
		// Decide by looking, not by the driver's error text.
		if _, gerr := s.Get(ctx, n.Name); gerr == nil {
			return User{}, fmt.Errorf("%q: %w", n.Name, ErrExists)
		}
		return User{}, fmt.Errorf("add user %q: %w", n.Name, err)
	}
	u, err := s.getBy(ctx, "id = ?", id)
	return u, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const userCols = `id, name, display_name, phone, wecom_id, dingtalk_id, email, role, sites, must_change, disabled, created_at, password_at`

func scanUser(sc interface{ Scan(...any) error }) (User, string, error) {
	var (
		u            User
		role, sites  string
		created, pwd int64
		hash         string
	)
	err := sc.Scan(&u.ID, &u.Name, &u.DisplayName, &u.Phone, &u.WeComID, &u.DingTalkID, &u.Email,
		&role, &sites, &u.MustChangePassword, &u.Disabled, &created, &pwd, &hash)
	if err != nil {
		return User{}, "", err
	}
	if u.Role, err = auth.ParseRole(role); err != nil {
		return User{}, "", fmt.Errorf("user %q: %w", u.Name, err)
	}
	if err := json.Unmarshal([]byte(sites), &u.Sites); err != nil {
		return User{}, "", fmt.Errorf("user %q: sites: %w", u.Name, err)
	}
	if len(u.Sites) == 0 {
		u.Sites = nil
	}
	u.CreatedAt = time.Unix(0, created)
	u.PasswordChangedAt = time.Unix(0, pwd)
	return u, hash, nil
}

func (s *Store) getWithHash(ctx context.Context, where string, arg any) (User, string, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE `+where, arg)
	u, h, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, "", ErrNotFound
	}
	if err != nil {
		return User{}, "", fmt.Errorf("read user: %w", err)
	}
	return u, h, nil
}

func (s *Store) getBy(ctx context.Context, where string, arg any) (User, error) {
	u, _, err := s.getWithHash(ctx, where, arg)
	return u, err
}

// Get returns the user called name (any case).
func (s *Store) Get(ctx context.Context, name string) (User, error) {
	u, err := s.getBy(ctx, "name = ?", name)
	if errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	return u, err
}

// List returns every user, by name.
func (s *Store) List(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+`, password_hash FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// HasActiveAdmin reports whether an enabled admin account exists (the
// collector logs how to create one when not).
func (s *Store) HasActiveAdmin(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = ? AND disabled = 0`, auth.RoleAdmin.String()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("count admins: %w", err)
	}
	return n > 0, nil
}

// ResetPassword sets a new initial password (an admin's reset or `user
// passwd`): the user must change it at next login, and every session of the
// user ends.
func (s *Store) ResetPassword(ctx context.Context, name, password, actor string) error {
	u, err := s.Get(ctx, name)
	if err != nil {
		return err
	}
	if err := s.o.Policy.Check(u.Name, password); err != nil {
		return err
	}
	return s.setPassword(ctx, u, password, true, Event{At: s.o.Clock.Now(), Kind: EventPasswordReset, User: u.Name, Actor: actor})
}

// setPassword sets u's password, ends u's sessions and records ev, in one
// transaction.
func (s *Store) setPassword(ctx context.Context, u User, password string, mustChange bool, ev Event) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.o.BcryptCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) ([]Event, error) {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change = ?, password_at = ? WHERE id = ?`,
			string(hash), mustChange, s.o.Clock.Now().UnixNano(), u.ID); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
			return nil, fmt.Errorf("end sessions: %w", err)
		}
		return one(ev), nil
	})
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// SetDisabled disables (ending every session) or enables a user.
func (s *Store) SetDisabled(ctx context.Context, name string, disabled bool, actor string) error {
	u, err := s.Get(ctx, name)
	if err != nil {
		return err
	}
	kind := EventUserEnable
	if disabled {
		kind = EventUserDisable
	}
	err = s.write(ctx, func(tx *sql.Tx) ([]Event, error) {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, u.ID); err != nil {
			return nil, err
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
				return nil, fmt.Errorf("end sessions: %w", err)
			}
		}
		return one(Event{At: s.o.Clock.Now(), Kind: kind, User: u.Name, Actor: actor}), nil
	})
	if err != nil {
		return fmt.Errorf("disable user: %w", err)
	}
	return nil
}

// WarnIfNoAdmin logs, when no enabled admin account exists, how to create
// one; the collector calls it at start. dataDir is named in the hint.
func (s *Store) WarnIfNoAdmin(ctx context.Context, log *slog.Logger, dataDir string) error {
	ok, err := s.HasActiveAdmin(ctx)
	if err != nil || ok {
		return err
	}
	cmd := "roomwatch-collector user add NAME --role admin --password-stdin"
	if dataDir != "" {
		cmd += " --data-dir " + dataDir
	}
	log.Warn("no administrator account: the console cannot be used until one exists; create one with (password on standard input): "+cmd+" / 尚无系统管理员账户，请用上述命令创建",
		"command", cmd)
	return nil
}
