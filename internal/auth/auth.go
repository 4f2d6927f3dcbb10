// Package auth checks API bearer tokens and their roles (viewer, customer, engineer,
// manager, admin), guards the alert intake endpoints (their own tokens, or
// open on loopback), and writes the JSON-lines audit file. Tokens come from
// the config, in clear (at least 16 characters) or hashed with bcrypt
// ("sha256:<hex>" is still read, deprecated); clear and sha256 tokens are
// compared in constant time, bcrypt ones verified once and then cached by
// their sha256, and none is ever logged.
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/inventory"
)

// Role is what a token may do; each role includes the ones below it.
type Role int

// Roles, weakest first.
const (
	RoleNone   Role = iota
	RoleViewer      // read tickets, inspections and reports
	// RoleCustomer is the customer's representative (甲方代表, the bureau's
	// own staff): a viewer who also countersigns inspection sheets. It acts on
	// no ticket, and the contractor's roles above it cannot countersign for
	// the customer (admin aside, see the inspections API).
	RoleCustomer
	RoleEngineer // act on tickets: ack, dispatch, onsite, resolve, close, notes, parts, manual tickets
	RoleManager  // also reopen and cancel
	RoleAdmin    // everything
)

var roleNames = [...]string{"none", "viewer", "customer", "engineer", "manager", "admin"}

// String returns the role's name.
func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return fmt.Sprintf("Role(%d)", int(r))
	}
	return roleNames[r]
}

// ParseRole parses viewer, customer, engineer, manager or admin.
func ParseRole(s string) (Role, error) {
	for i, n := range roleNames[1:] {
		if s == n {
			return Role(i + 1), nil
		}
	}
	return RoleNone, fmt.Errorf("unknown role %q (want viewer, customer, engineer, manager or admin)", s)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler, naming the line of a bad role.
func (r *Role) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return config.Errorf(n, "role: expected viewer, customer, engineer, manager or admin")
	}
	v, err := ParseRole(n.Value)
	if err != nil {
		return config.Errorf(n, "%v", err)
	}
	*r = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Token is one API token from the config. Exactly one of Token (clear) and
// Hash (bcrypt "$2b$…" or "bcrypt:$2b$…"; deprecated "sha256:<64 hex>") is set.
type Token struct {
	Name  string           `yaml:"name"`
	Token inventory.Secret `yaml:"token"`
	Hash  string           `yaml:"hash"`
	Role  Role             `yaml:"role"`

	line int // in the config, for error messages
}

// UnmarshalYAML implements yaml.Unmarshaler and records the token's line.
func (t *Token) UnmarshalYAML(n *yaml.Node) error {
	type plain Token
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*t = Token(p)
	t.line = n.Line
	return nil
}

// Intake guards the alert endpoints (Alertmanager webhook, API v2).
type Intake struct {
	// Tokens accepted as Bearer (or basic-auth password) on the intake endpoints.
	Tokens []Token `yaml:"tokens"`
	// OpenOnLoopback lets requests from 127.0.0.0/8 and ::1 in without a token.
	OpenOnLoopback bool `yaml:"open_on_loopback"`
}

// Write guards what agents and other senders write: remote write
// (/api/v1/write) and agent registration (/api/v1/agents/register).
type Write struct {
	// Tokens accepted as Bearer (or basic-auth password) on the write
	// endpoints: one per agent or per site. They allow nothing else.
	Tokens []Token `yaml:"tokens"`
	// OpenOnLoopback lets writes from 127.0.0.0/8 and ::1 in without
	// credentials (the all-in-one default: true).
	OpenOnLoopback bool `yaml:"open_on_loopback"`
}

// Query guards what reads the monitoring data: the Prometheus query API,
// the agents list and /metrics.
type Query struct {
	// Required makes those paths answer 401 without credentials: a
	// basic-auth user of the web config file or an API token (any role).
	Required bool `yaml:"required"`
}

// Config is the top-level `auth:` section.
type Config struct {
	Tokens []Token `yaml:"tokens"`
	Intake Intake  `yaml:"intake"`
	Write  Write   `yaml:"write"`
	Query  Query   `yaml:"query"`
}

