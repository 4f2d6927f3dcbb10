package collector

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/web"
)

// guard puts credentials in front of the monitoring paths: reads (the
// Prometheus query API, the agents list, /metrics) when auth.query.required
// is set, and writes (remote write, agent registration) always. A basic-auth
// user of the web config file passes both; API tokens pass reads (any role)
// and writes (admin); write tokens, verified client certificates and, when
// open, loopback pass writes (auth.Authenticator.AuthenticateWrite).
//
// The Authenticator is set after the routes are built (NewServe), so it is
// looked up per request; without one (New alone, tools) only the web config
// users count and writes stay open as before.
type guard struct {
	s       *Server
	refused *prometheus.CounterVec
}

func newGuard(s *Server) *guard {
	g := &guard{s: s, refused: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roomwatch_http_auth_refused_total",
		Help: "Requests refused for missing or wrong credentials (401), by kind of path (read, write).",
	}, []string{"kind"})}
	s.reg.MustRegister(g.refused)
	return g
}

// refuse answers 401 with the challenges the path accepts.
func (g *guard) refuse(w http.ResponseWriter, kind string, err error) {
	g.refused.WithLabelValues(kind).Inc()
	w.Header().Add("WWW-Authenticate", `Bearer realm="roomwatch"`)
	if g.s.webcfg != nil && g.s.webcfg.HasUsers() {
		w.Header().Add("WWW-Authenticate", `Basic realm="roomwatch"`)
	}
	http.Error(w, err.Error(), http.StatusUnauthorized)
}

// webUser reports whether r carries a basic-auth user of the web config.
func (g *guard) webUser(r *http.Request) bool {
	if g.s.webcfg == nil {
		return false
	}
	_, ok := g.s.webcfg.CheckBasicAuth(r)
	return ok
}

// reads guards a read path when auth.query.required is set.
func (g *guard) reads(h http.Handler) http.Handler {
	if !g.s.cfg.Auth.Query.Required {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.webUser(r) {
			h.ServeHTTP(w, r)
			return
		}
		err := auth.ErrNoToken
		if a := g.s.auth; a != nil {
			var p auth.Principal
			if p, err = a.Authenticate(r); err == nil && p.Role > auth.RoleNone {
				h.ServeHTTP(w, r)
				return
			}
		}
		g.refuse(w, "read", fmt.Errorf("%w (auth.query.required: a basic-auth user of the web config file, or an API token)", err))
	})
}

// writes guards a write path.
func (g *guard) writes(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.webUser(r) {
			h.ServeHTTP(w, r)
			return
		}
		a := g.s.auth
		if a == nil {
			h.ServeHTTP(w, r)
			return
		}
		if _, err := a.AuthenticateWrite(r); err != nil {
			msg := "a write token (auth.write.tokens), a client certificate or a basic-auth user of the web config"
			if errors.Is(err, auth.ErrBadToken) {
				msg = "the token is not a write token (auth.write.tokens) nor an admin token"
			}
			g.refuse(w, "write", fmt.Errorf("%w: writes need %s", err, msg))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// CheckWebConfig loads the web config file the config names, if any (for
// --check-config).
func CheckWebConfig(c *Config) error {
	if c.Web.ConfigFile == "" {
		return nil
	}
	_, err := web.LoadWebConfig(c.Web.ConfigFile)
	return err
}
