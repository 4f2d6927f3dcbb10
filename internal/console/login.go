package console

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/roomwatch/roomwatch/internal/accounts"
)

// maxForm bounds a login or password form's body.
const maxForm = 16 << 10

func (c *Console) loginPage(r *http.Request) page {
	return page{TitleKey: "login.title", MaxFail: c.o.MaxFailures, LockMins: int(c.o.Lockout / time.Minute)}
}

// loginForm shows the login form with a fresh double-submit token: a random
// value both in a SameSite=Strict HttpOnly cookie and in the form.
func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(SessionCookie); err == nil {
		if _, err := c.o.Accounts.Session(r.Context(), ck.Value); err == nil {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
	}
	p := c.loginPage(r)
	switch {
	case r.URL.Query().Has("bye"):
		p.MsgKey = "login.logged_out"
	case r.URL.Query().Has("expired"):
		p.MsgKey = "login.expired"
	}
	c.renderLogin(w, r, http.StatusOK, p)
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, code int, p page) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		c.internalError(w, r, err)
		return
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login",
		HttpOnly: true, Secure: c.o.Secure, SameSite: http.SameSiteStrictMode})
	p.CSRF = tok
	c.render(w, r, code, "login", p)
}

// loginPost checks the form fields username and password. A browser's
// request carries the login cookie and must carry the same token in the
// form ("csrf"); a request from another site has already been refused by
// its Origin. Wrong name, wrong password and disabled account get the same
// answer (401); a locked name gets 429 with the time the lock ends.
func (c *Console) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
		return
	}
	if ck, err := r.Cookie(loginCookie); err == nil || r.PostForm.Has("csrf") {
		if err != nil || !tokenEqual(ck.Value, r.PostForm.Get("csrf")) {
			c.forbidden(w, r, "error.csrf")
			return
		}
	}
	name, pw := r.PostForm.Get("username"), r.PostForm.Get("password")
	sess, err := c.o.Accounts.Login(r.Context(), name, pw, remoteIP(r))
	p := c.loginPage(r)
	p.Username = name
	var locked *accounts.LockedError
	switch {
	case err == nil:
	case errors.As(err, &locked):
		p.ErrKey = "login.locked"
		p.ErrArgs = []string{"until", locked.Until.In(c.o.Location).Format("2006-01-02 15:04:05")}
		secs := int(locked.Until.Sub(c.o.Clock.Now()).Seconds()) + 1
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		c.renderLogin(w, r, http.StatusTooManyRequests, p)
		return
	case errors.Is(err, accounts.ErrBadCredentials):
		p.ErrKey = "login.bad"
		c.renderLogin(w, r, http.StatusUnauthorized, p)
		return
	default:
		c.internalError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1,
		HttpOnly: true, Secure: c.o.Secure, SameSite: http.SameSiteStrictMode})
	c.setSession(w, sess.Token)
	to := "/"
	if sess.User.MustChangePassword {
		to = "/password"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// logout ends the session (GET /logout; the SameSite=Strict cookie is not
// sent from another site, so a foreign link cannot log anyone out).
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(SessionCookie); err == nil {
		if err := c.o.Accounts.Logout(r.Context(), ck.Value, remoteIP(r)); err != nil {
			c.internalError(w, r, err)
			return
		}
	}
	c.clearSession(w)
	http.Redirect(w, r, "/login?bye=1", http.StatusSeeOther)
}
