package console

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/roomwatch/roomwatch/internal/accounts"
)

func (c *Console) passwordPage() page {
	return page{TitleKey: "password.title", Policy: c.o.Accounts.Policy()}
}

func (c *Console) passwordForm(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "password", c.passwordPage())
}

// passwordPost changes the logged-in user's password. Every session of the
// user ends; this browser gets a new one.
func (c *Console) passwordPost(w http.ResponseWriter, r *http.Request) {
	sess, _ := SessionFrom(r.Context())
	p := c.passwordPage()
	old, nw, again := r.PostFormValue("old"), r.PostFormValue("new"), r.PostFormValue("confirm")
	if nw != again {
		p.ErrKey = "password.mismatch"
		c.render(w, r, http.StatusUnprocessableEntity, "password", p)
		return
	}
	ns, err := c.o.Accounts.ChangePassword(r.Context(), sess.User.Name, old, nw, remoteIP(r))
	var pe *accounts.PolicyError
	switch {
	case err == nil:
	case errors.As(err, &pe):
		p.ErrKey = "password." + pe.Reason
		p.ErrArgs = []string{"min", strconv.Itoa(pe.Policy.MinLength), "classes", strconv.Itoa(pe.Policy.MinClasses)}
		c.render(w, r, http.StatusUnprocessableEntity, "password", p)
		return
	case errors.Is(err, accounts.ErrBadCredentials):
		p.ErrKey = "password.wrong_old"
		c.render(w, r, http.StatusUnprocessableEntity, "password", p)
		return
	default:
		c.internalError(w, r, err)
		return
	}
	c.setSession(w, ns.Token)
	http.Redirect(w, r, "/?changed=1", http.StatusSeeOther)
}
