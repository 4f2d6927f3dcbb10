package console

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/silence"
)

// Silences are the collector's own maintenance windows (*silence.Set,
// silences.db): the ones the Alertmanager-compatible API at
// /api/v2/silences serves too.
type Silences interface {
	List() []silence.Silence
	Put(ctx context.Context, s silence.Silence) (string, error)
	Expire(ctx context.Context, id string) error
}

// maintenanceRole may create and expire windows (engineers, managers,
// admins); every other role reads.
const maintenanceRole = auth.RoleEngineer

// maintenanceInput is the datetime-local format of the form.
const maintenanceInput = "2006-01-02T15:04"

// maintenanceDefault is the length a new window's form proposes.
const maintenanceDefault = 2 * time.Hour

// windowRow is one maintenance window on the page.
type windowRow struct {
	ID, State, StateKey  string
	Device, Site, Class  string // the usual matchers (device=, site=, class=)
	Other                string // any other matchers, as amtool shows them
	Starts, Ends, Author string
	Comment              string
}

// option is one entry of a select.
type option struct{ Value, Label string }

type maintenanceView struct {
	Windows []windowRow
	CanEdit bool
	Devices []option
	Sites   []option
	Classes []option
	Form    maintenanceForm
}

// maintenanceForm is what was typed, kept when it is refused.
type maintenanceForm struct {
	Scope, Device, Site, Class string
	Starts, Ends, Comment      string
}

// maintenanceRoutes adds the maintenance page; without a silence set it
// says that windows are not kept here.
func (c *Console) maintenanceRoutes(m *http.ServeMux) {
	m.Handle("GET /maintenance", c.RequireRole(auth.RoleViewer, http.HandlerFunc(c.maintenancePage)))
	m.Handle("POST /maintenance", c.RequireRole(maintenanceRole, http.HandlerFunc(c.maintenanceCreate)))
	m.Handle("POST /maintenance/{id}/expire", c.RequireRole(maintenanceRole, http.HandlerFunc(c.maintenanceExpire)))
}

// maintenanceView lists the active and future windows, by start.
func (c *Console) maintenanceView(r *http.Request, f maintenanceForm) maintenanceView {
	now := c.o.Clock.Now()
	v := maintenanceView{CanEdit: user(r).Role >= maintenanceRole, Form: f}
	for _, s := range c.o.Silences.List() {
		st := s.StateAt(now)
		if st == silence.StateExpired {
			continue
		}
		row := windowRow{ID: s.ID, State: string(st), StateKey: "maintenance.state." + string(st),
			Starts: c.when(s.StartsAt), Ends: c.when(s.EndsAt), Author: s.CreatedBy, Comment: s.Comment}
		var other []string
		for _, m := range s.Matchers {
			if m.Type != silence.MatchEqual {
				other = append(other, m.String())
				continue
			}
			switch m.Name {
			case "device":
				row.Device = m.Value
			case "site":
				row.Site = m.Value
			case "class":
				row.Class = m.Value
			default:
				other = append(other, m.String())
			}
		}
		row.Other = strings.Join(other, " ")
		v.Windows = append(v.Windows, row)
	}
	if inv := c.o.Sources.Inventory; inv != nil {
		sites := map[string]string{}
		classes := map[string]bool{}
		for _, s := range inv.Sites {
			sites[s.Name] = cmp.Or(s.DisplayName, s.Name)
		}
		for _, d := range inv.Devices {
			label := d.Name
			if d.DisplayName != "" && d.DisplayName != d.Name {
				label = d.DisplayName + " (" + d.Name + ")"
			}
			v.Devices = append(v.Devices, option{Value: d.Name, Label: label})
			if d.Site != "" && sites[d.Site] == "" {
				sites[d.Site] = d.Site
			}
			if d.Class != "" {
				classes[string(d.Class)] = true
			}
		}
		for name, label := range sites {
			v.Sites = append(v.Sites, option{Value: name, Label: label})
		}
		for cl := range classes {
			v.Classes = append(v.Classes, option{Value: cl, Label: cl})
		}
		byValue := func(a, b option) int { return cmp.Compare(a.Value, b.Value) }
		slices.SortFunc(v.Devices, byValue)
		slices.SortFunc(v.Sites, byValue)
		slices.SortFunc(v.Classes, byValue)
	}
	local := now.In(c.o.Location)
	if v.Form.Starts == "" {
		v.Form.Starts = local.Format(maintenanceInput)
	}
	if v.Form.Ends == "" {
		v.Form.Ends = local.Add(maintenanceDefault).Format(maintenanceInput)
	}
	if v.Form.Scope == "" {
		v.Form.Scope = "device"
	}
	return v
}

// maintenancePage is the maintenance-window page (GET /maintenance).
func (c *Console) maintenancePage(w http.ResponseWriter, r *http.Request) {
	if c.o.Silences == nil {
		c.render(w, r, http.StatusOK, "maintenance", page{TitleKey: "maintenance.title", ErrKey: "maintenance.absent"})
		return
	}
	p := page{TitleKey: "maintenance.title", Data: c.maintenanceView(r, maintenanceForm{})}
	switch r.URL.Query().Get("done") {
	case "created":
		p.MsgKey = "maintenance.created"
	case "expired":
		p.MsgKey = "maintenance.expired"
	}
	c.render(w, r, http.StatusOK, "maintenance", p)
}

