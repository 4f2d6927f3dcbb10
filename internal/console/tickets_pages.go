package console

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// listPage is the number of tickets on one page of the list.
const listPage = 50

func (c *Console) ticketRoutes(m *http.ServeMux) {
	v := func(h http.HandlerFunc) http.Handler { return c.RequireRole(auth.RoleViewer, h) }
	m.Handle("GET /desk/panel", v(c.deskPanel))
	m.Handle("GET /desk/events", v(c.deskEvents))
	m.Handle("GET /tickets", v(c.ticketList))
	m.Handle("GET /tickets/new", c.RequireRole(registerRole, http.HandlerFunc(c.registerForm)))
	m.Handle("POST /tickets/new", c.RequireRole(registerRole, http.HandlerFunc(c.registerPost)))
	m.Handle("GET /tickets/{id}", v(c.ticketDetail))
	m.Handle("GET /tickets/{id}/photos/{photo}", v(c.ticketPhoto))
	m.Handle("POST /tickets/{id}/{action}", v(c.ticketAction))
}

// listQuery is the ticket list's filter as the form sends it.
type listQuery struct {
	State, Level, Site, Device, Category, From, To string
	Page                                           int
}

// listData is what the ticket list shows.
type listData struct {
	Q           listQuery
	Rows        []ticketRow
	NowMS       int64
	Prev, Next  string // page links, "" when none
	States      []string
	Categories  []string
	Bad         bool // a filter value was not understood (ignored)
	CanRegister bool
}

func parseListQuery(q url.Values) listQuery {
	lq := listQuery{State: q.Get("state"), Level: q.Get("level"), Site: strings.TrimSpace(q.Get("site")),
		Device: strings.TrimSpace(q.Get("device")), Category: q.Get("category"), From: q.Get("from"), To: q.Get("to"), Page: 1}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 {
		lq.Page = p
	}
	return lq
}

// filter turns the query into a ticket filter; bad is set when a value was
// not understood (it is then not applied).
func (lq listQuery) filter(loc *time.Location) (f tickets.Filter, bad bool) {
	switch {
	case lq.State == "active":
		f.States = activeStates()
	case lq.State != "":
		if s := tickets.State(lq.State); s.Valid() {
			f.States = []tickets.State{s}
		} else {
			bad = true
		}
	}
	if lq.Level != "" {
		if n, err := strconv.Atoi(lq.Level); err == nil && classify.Level(n).Valid() {
			f.Level = classify.Level(n)
		} else {
			bad = true
		}
	}
	if lq.Category != "" {
		if cat := classify.Category(lq.Category); cat.Valid() {
			f.Category = cat
		} else {
			bad = true
		}
	}
	f.Site, f.Device = lq.Site, lq.Device
	day := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil {
			bad = true
		}
		return t
	}
	f.From = day(lq.From)
	if to := day(lq.To); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the whole last day
	}
	f.Limit, f.Offset = listPage+1, (lq.Page-1)*listPage
	return f, bad
}

func (lq listQuery) url(page int) string {
	v := url.Values{}
	for k, s := range map[string]string{"state": lq.State, "level": lq.Level, "site": lq.Site, "device": lq.Device,
		"category": lq.Category, "from": lq.From, "to": lq.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/tickets"
	}
	return "/tickets?" + v.Encode()
}

func stateNames() []string {
	var out []string
	for _, s := range tickets.States() {
		out = append(out, string(s))
	}
	return out
}

func categoryNames() []string {
	return []string{string(classify.CategoryRoomIT), string(classify.CategoryRoomInfra), string(classify.CategoryFrontEnd), string(classify.CategoryFibre)}
}

