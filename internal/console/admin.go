package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
)

type adminUser struct {
	Name, Display, RoleKey, Sites, Phone, Email string
	Disabled, MustChange, Self                  bool
}

type adminToken struct {
	ID                                  int64
	Name, KindKey, RoleKey, By, Created string
	Revoked                             string
}

type auditRow struct {
	At, Kind, Who, Text string
}

type adminView struct {
	Users     []adminUser
	Tokens    []adminToken
	Roles     []string // role names for the selects
	Audit     []auditRow
	AuditOn   bool
	Query     string
	NewSecret string // a token just issued, shown once
	NewKiosk  string // its wall display URL, for a kiosk token
	TokensOn  bool
	UsersOn   bool
	PolicyMin int
	PolicyCls int
}

func (c *Console) adminView(r *http.Request) (adminView, error) {
	ctx := r.Context()
	me := user(r)
	v := adminView{Roles: []string{"viewer", "customer", "engineer", "manager", "admin"},
		UsersOn: c.o.Sources.Users != nil, TokensOn: c.o.Sources.Tokens != nil, AuditOn: c.o.Sources.Audit != nil,
		Query:     strings.TrimSpace(r.URL.Query().Get("q")),
		PolicyMin: c.o.Accounts.Policy().MinLength, PolicyCls: c.o.Accounts.Policy().MinClasses}
	if v.UsersOn {
		us, err := c.o.Sources.Users.List(ctx)
		if err != nil {
			return v, err
		}
		for _, u := range us {
			v.Users = append(v.Users, adminUser{Name: u.Name, Display: u.DisplayName, RoleKey: "role." + u.Role.String(),
				Sites: strings.Join(u.Sites, ", "), Phone: u.Phone, Email: u.Email,
				Disabled: u.Disabled, MustChange: u.MustChangePassword, Self: u.Name == me.Name})
		}
	}
	if v.TokensOn {
		ts, err := c.o.Sources.Tokens.Tokens(ctx)
		if err != nil {
			return v, err
		}
		for _, t := range ts {
			at := adminToken{ID: t.ID, Name: t.Name, KindKey: "admin.token_kind." + t.Kind, RoleKey: "role." + t.Role.String(),
				By: t.CreatedBy, Created: c.when(t.CreatedAt)}
			if t.Revoked() {
				at.Revoked = c.when(t.RevokedAt) + " " + t.RevokedBy
			}
			v.Tokens = append(v.Tokens, at)
		}
	}
	if v.AuditOn {
		lines, err := c.o.Sources.Audit.Search(ctx, v.Query, 200)
		if err != nil {
			return v, err
		}
		for _, l := range lines {
			v.Audit = append(v.Audit, auditRow{At: c.when(l.At), Kind: l.Kind, Who: l.Who, Text: l.Text})
		}
	}
	return v, nil
}

func (c *Console) renderAdmin(w http.ResponseWriter, r *http.Request, code int, p page, edit func(*adminView)) {
	v, err := c.adminView(r)
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	if edit != nil {
		edit(&v)
	}
	p.TitleKey = "admin.title"
	p.Data = v
	c.render(w, r, code, "admin", p)
}

func (c *Console) adminPage(w http.ResponseWriter, r *http.Request) {
	p := page{}
	if m := r.URL.Query().Get("done"); m != "" && c.cat.Has("admin.done."+m) {
		p.MsgKey = "admin.done." + m
	}
	c.renderAdmin(w, r, http.StatusOK, p, nil)
}

// adminFail shows the admin page with the error err maps to.
func (c *Console) adminFail(w http.ResponseWriter, r *http.Request, err error) {
	p := page{}
	var pe *accounts.PolicyError
	code := http.StatusUnprocessableEntity
	switch {
	case errors.As(err, &pe):
		p.ErrKey = "password." + pe.Reason
		p.ErrArgs = []string{"min", strconv.Itoa(pe.Policy.MinLength), "classes", strconv.Itoa(pe.Policy.MinClasses)}
	case errors.Is(err, accounts.ErrExists):
		p.ErrKey, code = "admin.err.exists", http.StatusConflict
	case errors.Is(err, accounts.ErrInvalidName):
		p.ErrKey = "admin.err.name"
	case errors.Is(err, accounts.ErrInvalidRole):
		p.ErrKey = "admin.err.role"
	case errors.Is(err, accounts.ErrNotFound), errors.Is(err, accounts.ErrNoToken):
		p.ErrKey, code = "admin.err.not_found", http.StatusNotFound
	default:
		c.internalError(w, r, err)
		return
	}
	c.renderAdmin(w, r, code, p, nil)
}

