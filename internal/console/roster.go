package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/roster"
)

// Roster is the duty roster (*roster.Roster): the 值班表 page and the
// on-duty line of the duty desk's header.
type Roster interface {
	View(ctx context.Context, from, to calendar.Date) (roster.APIRoster, error)
	ShiftDate(t time.Time) calendar.Date
	Overrides() []roster.Override
	CanOverride() bool
	AddOverride(ctx context.Context, o roster.Override, actor string) (roster.Override, error)
	RemoveOverride(ctx context.Context, id int64, actor string) error
	People(ctx context.Context, t time.Time, role roster.Role) ([]roster.Person, error)
}

// overrideRole may add and remove overrides: the project manager, the admin.
const overrideRole = auth.RoleManager

// rosterRoutes adds the roster page (GET /roster) and its override forms.
func (c *Console) rosterRoutes(m *http.ServeMux) {
	m.Handle("GET /roster", c.RequireRole(auth.RoleViewer, http.HandlerFunc(c.rosterPage)))
	m.Handle("POST /roster/overrides", c.RequireRole(overrideRole, http.HandlerFunc(c.rosterAdd)))
	m.Handle("POST /roster/overrides/{id}/remove", c.RequireRole(overrideRole, http.HandlerFunc(c.rosterRemove)))
}

// rosterView is the roster page's data.
type rosterView struct {
	Absent   bool
	Handover string
	Weeks    [][]rosterRow // this week and next, Monday first
	Roles    []roster.Role
	Problems []roster.Problem
	// Overrides still to come or running (from the current shift on).
	Overrides []roster.APIOverride
	CanEdit   bool // the user may add overrides and a store takes them
	Today     string
	// Form refill after an error.
	Form roster.APIOverride
}

// rosterRow is one shift on the page, with a cell per role.
type rosterRow struct {
	Date    string
	Weekday string // monday … sunday, for the catalogue
	Holiday string
	Current bool
	Cells   []roster.APIDuty // one per role in Roles order; People empty: nobody
}

func rowOf(s roster.APIShift) rosterRow {
	row := rosterRow{Date: s.Date, Holiday: s.Holiday, Current: s.Current}
	row.Weekday = strings.ToLower(s.Start.Weekday().String())
	for _, role := range roster.Roles() {
		cell := roster.APIDuty{Role: role}
		for _, d := range s.Duty {
			if d.Role == role {
				cell = d
			}
		}
		row.Cells = append(row.Cells, cell)
	}
	return row
}

// rosterPage shows this week and next with the people per shift, the
// current shift highlighted, the names without an account, the overrides
// and, for managers, the form to add one.
func (c *Console) rosterPage(w http.ResponseWriter, r *http.Request) {
	c.renderRoster(w, r, http.StatusOK, page{MsgKey: doneKey(r.URL.Query().Get("done"))}, roster.APIOverride{})
}

func doneKey(done string) string {
	switch done {
	case "added":
		return "roster.done.added"
	case "removed":
		return "roster.done.removed"
	}
	return ""
}

func (c *Console) renderRoster(w http.ResponseWriter, r *http.Request, code int, p page, form roster.APIOverride) {
	p.TitleKey = "roster.title"
	v := rosterView{Roles: roster.Roles(), Form: form}
	if c.o.Roster == nil {
		v.Absent = true
		p.Data = v
		c.render(w, r, code, "roster", p)
		return
	}
	cur := c.o.Roster.ShiftDate(c.o.Clock.Now())
	v.Today = cur.String()
	monday := cur.AddDays(-((int(cur.Weekday()) + 6) % 7))
	view, err := c.o.Roster.View(r.Context(), monday, monday.AddDays(13))
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	v.Handover, v.Problems = view.Handover, view.Problems
	for i, s := range view.Shifts {
		if i%7 == 0 {
			v.Weeks = append(v.Weeks, nil)
		}
		v.Weeks[len(v.Weeks)-1] = append(v.Weeks[len(v.Weeks)-1], rowOf(s))
	}
	for _, o := range c.o.Roster.Overrides() {
		if !o.Last().Before(cur) {
			v.Overrides = append(v.Overrides, roster.ToAPI(o))
		}
	}
	v.CanEdit = user(r).Role >= overrideRole && c.o.Roster.CanOverride()
	if v.Form.From == "" {
		v.Form.From = cur.String()
	}
	p.Data = v
	c.render(w, r, code, "roster", p)
}

func (c *Console) rosterAdd(w http.ResponseWriter, r *http.Request) {
	if c.o.Roster == nil {
		c.notFound(w, r)
		return
	}
	in := roster.APIOverride{From: strings.TrimSpace(r.PostFormValue("from")), To: strings.TrimSpace(r.PostFormValue("to")),
		Role: roster.Role(r.PostFormValue("role")), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	in.Users = strings.FieldsFunc(r.PostFormValue("users"), func(r rune) bool { return r == ',' || r == ' ' || r == '，' || r == '、' })
	o, err := roster.FromAPI(in)
	if err == nil {
		_, err = c.o.Roster.AddOverride(r.Context(), o, user(r).Name)
	}
	if err != nil {
		if !errors.Is(err, roster.ErrInvalid) {
			c.internalError(w, r, err)
			return
		}
		c.renderRoster(w, r, http.StatusUnprocessableEntity, page{ErrKey: "roster.err.invalid", ErrArgs: []string{"err", err.Error()}}, in)
		return
	}
	http.Redirect(w, r, "/roster?done=added", http.StatusSeeOther)
}

func (c *Console) rosterRemove(w http.ResponseWriter, r *http.Request) {
	if c.o.Roster == nil {
		c.notFound(w, r)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.notFound(w, r)
		return
	}
	if err := c.o.Roster.RemoveOverride(r.Context(), id, user(r).Name); err != nil {
		if errors.Is(err, roster.ErrNotFound) {
			c.notFound(w, r)
			return
		}
		c.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/roster?done=removed", http.StatusSeeOther)
}

// onDutyNow is the duty desk header's line: the engineer(s) on duty now
// ("" without a roster or nobody on duty).
func (c *Console) onDutyNow(ctx context.Context) string {
	if c.o.Roster == nil {
		return ""
	}
	ps, err := c.o.Roster.People(ctx, c.o.Clock.Now(), roster.Engineer)
	if err != nil {
		c.o.Logger.Warn("duty desk: who is on duty", "err", err)
		return ""
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Label()
	}
	return strings.Join(names, "、")
}

// withoutAbsent drops the roster's navigation entry when there is no roster.
func (c *Console) withoutAbsent(nav []navItem) []navItem {
	if c.o.Roster != nil {
		return nav
	}
	return slices.DeleteFunc(nav, func(n navItem) bool { return n.Key == "roster.nav" })
}