// ticketList is GET /tickets: newest first, filtered, paged.
func (c *Console) ticketList(w http.ResponseWriter, r *http.Request) {
	sess, _ := SessionFrom(r.Context())
	lang := langOf(r)
	lq := parseListQuery(r.URL.Query())
	f, bad := lq.filter(c.o.Location)
	f.Sites = siteScope(sess.User)
	ts, err := c.o.Tickets.List(r.Context(), f)
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	now := c.o.Clock.Now()
	d := listData{Q: lq, NowMS: now.UnixMilli(), States: stateNames(), Categories: categoryNames(), Bad: bad,
		CanRegister: sess.User.Role >= registerRole}
	if len(ts) > listPage {
		ts = ts[:listPage]
		d.Next = lq.url(lq.Page + 1)
	}
	if lq.Page > 1 {
		d.Prev = lq.url(lq.Page - 1)
	}
	for i := range ts {
		d.Rows = append(d.Rows, c.rowOf(lang, &ts[i], now))
	}
	c.markSilenced(r.Context(), d.Rows)
	p := page{TitleKey: "tickets.title", Data: d}
	if bad {
		p.ErrKey = "tickets.bad_filter"
	}
	c.render(w, r, http.StatusOK, "tickets", p)
}

// eventRow is one line of a ticket's timeline.
type eventRow struct {
	At, Actor, By, Kind string
	KindLabel           string // the kind on screen (the raw kind when the catalogue lacks it)
	From, To, Note      string
	Notice              bool
	NoticeOK            bool
	Channel             string
	Assignee            string
	Facts               eventFacts // the action's fields (plan text, satisfaction, pause…)
}

// person is an account offered for dispatch.
type person struct{ Name, Label string }

// detailData is what the ticket page shows.
type detailData struct {
	T      *tickets.Ticket
	Row    ticketRow
	NowMS  int64
	Opened string
	Closed string
	Labels [][2]string
	Timers []timerCell
	Events []eventRow
	Parts  []tickets.Part
	PartAt []string
	// PartRepair says where each part's repair stands (送修/返厂, back).
	PartRepair []string
	Actions    []string
	People     []person
	Assign     string // the assignee's label
	// PauseSince is when the pause in progress began ("" when none);
	// PausedTotal the wall time of the pauses that are over.
	PauseSince   string
	PausedTotal  string
	UnknownSince string // 设备失联/状态未知 since, "" when known
	Silenced     bool   // a maintenance window covers it now
	// Photos are the photos filed with the ticket (报修照片).
	Photos []string
	// Complaints are the complaints about the ticket the user may see.
	Complaints []complaintRow
	// CustomerBy: the user records the customer's answers for the customer
	// (an engineer), so the forms ask who on the customer's side answered.
	CustomerBy bool
	// Major: the ticket has a major fault report (level I); PDFOK: PDFs
	// are printed on the server (documents.go).
	Major, PDFOK bool
}

func (c *Console) people(r *http.Request) ([]person, map[string]string) {
	labels := map[string]string{}
	if c.o.People == nil {
		return nil, labels
	}
	us, err := c.o.People.List(r.Context())
	if err != nil {
		c.o.Logger.Warn("console: accounts", "err", err)
		return nil, labels
	}
	var out []person
	for _, u := range us {
		labels[u.Name] = u.Label()
		if !u.Disabled && u.Role >= auth.RoleEngineer {
			out = append(out, person{Name: u.Name, Label: u.Label()})
		}
	}
	return out, labels
}

func (c *Console) loadTicket(w http.ResponseWriter, r *http.Request) (*tickets.Ticket, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		c.notFound(w, r)
		return nil, false
	}
	t, err := c.o.Tickets.Get(r.Context(), id)
	if errors.Is(err, tickets.ErrNotFound) {
		c.notFound(w, r)
		return nil, false
	}
	if err != nil {
		c.internalError(w, r, err)
		return nil, false
	}
	sess, _ := SessionFrom(r.Context())
	if !maysee(sess.User, t.Site) { // a customer's other sites: as if absent
		c.notFound(w, r)
		return nil, false
	}
	return t, true
}

// ticketDetail is GET /tickets/{id}: the link every notice carries.
func (c *Console) ticketDetail(w http.ResponseWriter, r *http.Request) {
	t, ok := c.loadTicket(w, r)
	if !ok {
		return
	}
	p := page{TitleKey: "tickets.detail.title"}
	q := r.URL.Query()
	switch {
	case q.Has("registered"):
		p.MsgKey = "tickets.new.done"
	case q.Get("done") != "":
		if a, err := tickets.ParseAction(q.Get("done")); err == nil {
			p.MsgKey, p.MsgArgs = "tickets.done", []string{"action", c.cat.T(langOf(r), "tickets.action."+string(a))}
		}
	}
	c.renderDetail(w, r, http.StatusOK, t, p)
}

