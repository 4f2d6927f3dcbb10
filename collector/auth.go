package collector

import (
	"fmt"
	"log/slog"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/config"
)

// AuthConfig is the API authentication every API uses (tickets, inspections,
// reports, the console's machine tokens): the top-level `auth:` section. The
// old place, `tickets.auth`, is still read for one release when `auth:` is
// empty; deprecated reports that it was.
func (c *Config) AuthConfig() (a auth.Config, deprecated bool) {
	if authEmpty(c.Auth) && !authEmpty(c.Tickets.Auth) {
		a := c.Tickets.Auth
		a.Write, a.Query = c.Auth.Write, c.Auth.Query // never in tickets.auth
		return a, true
	}
	return c.Auth, false
}

// authEmpty reports whether the parts tickets.auth used to hold (tokens and
// intake) are empty; write and query are only read from auth.
func authEmpty(a auth.Config) bool {
	return len(a.Tokens) == 0 && len(a.Intake.Tokens) == 0 && !a.Intake.OpenOnLoopback
}

// validateAuth checks the auth section, and that it and the deprecated
// tickets.auth are not both set.
func (c *Config) validateAuth() error {
	if !authEmpty(c.Auth) && !authEmpty(c.Tickets.Auth) {
		return &config.LineError{Msg: "auth and tickets.auth are both set: keep only auth (tickets.auth is deprecated)"}
	}
	return c.Auth.Validate()
}

// newAuth builds the one Authenticator every API of serve shares.
func newAuth(c *Config, log *slog.Logger) (*auth.Authenticator, error) {
	ac, deprecated := c.AuthConfig()
	if deprecated {
		log.Warn("config: tickets.auth is deprecated and will be ignored in the next release; move it to the top-level auth section")
	}
	a, err := auth.New(ac)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	for _, d := range ac.Deprecations() {
		log.Warn("config: " + d)
	}
	if ac.Write.OpenOnLoopback {
		log.Info("auth: writes from loopback need no credentials (auth.write.open_on_loopback); others need a write token, an admin token or a verified client certificate")
	}
	if len(ac.Tokens) == 0 {
		log.Warn("auth: no API tokens configured (auth.tokens); the ticket, inspection and report APIs answer 401 to everyone")
	}
	return a, nil
}
