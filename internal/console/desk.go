package console

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// deskMax bounds the tickets listed on the desk (the rest are counted and
// one click away in the ticket list).
const deskMax = 200

// deskAlertsMax and deskDownMax bound the alerts and the devices of one
// site and class listed (the rest are counted).
const (
	deskAlertsMax = 50
	deskDownMax   = 30
)

// deskData is what the duty desk shows.
type deskData struct {
	OnDuty       string // the engineer(s) on duty now, from the roster (header only)
	NowMS        int64  // the server's clock, for desk.js's countdowns
	Open         int
	Levels       []levelCount
	Tickets      []ticketRow
	More         int
	Alerts       []alertRow
	AlertsTotal  int
	AlertsMore   int
	Down         []downGroup
	DownTotal    int
	Inspections  []inspRow
	NoInspection bool // no inspection store given: shown as not available here
	InspectErr   bool
	CanRegister  bool
}

type levelCount struct{ Level, N int }

// alertRow is a firing alert: an alert-opened ticket whose alerts have not
// all resolved (the ticket service recovers it when they have).
type alertRow struct {
	TicketID          int64
	Level             int
	Name, Device      string
	Site, Since, Last string
}

// downGroup is the devices down (active reachability tickets) of one site
// and class.
type downGroup struct {
	Site, Class string
	ClassKey    string // the class's name in the catalogue ("" for a class it lacks)
	Devices     []downDevice
	N, More     int // all the devices; those not listed
}

type downDevice struct {
	Name     string
	TicketID int64
}

// inspRow is an inspection that finished today.
type inspRow struct {
	ID                      int64
	Title, Status, Finished string
	StatusLabel             string
	Totals                  inspect.Totals
}

func activeStates() []tickets.State {
	var out []tickets.State
	for _, s := range tickets.States() {
		if s.Active() {
			out = append(out, s)
		}
	}
	return out
}

// deskData reads the desk's contents for u.
func (c *Console) deskData(ctx context.Context, lang string, u accounts.User) (deskData, error) {
	now := c.o.Clock.Now()
	d := deskData{NowMS: now.UnixMilli(), CanRegister: u.Role >= registerRole}
	ts, err := c.o.Tickets.List(ctx, tickets.Filter{States: activeStates(), Sites: siteScope(u), Limit: 1000})
	if err != nil {
		return d, err
	}
	d.Open = len(ts)
	counts := map[int]int{}
	rows := make([]ticketRow, 0, len(ts))
	down := map[[2]string]*downGroup{}
	for i := range ts {
		t := &ts[i]
		counts[int(t.Level)]++
		rows = append(rows, briefRow(t))
		if t.Source != "" && t.LastAlertAt != nil && t.RecoveredAt == nil && !isManual(t.Source) {
			d.Alerts = append(d.Alerts, alertRow{TicketID: t.ID, Level: int(t.Level), Name: cmp.Or(t.Labels["alertname"], t.Title),
				Device: t.Device, Site: t.Site, Since: c.fmtTime(&t.OpenedAt), Last: c.fmtTime(t.LastAlertAt)})
		}
		if t.Reach {
			site, class := t.Site, t.Labels["class"]
			if c.o.Devices != nil {
				if s, cl, _, ok := c.o.Devices.Device(t.Device); ok {
					site, class = cmp.Or(site, s), cmp.Or(class, cl)
				}
			}
			k := [2]string{site, class}
			g := down[k]
			if g == nil {
				g = &downGroup{Site: site, Class: class}
				if k := "devices.class." + class; class != "" && c.cat.Has(k) {
					g.ClassKey = k
				}
				down[k] = g
			}
			g.Devices = append(g.Devices, downDevice{Name: t.Device, TicketID: t.ID})
			d.DownTotal++
		}
	}
	for _, l := range []int{1, 2, 3, 4} {
		d.Levels = append(d.Levels, levelCount{Level: l, N: counts[l]})
	}
	byUrgency(rows)
	if len(rows) > deskMax {
		d.More = len(rows) - deskMax
		rows = rows[:deskMax]
	}
	for i := range rows {
		c.formatTimer(lang, &rows[i], now)
	}
	c.markSilenced(ctx, rows)
	d.Tickets = rows
	slices.SortFunc(d.Alerts, func(a, b alertRow) int {
		return cmp.Or(cmp.Compare(a.Level, b.Level), cmp.Compare(b.TicketID, a.TicketID))
	})
	d.AlertsTotal = len(d.Alerts)
	if len(d.Alerts) > deskAlertsMax {
		d.AlertsMore = len(d.Alerts) - deskAlertsMax
		d.Alerts = d.Alerts[:deskAlertsMax]
	}
	for _, g := range down {
		g.N = len(g.Devices)
		if g.N > deskDownMax {
			g.More, g.Devices = g.N-deskDownMax, g.Devices[:deskDownMax]
		}
		d.Down = append(d.Down, *g)
	}
	slices.SortFunc(d.Down, func(a, b downGroup) int { return cmp.Or(cmp.Compare(a.Site, b.Site), cmp.Compare(a.Class, b.Class)) })
	d.NoInspection = c.o.Inspections == nil
	if !d.NoInspection {
		if ins, err := c.inspectionsToday(ctx, lang, now); err != nil {
			c.o.Logger.Warn("console: desk: inspections", "err", err)
			d.InspectErr = true
		} else {
			d.Inspections = ins
		}
	}
	return d, nil
}

