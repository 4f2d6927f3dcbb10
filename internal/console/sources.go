package console

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/pdf"
	"github.com/roomwatch/roomwatch/internal/report"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// Sources are where the inspections, reports, devices, wall display and
// administration pages read and write; the collector wires them from its
// stores (collector/wire_console.go). A nil field leaves the parts of the
// pages that need it saying that the source is absent.
type Sources struct {
	// Inspections are the inspection records (*inspect.Store).
	Inspections InspectionStore
	// Runner runs an inspection now (*inspect.Runner); Templates are the ones it may run.
	Runner    InspectionRunner
	Templates []*inspect.Template
	// Sheet names the bureau and zone on the downloaded check sheets.
	Sheet report.SheetOptions
	// PhotoDir keeps the photos of inspection items (the inspections API's).
	PhotoDir string

	// Reports are the stores reports read (nil: no reports page).
	Reports *report.Sources
	Report  report.Options
	// PDF prints reports, check sheets and ticket reports on the server
	// (nil or without Chromium: the PDF links say so and answer 503).
	PDF *pdf.Printer

	// Inventory is the estate; Metrics the TSDB's PromQL; Tickets the ticket service.
	Inventory *inventory.Inventory
	Metrics   Metrics
	Tickets   TicketLister

	// Users and Tokens are the account store's administration side
	// (*accounts.Store); Audit searches the audit log: the collector gives
	// the chained tables (accounts.db's audit, tickets.db's audit_log).
	Users  UserAdmin
	Tokens TokenIssuer
	Audit  AuditLog
}

// InspectionStore is what the inspection pages need (*inspect.Store).
type InspectionStore interface {
	List(ctx context.Context, f inspect.Filter) ([]inspect.Summary, error)
	Get(ctx context.Context, id int64) (*inspect.Inspection, error)
	Complete(ctx context.Context, id int64, c inspect.Completion, at time.Time) (*inspect.Inspection, error)
	Sign(ctx context.Context, id int64, sig inspect.Signature) (*inspect.Inspection, error)
}

// InspectionRunner runs a template now (*inspect.Runner).
type InspectionRunner interface {
	Run(ctx context.Context, t *inspect.Template, ro inspect.RunOptions) (*inspect.Inspection, error)
}

// Metrics runs PromQL (the TSDB's engine, store.Querier).
type Metrics = report.Querier

// TicketLister lists tickets and fills their timers (*tickets.Service).
type TicketLister interface {
	List(ctx context.Context, f tickets.Filter) ([]tickets.Ticket, error)
	View(t *tickets.Ticket, at time.Time)
}

// UserAdmin is the administration of accounts (*accounts.Store).
type UserAdmin interface {
	List(ctx context.Context) ([]accounts.User, error)
	Add(ctx context.Context, n accounts.NewUser, actor string) (accounts.User, error)
	SetDisabled(ctx context.Context, name string, disabled bool, actor string) error
	ResetPassword(ctx context.Context, name, password, actor string) error
}

// TokenIssuer issues, lists, revokes and checks API and kiosk tokens
// (*accounts.Store; stored as bcrypt hashes).
type TokenIssuer interface {
	IssueToken(ctx context.Context, name, kind string, role auth.Role, actor string) (accounts.IssuedToken, string, error)
	Tokens(ctx context.Context) ([]accounts.IssuedToken, error)
	RevokeToken(ctx context.Context, id int64, actor string) error
	CheckToken(ctx context.Context, presented, kind string) (accounts.IssuedToken, error)
}

// AuditLog searches the audit log, newest first.
type AuditLog interface {
	Search(ctx context.Context, query string, limit int) ([]auth.AuditLine, error)
}

// AuditFile is the audit log kept in a JSON-lines file (tickets.audit_file).
type AuditFile string

// Search implements AuditLog.
func (f AuditFile) Search(_ context.Context, query string, limit int) ([]auth.AuditLine, error) {
	return auth.SearchAudit(string(f), query, limit)
}