// Validate checks every token: names, exactly one of token and hash, clear
// tokens of at least MinTokenLen characters, hashes that parse, roles, and
// no secret used by two tokens (API or intake).
func (c *Config) Validate() error {
	type seenSecret struct {
		where, name string
		line        int
	}
	secrets := map[[sha256.Size]byte]seenSecret{} // sha256 of the secret -> first token
	check := func(where string, ts []Token, needRole bool) error {
		names := map[string]int{} // name -> line
		for _, t := range ts {
			if t.Name == "" {
				return &config.LineError{Line: t.line, Msg: where + ": a token has no name"}
			}
			if l, dup := names[t.Name]; dup {
				msg := fmt.Sprintf("%s: token name %q used twice", where, t.Name)
				if l > 0 {
					msg += fmt.Sprintf(" (first at line %d)", l)
				}
				return &config.LineError{Line: t.line, Msg: msg}
			}
			names[t.Name] = t.line
			if (t.Token == "") == (t.Hash == "") {
				return &config.LineError{Line: t.line, Msg: fmt.Sprintf("%s: token %q needs exactly one of token and hash", where, t.Name)}
			}
			var sum []byte // sha256 of the secret, when known
			if t.Hash != "" {
				h, err := parseHash(t.Hash)
				if err != nil {
					return &config.LineError{Line: t.line, Msg: fmt.Sprintf("%s: token %q: %v", where, t.Name, err)}
				}
				sum = h.sum
				if h.kind == kindBcrypt { // the same hash twice is the same secret
					s := sha256.Sum256(append([]byte("bcrypt\x00"), h.hash...))
					sum = s[:]
				}
			} else {
				if n := len([]rune(t.Token.Reveal())); n < MinTokenLen {
					return &config.LineError{Line: t.line, Msg: fmt.Sprintf("%s: token %q is %d characters; use at least %d (e.g. openssl rand -hex 16)", where, t.Name, n, MinTokenLen)}
				}
				s := sha256.Sum256([]byte(t.Token.Reveal()))
				sum = s[:]
			}
			if sum != nil {
				key := [sha256.Size]byte(sum)
				if first, dup := secrets[key]; dup {
					msg := fmt.Sprintf("%s: token %q has the same secret as %s token %q", where, t.Name, first.where, first.name)
					if first.line > 0 {
						msg += fmt.Sprintf(" (line %d)", first.line)
					}
					return &config.LineError{Line: t.line, Msg: msg + "; give each its own"}
				}
				secrets[key] = seenSecret{where: where, name: t.Name, line: t.line}
			}
			if needRole && t.Role == RoleNone {
				return &config.LineError{Line: t.line, Msg: fmt.Sprintf("%s: token %q needs a role (viewer, customer, engineer, manager, admin)", where, t.Name)}
			}
		}
		return nil
	}
	if err := check("auth.tokens", c.Tokens, true); err != nil {
		return err
	}
	if err := check("auth.intake.tokens", c.Intake.Tokens, false); err != nil {
		return err
	}
	return check("auth.write.tokens", c.Write.Tokens, false)
}

// Deprecations returns one warning per token still hashed with the
// deprecated "sha256:" form, for the caller to log once at start.
func (c *Config) Deprecations() []string {
	var out []string
	add := func(where string, ts []Token) {
		for _, t := range ts {
			if !strings.HasPrefix(t.Hash, "sha256:") {
				continue
			}
			at := ""
			if t.line > 0 {
				at = fmt.Sprintf(" (line %d)", t.line)
			}
			out = append(out, fmt.Sprintf("%s: token %q%s uses a sha256: hash, which is deprecated and will not be read in the next release; replace it with a bcrypt hash (htpasswd -nbBC 10 '' TOKEN | tr -d ':\\n')", where, t.Name, at))
		}
	}
	add("auth.tokens", c.Tokens)
	add("auth.intake.tokens", c.Intake.Tokens)
	add("auth.write.tokens", c.Write.Tokens)
	return out
}