func isManual(source string) bool { return len(source) >= 7 && source[:7] == "manual:" }

// inspectionsToday lists the inspections that finished today (local time).
func (c *Console) inspectionsToday(ctx context.Context, lang string, now time.Time) ([]inspRow, error) {
	local := now.In(c.o.Location)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, c.o.Location)
	sums, err := c.o.Inspections.List(ctx, inspect.Filter{Limit: 100})
	if err != nil {
		return nil, err
	}
	var out []inspRow
	for _, s := range sums {
		if s.FinishedAt.Before(day) {
			continue
		}
		label := s.Status
		if k := "desk.insp." + s.Status; c.cat.Has(k) {
			label = c.cat.T(lang, k)
		}
		out = append(out, inspRow{ID: s.ID, Title: cmp.Or(s.Title, s.Template), Status: s.Status, StatusLabel: label,
			Finished: s.FinishedAt.In(c.o.Location).Format("15:04"), Totals: s.Totals})
	}
	return out, nil
}

// desk is the duty desk (GET /).
func (c *Console) desk(w http.ResponseWriter, r *http.Request) {
	sess, _ := SessionFrom(r.Context())
	d, err := c.deskData(r.Context(), langOf(r), sess.User)
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	d.OnDuty = c.onDutyNow(r.Context()) // roster.go
	p := page{TitleKey: "desk.title", Data: d}
	if r.URL.Query().Has("changed") {
		p.MsgKey = "password.changed"
	}
	c.render(w, r, http.StatusOK, "desk", p)
}

// deskPanel is the desk's live part (GET /desk/panel), fetched by desk.js
// when a ticket changes; desks of the same language and sites share one
// rendering per change (desk_cache.go).
func (c *Console) deskPanel(w http.ResponseWriter, r *http.Request) {
	sess, _ := SessionFrom(r.Context())
	lang, u := langOf(r), sess.User
	key := panelKey(lang, siteScope(u), u.Role >= registerRole)
	body, err := c.panels.get(key, c.o.Tickets.ChangeSeq(), c.o.Clock.Now(), func() ([]byte, error) {
		d, err := c.deskData(r.Context(), lang, u)
		if err != nil {
			return nil, err
		}
		return c.partBytes("desk", "desk-panel", page{Lang: lang, Path: r.URL.Path, Data: d})
	})
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// partBytes renders the template part of page name (no layout) in p.Lang.
func (c *Console) partBytes(name, part string, p page) ([]byte, error) {
	t, err := c.pages.lookup(name, p.Lang)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, part, p); err != nil {
		return nil, fmt.Errorf("render %s/%s: %w", name, part, err)
	}
	return buf.Bytes(), nil
}

// deskEvents streams ticket changes as server-sent events (GET
// /desk/events): "event: change" with the ticket's id (none for an account
// that sees only some sites), a comment every 15 s to keep proxies from
// closing the stream (streams.go). desk.js then re-reads the panel.
func (c *Console) deskEvents(w http.ResponseWriter, r *http.Request) {
	sess, _ := SessionFrom(r.Context())
	c.serveChanges(w, r, streamOptions{hello: "roomwatch desk", withID: siteScope(sess.User) == nil})
}

// StopStreams ends the desk's and the wall's event streams (at shutdown, before the HTTP
// server waits for its requests to finish); browsers reconnect to the next
// collector.
func (c *Console) StopStreams() {
	c.stopOnce.Do(func() {
		close(c.stop)
		c.closeSilenceMarks()
	})
}