func (c *Console) adminAddUser(w http.ResponseWriter, r *http.Request) {
	if c.o.Sources.Users == nil {
		c.notFound(w, r)
		return
	}
	role, err := auth.ParseRole(r.PostFormValue("role"))
	if err != nil {
		c.adminFail(w, r, accounts.ErrInvalidRole)
		return
	}
	sites := strings.FieldsFunc(r.PostFormValue("sites"), func(r rune) bool { return r == ',' || r == ' ' || r == '，' })
	n := accounts.NewUser{Name: strings.TrimSpace(r.PostFormValue("name")), DisplayName: strings.TrimSpace(r.PostFormValue("display")),
		Phone: strings.TrimSpace(r.PostFormValue("phone")), Email: strings.TrimSpace(r.PostFormValue("email")),
		WeComID: strings.TrimSpace(r.PostFormValue("wecom")), DingTalkID: strings.TrimSpace(r.PostFormValue("dingtalk")),
		Role: role, Sites: sites, Password: r.PostFormValue("password")}
	if _, err := c.o.Sources.Users.Add(r.Context(), n, user(r).Name); err != nil {
		c.adminFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin?done=user_added", http.StatusSeeOther)
}

func (c *Console) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	if c.o.Sources.Users == nil {
		c.notFound(w, r)
		return
	}
	name := r.PathValue("name")
	if disabled && name == user(r).Name {
		c.renderAdmin(w, r, http.StatusUnprocessableEntity, page{ErrKey: "admin.err.self"}, nil)
		return
	}
	if err := c.o.Sources.Users.SetDisabled(r.Context(), name, disabled, user(r).Name); err != nil {
		c.adminFail(w, r, err)
		return
	}
	done := "enabled"
	if disabled {
		done = "disabled"
	}
	http.Redirect(w, r, "/admin?done="+done, http.StatusSeeOther)
}

func (c *Console) adminDisable(w http.ResponseWriter, r *http.Request) { c.setDisabled(w, r, true) }
func (c *Console) adminEnable(w http.ResponseWriter, r *http.Request)  { c.setDisabled(w, r, false) }

// adminResetPassword sets a new initial password; the user must change it
// at the next login and every session of the user ends.
func (c *Console) adminResetPassword(w http.ResponseWriter, r *http.Request) {
	if c.o.Sources.Users == nil {
		c.notFound(w, r)
		return
	}
	if err := c.o.Sources.Users.ResetPassword(r.Context(), r.PathValue("name"), r.PostFormValue("password"), user(r).Name); err != nil {
		c.adminFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin?done=password_reset", http.StatusSeeOther)
}

// adminIssueToken issues an API token (with a role) or a kiosk token for
// the wall display. Its secret is shown on this one answer only.
func (c *Console) adminIssueToken(w http.ResponseWriter, r *http.Request) {
	if c.o.Sources.Tokens == nil {
		c.notFound(w, r)
		return
	}
	kind := r.PostFormValue("kind")
	role := auth.RoleViewer
	if kind == accounts.TokenAPI {
		var err error
		if role, err = auth.ParseRole(r.PostFormValue("role")); err != nil {
			c.adminFail(w, r, accounts.ErrInvalidRole)
			return
		}
	}
	_, secret, err := c.o.Sources.Tokens.IssueToken(r.Context(), r.PostFormValue("name"), kind, role, user(r).Name)
	if err != nil {
		if errors.Is(err, accounts.ErrInvalidName) || errors.Is(err, accounts.ErrInvalidRole) {
			c.adminFail(w, r, err)
			return
		}
		c.renderAdmin(w, r, http.StatusUnprocessableEntity, page{ErrKey: "admin.err.token"}, nil)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	c.renderAdmin(w, r, http.StatusOK, page{MsgKey: "admin.done.token_issued"}, func(v *adminView) {
		v.NewSecret = secret
		if kind == accounts.TokenKiosk {
			v.NewKiosk = "/wall?k=" + secret
		}
	})
}

func (c *Console) adminRevokeToken(w http.ResponseWriter, r *http.Request) {
	if c.o.Sources.Tokens == nil {
		c.notFound(w, r)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return
	}
	if err := c.o.Sources.Tokens.RevokeToken(r.Context(), id, user(r).Name); err != nil {
		c.adminFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin?done=token_revoked", http.StatusSeeOther)
}