// AuditSearch adapts a store's SearchAudit method (accounts.db's audit
// table, tickets.db's audit_log) to AuditLog.
type AuditSearch func(ctx context.Context, query string, limit int) ([]auth.AuditLine, error)

// Search implements AuditLog.
func (f AuditSearch) Search(ctx context.Context, query string, limit int) ([]auth.AuditLine, error) {
	return f(ctx, query, limit)
}

// AuditLogs searches each log and merges what they find, newest first, at
// most limit lines in all.
type AuditLogs []AuditLog

// Search implements AuditLog.
func (ls AuditLogs) Search(ctx context.Context, query string, limit int) ([]auth.AuditLine, error) {
	if limit <= 0 {
		limit = 200
	}
	var all []auth.AuditLine
	for _, l := range ls {
		lines, err := l.Search(ctx, query, limit)
		if err != nil {
			return nil, err
		}
		all = append(all, lines...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.After(all[j].At) })
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

// areaPages are the templates of the pages in this file's areas.
var areaPages = []string{"inspections", "inspection", "reports", "devices", "device", "wall", "admin", "maintenance"}

// areaRoutes adds the inspections, reports, devices, wall and admin pages.
func (c *Console) areaRoutes(m *http.ServeMux) {
	view := func(h http.HandlerFunc) http.Handler { return c.RequireRole(auth.RoleViewer, h) }
	eng := func(h http.HandlerFunc) http.Handler { return c.RequireRole(auth.RoleEngineer, h) }
	adm := func(h http.HandlerFunc) http.Handler { return c.RequireRole(auth.RoleAdmin, h) }

	// A document without an icon link (a downloaded sheet or report viewed
	// in the browser) makes the browser ask for /favicon.ico.
	m.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		u, err := c.static.url("favicon.svg")
		if err != nil {
			c.notFound(w, r)
			return
		}
		http.Redirect(w, r, u, http.StatusMovedPermanently)
	})
	m.Handle("GET /inspections", view(c.inspectionList))
	m.Handle("POST /inspections", eng(c.inspectionRun))
	m.Handle("GET /inspections/{id}", view(c.inspectionSheet))
	m.Handle("GET /inspections/{id}/photos/{photo}", view(c.inspectionPhoto))
	m.Handle("POST /inspections/{id}/items", eng(c.inspectionComplete))
	m.Handle("POST /inspections/{id}/signatures", c.RequireRole(auth.RoleCustomer, http.HandlerFunc(c.inspectionSign)))

	m.Handle("GET /reports", view(c.reportsPage))
	m.Handle("GET /reports/{kind}", view(c.reportDownload))

	m.Handle("GET /devices", view(c.deviceList))
	m.Handle("GET /devices/{name}", view(c.devicePage))
	m.Handle("GET /devices/{name}/series", view(c.deviceSeries))

	m.HandleFunc("GET /wall", c.wall)
	m.HandleFunc("GET /wall/panel", c.wallPanel)
	m.HandleFunc("GET /wall/events", c.wallEvents)

	c.maintenanceRoutes(m) // maintenance.go

	m.Handle("GET /admin", adm(c.adminPage))
	m.Handle("POST /admin/users", adm(c.adminAddUser))
	m.Handle("POST /admin/users/{name}/disable", adm(c.adminDisable))
	m.Handle("POST /admin/users/{name}/enable", adm(c.adminEnable))
	m.Handle("POST /admin/users/{name}/password", adm(c.adminResetPassword))
	m.Handle("POST /admin/tokens", adm(c.adminIssueToken))
	m.Handle("POST /admin/tokens/{id}/revoke", adm(c.adminRevokeToken))
}

// when formats t for the screen in the console's zone ("" for zero).
func (c *Console) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.o.Location).Format("2006-01-02 15:04")
}

// user is the logged-in user of a request inside Authenticated.
func user(r *http.Request) accounts.User {
	s, _ := SessionFrom(r.Context())
	return s.User
}