// Principal is who made a request.
type Principal struct {
	Name string
	Role Role
}

// Authenticator checks requests against the configured tokens.
type Authenticator struct {
	api, intake, write *tokenSet
	loopback           bool // intake open on loopback
	writeLoopback      bool
	source             atomic.Pointer[TokenSource] // issued tokens (source.go)
}

// New builds an Authenticator.
func New(c Config) (*Authenticator, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	api, err := newTokenSet(c.Tokens)
	if err != nil {
		return nil, err
	}
	in, err := newTokenSet(c.Intake.Tokens)
	if err != nil {
		return nil, err
	}
	wr, err := newTokenSet(c.Write.Tokens)
	if err != nil {
		return nil, err
	}
	return &Authenticator{api: api, intake: in, write: wr, loopback: c.Intake.OpenOnLoopback, writeLoopback: c.Write.OpenOnLoopback}, nil
}

// Errors of Authenticate.
var (
	ErrNoToken  = errors.New("authentication required: send Authorization: Bearer <token>")
	ErrBadToken = errors.New("invalid token")
)

// presented returns the token of a request: "Authorization: Bearer <token>"
// (the scheme in any case, RFC 7235), else a basic-auth password.
func presented(r *http.Request) (string, bool) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		if tok := strings.TrimSpace(rest); tok != "" {
			return tok, true
		}
	}
	if _, pw, ok := r.BasicAuth(); ok && pw != "" {
		return pw, true
	}
	return "", false
}

// Authenticate returns the principal of an API request.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	tok, ok := presented(r)
	if !ok {
		return Principal{}, ErrNoToken
	}
	e, ok := a.api.match(tok)
	if !ok {
		if p, ok := a.fromSource(r, tok); ok {
			return p, nil
		}
		return Principal{}, ErrBadToken
	}
	return Principal{Name: e.name, Role: e.role}, nil
}

// IsLoopback reports whether a request's remote address is a loopback address.
func IsLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// AuthenticateIntake checks an alert-intake request: an intake token (or an
// API token with engineer role or above), or any loopback request when open
// on loopback. It returns the sender's name.
func (a *Authenticator) AuthenticateIntake(r *http.Request) (string, error) {
	if tok, ok := presented(r); ok {
		if e, ok := a.intake.match(tok); ok {
			return e.name, nil
		}
		if e, ok := a.api.match(tok); ok && e.role >= RoleEngineer {
			return e.name, nil
		}
		return "", ErrBadToken
	}
	if a.loopback && IsLoopback(r) {
		return "loopback", nil
	}
	return "", ErrNoToken
}

// AuthenticateWrite checks a remote-write or registration request: a write
// token, an API token with the admin role, a client certificate the TLS
// listener verified against its client CA (client_auth_type
// RequireAndVerifyClientCert or VerifyClientCertIfGiven), or any loopback
// request when writes are open on loopback. It returns the sender's name
// ("cert:<common name>" for a certificate, "loopback").
func (a *Authenticator) AuthenticateWrite(r *http.Request) (string, error) {
	if tok, ok := presented(r); ok {
		if e, ok := a.write.match(tok); ok {
			return e.name, nil
		}
		if e, ok := a.api.match(tok); ok && e.role >= RoleAdmin {
			return e.name, nil
		}
		return "", ErrBadToken
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		return "cert:" + r.TLS.VerifiedChains[0][0].Subject.CommonName, nil
	}
	if a.writeLoopback && IsLoopback(r) {
		return "loopback", nil
	}
	return "", ErrNoToken
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal stored by Require.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// WriteError writes {"error": msg} with the status code.
func WriteError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// Require wraps h: the request needs a token whose role is at least min
// (401 without a valid token, 403 with too weak a role).
func (a *Authenticator) Require(min Role, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="roomwatch"`)
			WriteError(w, http.StatusUnauthorized, err.Error())
			return
		}
		if p.Role < min {
			WriteError(w, http.StatusForbidden, fmt.Sprintf("token %q has role %s; this needs %s", p.Name, p.Role, min))
			return
		}
		h.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}