func (c *Console) renderDetail(w http.ResponseWriter, r *http.Request, code int, t *tickets.Ticket, p page) {
	sess, _ := SessionFrom(r.Context())
	lang := langOf(r)
	now := c.o.Clock.Now()
	people, labels := c.people(r)
	who := func(n string) string { return cmp.Or(labels[n], n) }
	d := detailData{T: t, Row: c.rowOf(lang, t, now), NowMS: now.UnixMilli(), Opened: c.fmtTime(&t.OpenedAt),
		Closed: c.fmtTime(t.ClosedAt), People: people}
	if t.Assignee != "" {
		d.Assign = who(t.Assignee)
	}
	if t.Pause != nil {
		d.PauseSince = c.fmtTime(&t.Pause.Since)
	}
	if t.PausedTotal > 0 {
		d.PausedTotal = c.durText(lang, time.Duration(t.PausedTotal))
	}
	d.UnknownSince = c.fmtTime(t.UnknownSince)
	d.Silenced = t.State.Active() && silencedNow(t.Events)
	d.CustomerBy = sess.User.Role != auth.RoleCustomer
	d.Major, d.PDFOK = isMajor(t.Level), c.pdfOK()
	for k, v := range t.Labels {
		d.Labels = append(d.Labels, [2]string{k, v})
	}
	slices.SortFunc(d.Labels, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	for _, v := range t.TimerViews {
		d.Timers = append(d.Timers, c.timerCellOf(lang, v, now))
	}
	for _, e := range t.Events {
		er := eventRow{At: c.fmtTime(&e.At), Actor: who(e.Actor), By: e.By, Kind: e.Kind, KindLabel: e.Kind,
			From: string(e.From), To: string(e.To), Note: e.Note}
		if k := "tickets.event." + e.Kind; c.cat.Has(k) {
			er.KindLabel = c.cat.T(lang, k)
		}
		if e.By != "" {
			er.By = who(e.By)
		}
		er.Facts = factsOf(e)
		if d, err := time.ParseDuration(er.Facts.Paused); err == nil {
			er.Facts.Paused = c.durText(lang, d)
		}
		switch e.Kind {
		case tickets.EventNotice:
			var n struct {
				Channel string `json:"channel"`
				OK      bool   `json:"ok"`
			}
			er.Notice = true
			if json.Unmarshal([]byte(e.Detail), &n) == nil {
				er.NoticeOK, er.Channel = n.OK, n.Channel
			}
		case string(tickets.ActionDispatch):
			var a struct {
				Assignee string `json:"assignee"`
			}
			if json.Unmarshal([]byte(e.Detail), &a) == nil && a.Assignee != "" {
				er.Assignee = who(a.Assignee)
			}
		}
		d.Events = append(d.Events, er)
	}
	d.Parts = t.Parts
	for _, pt := range t.Parts {
		d.PartAt = append(d.PartAt, c.fmtTime(&pt.At))
		d.PartRepair = append(d.PartRepair, c.partRepair(lang, pt))
	}
	for _, a := range allowedActions(sess.User, t) {
		d.Actions = append(d.Actions, string(a))
	}
	d.Complaints = c.ticketComplaints(r, sess.User, t.ID)
	d.Photos = t.Photos
	p.Data = d
	c.render(w, r, code, "tickets_detail", p)
}

// ticketAction is POST /tickets/{id}/{action}: a button of the ticket page,
// done by (and attributed to) the logged-in person.
func (c *Console) ticketAction(w http.ResponseWriter, r *http.Request) {
	sess, _ := SessionFrom(r.Context())
	u := sess.User
	a, err := tickets.ParseAction(r.PathValue("action"))
	_, offered := actionRole[a]
	if err != nil || !offered {
		c.notFound(w, r)
		return
	}
	t, ok := c.loadTicket(w, r)
	if !ok {
		return
	}
	if !mayDo(u, a) {
		c.forbidden(w, r, "error.role")
		return
	}
	req, errKey := c.actionRequest(r, u, a, t)
	if errKey != "" {
		c.renderDetail(w, r, http.StatusUnprocessableEntity, t, page{TitleKey: "tickets.detail.title", ErrKey: errKey})
		return
	}
	if _, err := c.o.Tickets.Do(r.Context(), t.ID, req); err != nil {
		p := page{TitleKey: "tickets.detail.title", ErrArgs: []string{"detail", err.Error()}}
		code := http.StatusUnprocessableEntity
		switch {
		case errors.Is(err, tickets.ErrInvalidTransition):
			p.ErrKey, code = "tickets.err.transition", http.StatusConflict
		case errors.Is(err, tickets.ErrInvalid):
			p.ErrKey = "tickets.err.invalid"
		case errors.Is(err, tickets.ErrNotFound):
			c.notFound(w, r)
			return
		default:
			c.internalError(w, r, err)
			return
		}
		if fresh, gerr := c.o.Tickets.Get(r.Context(), t.ID); gerr == nil {
			t = fresh
		}
		c.renderDetail(w, r, code, t, p)
		return
	}
	http.Redirect(w, r, "/tickets/"+strconv.FormatInt(t.ID, 10)+"?done="+string(a), http.StatusSeeOther)
}

// registerData is the 报修登记 form.
type registerData struct {
	Form       map[string]string
	Categories []string
	Sites      []string // a customer's sites (a choice), else free text
	Channels   []string
}

var channels = []string{"phone", "email", "walk_in"}

func (c *Console) registerPage(u accounts.User, form map[string]string) registerData {
	if form == nil {
		form = map[string]string{"level": "3", "channel": "phone"}
	}
	return registerData{Form: form, Categories: categoryNames(), Sites: siteScope(u), Channels: channels}
}

// registerForm is GET /tickets/new: register a fault reported by phone,
// e-mail or in person (报修登记).
func (c *Console) registerForm(w http.ResponseWriter, r *http.Request) {
	sess, _ := SessionFrom(r.Context())
	c.render(w, r, http.StatusOK, "tickets_new", page{TitleKey: "tickets.new.title", Data: c.registerPage(sess.User, nil)})
}

func (c *Console) registerPost(w http.ResponseWriter, r *http.Request) {
	sess, _ := SessionFrom(r.Context())
	u := sess.User
	form := map[string]string{}
	for _, k := range []string{"title", "description", "level", "device", "site", "category", "channel", "reporter"} {
		form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	fail := func(key string, args ...string) {
		c.render(w, r, http.StatusUnprocessableEntity, "tickets_new", page{TitleKey: "tickets.new.title", ErrKey: key, ErrArgs: args,
			Data: c.registerPage(u, form)})
	}
	lvl, err := strconv.Atoi(form["level"])
	if err != nil || !classify.Level(lvl).Valid() {
		fail("tickets.new.bad_level")
		return
	}
	if !slices.Contains(channels, form["channel"]) {
		fail("tickets.new.bad_channel")
		return
	}
	if sc := siteScope(u); sc != nil && !slices.Contains(sc, form["site"]) {
		fail("tickets.new.bad_site")
		return
	}
	m := tickets.Manual{Title: form["title"], Description: form["description"], Level: classify.Level(lvl),
		Device: form["device"], Site: form["site"], Category: classify.Category(form["category"]),
		Channel: strings.ReplaceAll(form["channel"], "_", "-"), Reporter: form["reporter"], Actor: u.Name}
	photo, key := c.registerPhoto(r)
	if key != "" {
		fail(key)
		return
	}
	m.Photo = photo
	t, err := c.o.Tickets.Create(r.Context(), m)
	if errors.Is(err, tickets.ErrInvalid) {
		fail("tickets.err.invalid", "detail", err.Error())
		return
	}
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/tickets/"+strconv.FormatInt(t.ID, 10)+"?registered=1", http.StatusSeeOther)
}

// partRepair is a part's repair on the ticket page: "返厂 03-02 10:00 →
// 已返回 03-06 16:00", or "" when it was not sent for repair.
func (c *Console) partRepair(lang string, p tickets.Part) string {
	if p.RepairOut == nil {
		return ""
	}
	s := c.cat.T(lang, "tickets.repair."+string(p.RepairKind)) + " " + c.fmtTime(p.RepairOut)
	if p.RepairBack != nil {
		return s + " → " + c.cat.T(lang, "tickets.repair.back", "t", c.fmtTime(p.RepairBack))
	}
	return s + " → " + c.cat.T(lang, "tickets.repair.away")
}
