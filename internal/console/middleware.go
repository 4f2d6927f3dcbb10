package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console/i18n"
)

// wallPrefix is the wall display's path: the one page a command centre's
// screen system may frame (same origin only).
const wallPrefix = "/wall"

// csp allows only the console's own files: no inline script, no eval, no
// <style> elements, no plugins, forms posting only here, no framing. Style
// attributes are allowed (style-src-attr): Apache ECharts, canvas or SVG,
// positions its elements with them and draws nothing without them (see
// TestBrowserEChartsUnderCSP). They cannot run code, and html/template
// escapes every value, so no one else's markup reaches a page to use them.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (c *Console) securityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	policy, frame := csp, "DENY"
	if r.URL.Path == wallPrefix || strings.HasPrefix(r.URL.Path, wallPrefix+"/") {
		policy = strings.Replace(csp, "frame-ancestors 'none'", "frame-ancestors 'self'", 1)
		frame = "SAMEORIGIN"
	}
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Frame-Options", frame)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)")
	if c.o.Secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin checks a state-changing request's Origin (and Sec-Fetch-Site)
// against the host it was sent to. Browsers send Origin on every POST, so a
// form posted from another site is refused here, before any token check; a
// client that sends neither header (curl, scripts) passes on to the token
// checks.
func (c *Console) sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := "http"
	if c.o.Secure || r.TLS != nil {
		scheme = "https"
	}
	return u.Scheme == scheme && strings.EqualFold(u.Host, r.Host)
}

type ctxKey int

const (
	keyLang ctxKey = iota
	keySession
)

// withLang picks the language: ?lang= (remembered in a cookie), else the
// cookie, else zh-CN.
func (c *Console) withLang(w http.ResponseWriter, r *http.Request) *http.Request {
	lang := ""
	if q := r.URL.Query().Get("lang"); q != "" && c.cat.Lang(q) == q {
		lang = q
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: c.o.Secure, SameSite: http.SameSiteStrictMode})
	} else if ck, err := r.Cookie(langCookie); err == nil && c.cat.Lang(ck.Value) == ck.Value {
		lang = ck.Value
	}
	if lang == "" {
		lang = i18n.Default
	}
	return r.WithContext(context.WithValue(r.Context(), keyLang, lang))
}

func langOf(r *http.Request) string {
	if l, ok := r.Context().Value(keyLang).(string); ok {
		return l
	}
	return i18n.Default
}

// SessionFrom returns the session Authenticated stored in the request's context.
func SessionFrom(ctx context.Context) (accounts.Session, bool) {
	s, ok := ctx.Value(keySession).(accounts.Session)
	return s, ok
}

// remoteIP is the client address for the audit log.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Authenticated wraps h: without a valid session a GET is sent to the login
// page and anything else gets 401; a user who must change an initial
// password is sent to /password; a state-changing request needs the
// session's CSRF token (form field "csrf" or header X-CSRF-Token). The
// session is in the context (SessionFrom), and its user is the one every
// action is attributed to.
func (c *Console) Authenticated(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(SessionCookie)
		var sess accounts.Session
		if err == nil {
			sess, err = c.o.Accounts.Session(r.Context(), ck.Value)
		}
		if err != nil {
			if !errors.Is(err, accounts.ErrNoSession) && !errors.Is(err, http.ErrNoCookie) {
				c.internalError(w, r, err)
				return
			}
			if ck != nil {
				c.clearSession(w)
			}
			if safeMethod(r.Method) {
				to := "/login"
				if ck != nil {
					to += "?expired=1"
				}
				http.Redirect(w, r, to, http.StatusSeeOther)
				return
			}
			c.render(w, r, http.StatusUnauthorized, "error", page{TitleKey: "login.title", MsgKey: "login.expired"})
			return
		}
		if !safeMethod(r.Method) {
			limit := int64(maxForm)
			if isMultipart(r) {
				limit = maxUpload // a photo of an inspection item (inspections.go)
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			got := r.Header.Get("X-CSRF-Token")
			if got == "" {
				got = r.PostFormValue("csrf")
			}
			if !sess.CheckCSRF(got) {
				c.forbidden(w, r, "error.csrf")
				return
			}
		}
		if sess.User.MustChangePassword && r.URL.Path != "/password" {
			http.Redirect(w, r, "/password", http.StatusSeeOther)
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keySession, sess)))
	})
}

// RequireRole wraps h (inside Authenticated) so that only users whose role
// is at least min reach it; others get 403.
func (c *Console) RequireRole(min auth.Role, h http.Handler) http.Handler {
	return c.Authenticated(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, _ := SessionFrom(r.Context())
		if sess.User.Role < min {
			c.forbidden(w, r, "error.role")
			return
		}
		h.ServeHTTP(w, r)
	}))
}

func (c *Console) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/",
		HttpOnly: true, Secure: c.o.Secure, SameSite: http.SameSiteStrictMode})
}

func (c *Console) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.o.Secure, SameSite: http.SameSiteStrictMode})
}

// tokenEqual compares two tokens in constant time; empty never matches.
func tokenEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