// errMaintenanceForm is a form the page refuses; key is the message.
type errMaintenanceForm struct{ key string }

func (e *errMaintenanceForm) Error() string { return "maintenance form: " + e.key }

// windowFromForm builds a window from the posted form.
func (c *Console) windowFromForm(f maintenanceForm, author string) (silence.Silence, error) {
	var ms []silence.Matcher
	add := func(name, value string) error {
		m, err := silence.NewMatcher(silence.MatchEqual, name, value)
		if err != nil {
			return err
		}
		ms = append(ms, m)
		return nil
	}
	switch f.Scope {
	case "device":
		if f.Device == "" {
			return silence.Silence{}, &errMaintenanceForm{"maintenance.err.device"}
		}
		if err := add("device", f.Device); err != nil {
			return silence.Silence{}, err
		}
	case "site":
		if f.Site == "" {
			return silence.Silence{}, &errMaintenanceForm{"maintenance.err.site"}
		}
		if err := add("site", f.Site); err != nil {
			return silence.Silence{}, err
		}
		if f.Class != "" {
			if err := add("class", f.Class); err != nil {
				return silence.Silence{}, err
			}
		}
	default:
		return silence.Silence{}, &errMaintenanceForm{"maintenance.err.scope"}
	}
	starts, err1 := time.ParseInLocation(maintenanceInput, f.Starts, c.o.Location)
	ends, err2 := time.ParseInLocation(maintenanceInput, f.Ends, c.o.Location)
	if err1 != nil || err2 != nil {
		return silence.Silence{}, &errMaintenanceForm{"maintenance.err.time"}
	}
	if !ends.After(starts) || !ends.After(c.o.Clock.Now()) {
		return silence.Silence{}, &errMaintenanceForm{"maintenance.err.order"}
	}
	if strings.TrimSpace(f.Comment) == "" {
		return silence.Silence{}, &errMaintenanceForm{"maintenance.err.comment"}
	}
	return silence.Silence{Matchers: ms, StartsAt: starts, EndsAt: ends, CreatedBy: author, Comment: strings.TrimSpace(f.Comment)}, nil
}

// maintenanceCreate creates a window (POST /maintenance); its creator is
// the logged-in person.
func (c *Console) maintenanceCreate(w http.ResponseWriter, r *http.Request) {
	if c.o.Silences == nil {
		c.notFound(w, r)
		return
	}
	f := maintenanceForm{Scope: r.PostFormValue("scope"), Device: strings.TrimSpace(r.PostFormValue("device")),
		Site: strings.TrimSpace(r.PostFormValue("site")), Class: strings.TrimSpace(r.PostFormValue("class")),
		Starts: r.PostFormValue("starts"), Ends: r.PostFormValue("ends"), Comment: r.PostFormValue("comment")}
	s, err := c.windowFromForm(f, user(r).Name)
	if err == nil {
		_, err = c.o.Silences.Put(r.Context(), s)
	}
	var fe *errMaintenanceForm
	switch {
	case err == nil:
		c.o.Logger.Info("console: maintenance window created", "by", user(r).Name, "matchers", s.MatchersString(),
			"starts", s.StartsAt, "ends", s.EndsAt)
		http.Redirect(w, r, "/maintenance?done=created", http.StatusSeeOther)
	case errors.As(err, &fe):
		c.render(w, r, http.StatusUnprocessableEntity, "maintenance",
			page{TitleKey: "maintenance.title", ErrKey: fe.key, Data: c.maintenanceView(r, f)})
	case errors.Is(err, silence.ErrInvalid):
		c.o.Logger.Warn("console: maintenance window refused", "by", user(r).Name, "err", err)
		c.render(w, r, http.StatusUnprocessableEntity, "maintenance",
			page{TitleKey: "maintenance.title", ErrKey: "maintenance.err.invalid", Data: c.maintenanceView(r, f)})
	default:
		c.internalError(w, r, err)
	}
}

// maintenanceExpire ends a window now (POST /maintenance/{id}/expire).
func (c *Console) maintenanceExpire(w http.ResponseWriter, r *http.Request) {
	if c.o.Silences == nil {
		c.notFound(w, r)
		return
	}
	id := r.PathValue("id")
	err := c.o.Silences.Expire(r.Context(), id)
	switch {
	case err == nil:
		c.o.Logger.Info("console: maintenance window expired", "by", user(r).Name, "id", id)
		http.Redirect(w, r, "/maintenance?done=expired", http.StatusSeeOther)
	case errors.Is(err, silence.ErrNotFound), errors.Is(err, silence.ErrExpired):
		c.render(w, r, http.StatusNotFound, "maintenance",
			page{TitleKey: "maintenance.title", ErrKey: "maintenance.err.not_found", Data: c.maintenanceView(r, maintenanceForm{})})
	default:
		c.internalError(w, r, err)
	}
}
