// Package console is the collector's web console: server-rendered Go
// templates (html/template) with a little progressive enhancement (htmx,
// vendored), personal accounts from internal/accounts, and the security a
// 等保 2.0 review asks for: session cookies HttpOnly, SameSite=Strict (and
// Secure under TLS), a CSRF token on every state-changing request, a
// Content-Security-Policy without inline script or style, frame denial
// (except on the wall display), and every login, logout and failure in the
// audit log (written by the account store).
//
// This package is the foundation: login, logout, the forced password
// change, the layout with the navigation of the pages to come, and the
// middleware (session, RequireRole, CSRF, security headers, language) those
// pages will use. Every string on screen comes from the i18n catalogue.
package console

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/console/i18n"
)

// Cookie names.
const (
	SessionCookie = "rw_session"
	loginCookie   = "rw_login" // the login form's double-submit CSRF token
	langCookie    = "rw_lang"
)

// Accounts is what the console needs of the account store (*accounts.Store).
type Accounts interface {
	Login(ctx context.Context, name, password, remote string) (accounts.Session, error)
	Session(ctx context.Context, token string) (accounts.Session, error)
	Logout(ctx context.Context, token, remote string) error
	ChangePassword(ctx context.Context, name, old, new, remote string) (accounts.Session, error)
	Policy() accounts.Policy
	IdleTimeout() time.Duration
}

// Options configures New. Accounts is required.
type Options struct {
	Accounts Accounts
	Clock    clockwork.Clock // real clock when nil
	Logger   *slog.Logger    // discard when nil
	// Secure marks cookies Secure and sends Strict-Transport-Security: set
	// it when the console is served over TLS.
	Secure bool
	// Location for times shown on screen; Asia/Shanghai when nil.
	Location *time.Location
	// MaxFailures and Lockout are only shown on the login page (the store
	// enforces them); defaults 5 and 15 minutes.
	MaxFailures int
	Lockout     time.Duration

	// Tickets is the ticket service: with it "/" is the duty desk and the
	// ticket pages are served (desk.go, tickets_pages.go); without it "/"
	// is the plain home page.
	Tickets Tickets
	// People are the accounts tickets are dispatched to; optional.
	People People
	// Inspections gives the desk today's inspections; optional.
	Inspections Inspections
	// Devices gives the desk the site and class of a device; optional.
	Devices DeviceLookup
	// Roster is the duty roster (值班表): the /roster page and the person on
	// duty in the duty desk's header (roster.go); optional.
	Roster Roster
	// Sources feed the inspections, reports, devices, wall display and
	// administration pages (sources.go); a nil source leaves its page
	// saying so.
	Sources Sources
	// MaxStreams bounds the open event streams of the duty desks and wall
	// displays together; DefaultMaxStreams when zero.
	MaxStreams int
	// Silences are the maintenance windows (*silence.Set): with them the
	// maintenance page is served (maintenance.go); optional.
	Silences Silences
}

// Console is the console's HTTP handler.
type Console struct {
	o      Options
	cat    *i18n.Catalogue
	pages  *pages
	static *staticFiles
	mux    *http.ServeMux

	stop     chan struct{} // closed by StopStreams
	stopOnce sync.Once
	panels   panelCache   // desk_cache.go
	wallc    wallCache    // the wall display's shared data (wall.go)
	silence  silenceMarks // tickets_silenced.go
	streams  atomic.Int64 // open event streams (streams.go)
}

// New builds the console. It serves:
//
//	GET  /login, POST /login   log in (form fields username, password)
//	GET  /logout               log out
//	GET  /password, POST /password   change one's password (forced after an initial one)
//	GET  /                     the home page (duty desk to come)
//	GET  /static/{hash}/{file} embedded CSS, script and vendored files, cached for a year
//
// and a 404 page for any other path.
func New(o Options) (*Console, error) {
	if o.Accounts == nil {
		return nil, errors.New("console: no account store")
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Location == nil {
		loc, err := time.LoadLocation(calendar.DefaultZone)
		if err != nil {
			loc = time.FixedZone("CST", 8*3600) // no tzdata; China has no DST
		}
		o.Location = loc
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = DefaultMaxStreams
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = accounts.DefaultMaxFailures
	}
	if o.Lockout <= 0 {
		o.Lockout = accounts.DefaultLockout
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	st, err := loadStatic()
	if err != nil {
		return nil, err
	}
	c := &Console{o: o, cat: cat, static: st, stop: make(chan struct{})}
	if c.pages, err = parsePages(cat, st); err != nil {
		return nil, err
	}
	c.routes()
	return c, nil
}

func (c *Console) routes() {
	m := http.NewServeMux()
	m.Handle("GET /static/", c.static)
	m.HandleFunc("GET /login", c.loginForm)
	m.HandleFunc("POST /login", c.loginPost)
	m.HandleFunc("GET /logout", c.logout)
	m.Handle("GET /password", c.Authenticated(http.HandlerFunc(c.passwordForm)))
	m.Handle("POST /password", c.Authenticated(http.HandlerFunc(c.passwordPost)))
	home := c.home
	if c.o.Tickets != nil {
		home = c.desk
		c.ticketRoutes(m)   // tickets_pages.go
		c.documentRoutes(m) // documents.go
	}
	m.Handle("GET /{$}", c.Authenticated(http.HandlerFunc(home)))
	c.areaRoutes(m)   // sources.go
	c.rosterRoutes(m) // roster.go
	if c.o.Tickets != nil {
		c.complaintRoutes(m) // complaints.go
	}
	m.HandleFunc("/", c.notFound)
	c.mux = m
}

// StaticURL returns the versioned URL of an embedded file, e.g.
// "vendor/echarts/echarts.min.js" (see static/vendor/vendor.json).
func (c *Console) StaticURL(name string) (string, error) { return c.static.url(name) }

// ServeHTTP implements http.Handler: security headers, language, CSRF
// origin checks, then the routes.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.securityHeaders(w, r)
	r = c.withLang(w, r)
	if !safeMethod(r.Method) && !c.sameOrigin(r) {
		c.forbidden(w, r, "error.csrf")
		return
	}
	c.mux.ServeHTTP(w, r)
}
