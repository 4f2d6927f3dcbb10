package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sync"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console/i18n"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = append([]string{"login", "password", "home", "error", "desk", "tickets", "tickets_detail", "tickets_new",
	"roster", "complaints"}, areaPages...)

type pages struct {
	cat *i18n.Catalogue
	st  *staticFiles
	set map[string]*template.Template // the default language's, parsed at start

	mu    sync.Mutex
	other map[string]*template.Template // lang + "\x00" + page, parsed on first use
}

// lookup returns page name's templates bound to lang's functions. Each
// page is parsed once per language and its templates reused by every
// request (html/template executes a template concurrently and escapes it
// once, at its first execution); a clone per request had copied and
// escaped every parse tree of the page again, garbage on each of the
// wall's and desks' reads, and a clone kept per language would hold a
// second copy of the default language's trees.
func (p *pages) lookup(name, lang string) (*template.Template, error) {
	if lang = p.cat.Lang(lang); lang == i18n.Default { // "t" falls back the same way
		if t, ok := p.set[name]; ok {
			return t, nil
		}
		return nil, fmt.Errorf("no page %q", name)
	}
	if _, ok := p.set[name]; !ok {
		return nil, fmt.Errorf("no page %q", name)
	}
	key := lang + "\x00" + name
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.other[key]; ok {
		return t, nil
	}
	t, err := parsePage(p.cat, p.st, name, lang)
	if err != nil {
		return nil, err
	}
	if p.other == nil {
		p.other = map[string]*template.Template{}
	}
	p.other[key] = t
	return t, nil
}

// funcs are the template functions; "t" speaks lang (each language has its
// own parse of the pages, see lookup).
func funcs(cat *i18n.Catalogue, st *staticFiles, lang string) template.FuncMap {
	return template.FuncMap{
		"t":  func(key string, kv ...string) string { return cat.T(lang, key, kv...) },
		"tv": func(key string, kv []string) string { return cat.T(lang, key, kv...) },
		"static": func(name string) (string, error) {
			return st.url(name)
		},
		"roleKey": func(r auth.Role) string { return "role." + r.String() },
	}
}

func parsePages(cat *i18n.Catalogue, st *staticFiles) (*pages, error) {
	p := &pages{cat: cat, st: st, set: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := parsePage(cat, st, name, i18n.Default)
		if err != nil {
			return nil, err
		}
		p.set[name] = t
	}
	return p, nil
}

// parsePage parses page name with the layout, its functions bound to lang.
func parsePage(cat *i18n.Catalogue, st *staticFiles, name, lang string) (*template.Template, error) {
	t, err := template.New("layout.html").Funcs(funcs(cat, st, lang)).
		ParseFS(templateFiles, "templates/layout.html", "templates/complaint_rows.html", "templates/"+name+".html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	return t, nil
}

// navItem is one entry of the navigation bar.
type navItem struct {
	Key, Href string
	Current   bool
}

// navigation lists the console's pages (most still to come) that role may see.
func navigation(role auth.Role, path string) []navItem {
	all := []struct {
		key, href string
		min       auth.Role
	}{
		{"nav.desk", "/", auth.RoleViewer},
		{"nav.tickets", "/tickets", auth.RoleViewer},
		{"nav.inspections", "/inspections", auth.RoleViewer},
		{"nav.reports", "/reports", auth.RoleViewer},
		{"complaints.nav", "/complaints", auth.RoleViewer},
		{"nav.devices", "/devices", auth.RoleViewer},
		{"maintenance.nav", "/maintenance", auth.RoleViewer},
		{"roster.nav", "/roster", auth.RoleViewer},
		{"nav.wall", "/wall", auth.RoleViewer},
		{"nav.admin", "/admin", auth.RoleAdmin},
	}
	var out []navItem
	for _, n := range all {
		if role >= n.min {
			out = append(out, navItem{Key: n.key, Href: n.href, Current: n.href == path})
		}
	}
	return out
}

// page is what every template gets.
type page struct {
	Lang       string
	Path       string
	TitleKey   string
	MsgKey     string   // an informational message
	MsgArgs    []string // its placeholder pairs
	ErrKey     string   // an error message
	ErrArgs    []string
	User       *accounts.User
	CSRF       string
	Nav        []navItem
	Username   string // login form refill
	Policy     accounts.Policy
	IdleMins   int
	MaxFail    int
	LockMins   int
	MustChange bool
	// Data is the page's own view (inspections, reports, devices, wall, admin).
	Data any
}

// render writes page name with status code.
func (c *Console) render(w http.ResponseWriter, r *http.Request, code int, name string, p page) {
	p.Lang = langOf(r)
	p.Path = r.URL.Path
	if sess, ok := SessionFrom(r.Context()); ok {
		u := sess.User
		p.User = &u
		p.CSRF = sess.CSRF
		p.Nav = c.withoutAbsent(navigation(u.Role, r.URL.Path))
		if _, ok := c.complaints(); !ok { // no ticket service: no complaints page
			p.Nav = slices.DeleteFunc(p.Nav, func(n navItem) bool { return n.Href == "/complaints" })
		}
		p.MustChange = u.MustChangePassword
	}
	t, err := c.pages.lookup(name, p.Lang)
	if err == nil {
		var buf bytes.Buffer
		if err = t.ExecuteTemplate(&buf, "layout.html", p); err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(code)
			_, _ = buf.WriteTo(w)
			return
		}
	}
	c.internalError(w, r, fmt.Errorf("render %s: %w", name, err))
}

func (c *Console) internalError(w http.ResponseWriter, r *http.Request, err error) {
	c.o.Logger.Error("console", "path", r.URL.Path, "err", err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte(c.cat.T(langOf(r), "error.internal") + "\n"))
}

func (c *Console) forbidden(w http.ResponseWriter, r *http.Request, msgKey string) {
	c.o.Logger.Warn("console: request refused", "reason", msgKey, "method", r.Method, "path", r.URL.Path,
		"remote", remoteIP(r), "origin", r.Header.Get("Origin"))
	c.render(w, r, http.StatusForbidden, "error", page{TitleKey: "error.forbidden", ErrKey: msgKey})
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusNotFound, "error", page{TitleKey: "error.not_found", ErrKey: "error.not_found_text"})
}
