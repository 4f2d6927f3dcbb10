package collector

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/config"
)

// Console is the `console:` section: the account rules a 等保 2.0 review
// asks to be configurable (docs/security.md). Zero values take the
// defaults of internal/accounts: 10 characters of 3 classes, 5 failures
// lock a name for 15 minutes, sessions end after 30 idle minutes or 12 h.
type Console struct {
	// Enabled serves the web console (default true). false leaves the
	// APIs only: no console pages, no accounts.db, so no console accounts or
	// issued tokens (deploy/dev/bench-console.sh measures the console's
	// memory with it).
	Enabled *bool `yaml:"enabled"`
	// Password is the policy for new passwords (min_length, min_classes).
	Password accounts.Policy `yaml:"password"`
	// MaxFailures failed logins within Lockout lock the name for Lockout.
	MaxFailures int             `yaml:"max_failures"`
	Lockout     config.Duration `yaml:"lockout"`
	// IdleTimeout ends an unused session; SessionLifetime any session.
	IdleTimeout     config.Duration `yaml:"idle_timeout"`
	SessionLifetime config.Duration `yaml:"session_lifetime"`

	line int
}

// UnmarshalYAML records the section's line for validation messages.
func (c *Console) UnmarshalYAML(node *yaml.Node) error {
	type plain Console
	if err := node.Decode((*plain)(c)); err != nil {
		return err
	}
	c.line = node.Line
	return nil
}

// On reports whether the console is served (enabled unset or true).
func (c *Console) On() bool { return c.Enabled == nil || *c.Enabled }

// Validate refuses rules weaker than a review accepts or that cannot work.
func (c *Console) Validate() error {
	bad := func(format string, args ...any) error {
		return &config.LineError{Line: c.line, Msg: "console: " + fmt.Sprintf(format, args...)}
	}
	switch p := c.Password; {
	case p.MinLength != 0 && p.MinLength < 8:
		return bad("password.min_length %d: at least 8", p.MinLength)
	case p.MinLength > 72:
		return bad("password.min_length %d: bcrypt reads at most 72 bytes", p.MinLength)
	case p.MinClasses < 0 || p.MinClasses > 4:
		return bad("password.min_classes %d: 1 to 4 (lower, upper, digits, others)", p.MinClasses)
	}
	if c.MaxFailures < 0 || c.MaxFailures > 100 {
		return bad("max_failures %d: 1 to 100", c.MaxFailures)
	}
	for _, d := range []struct {
		key string
		v   config.Duration
		max time.Duration
	}{{"lockout", c.Lockout, 24 * time.Hour}, {"idle_timeout", c.IdleTimeout, 24 * time.Hour}, {"session_lifetime", c.SessionLifetime, 7 * 24 * time.Hour}} {
		if d.v < 0 || d.v.Std() > d.max {
			return bad("%s %v: between 0 (the default) and %v", d.key, d.v.Std(), d.max)
		}
	}
	if c.IdleTimeout > 0 && c.SessionLifetime > 0 && c.IdleTimeout > c.SessionLifetime {
		return bad("idle_timeout %v is longer than session_lifetime %v", c.IdleTimeout.Std(), c.SessionLifetime.Std())
	}
	return nil
}

// AccountOptions are the account store's options from the section.
func (c *Console) AccountOptions(path string) accounts.Options {
	return accounts.Options{Path: path, Policy: c.Password, MaxFailures: c.MaxFailures, Lockout: c.Lockout.Std(),
		IdleTimeout: c.IdleTimeout.Std(), MaxLifetime: c.SessionLifetime.Std()}
}
