package console

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// WallRefresh is how often the wall display fetches its panel again
// without a ticket change (availability, device counts, inspections); a
// ticket change reaches it at once over its event stream (GET /wall/events).
const WallRefresh = 20 * time.Second

// The wall's data is shared by every display showing the same sites: it is
// computed at most once per wallTTL and after each ticket change (so 50
// displays cost what one does), its device part at most once per
// wallDevicesTTL (wall_devices.go), and today's availability, a scan of the
// day's samples, once per availTTL.
const (
	wallTTL  = 2 * time.Second
	availTTL = time.Minute
)

type wallEntry struct {
	at  time.Time
	seq uint64 // the ticket service's change sequence it was computed at
	v   wallView
	// panels holds the panel rendered from v, by language: every wall
	// reading the panel after a change gets the same bytes, rendered once.
	panels map[string][]byte
}

type availEntry struct {
	at time.Time
	m  map[string]float64
}

// wallCache holds the wall's data by the sites it covers ("" = all).
type wallCache struct {
	mu    sync.Mutex // held while computing: concurrent displays wait for one computation
	views map[string]*wallEntry
	// devices holds the device part by the same key (wall_devices.go).
	devices map[string]*wallDeviceEntry
	avail   *availEntry
}

// cachedWall returns the wall's data for u, computed at most once per
// wallTTL and again after any ticket change (a wall told of a change by its
// event stream never gets the data from before it).
func (c *Console) cachedWall(ctx context.Context, u accounts.User, query string) wallView {
	c.wallc.mu.Lock()
	defer c.wallc.mu.Unlock()
	v := c.wallEntry(ctx, u).v
	v.Query = query
	return v
}

// wallEntry returns the wall's entry for u's sites, computed again when
// older than wallTTL or than the last ticket change. Called with
// c.wallc.mu held.
func (c *Console) wallEntry(ctx context.Context, u accounts.User) *wallEntry {
	key := strings.Join(u.Sites, ",")
	var seq uint64
	if c.o.Tickets != nil {
		seq = c.o.Tickets.ChangeSeq()
	}
	now := c.o.Clock.Now()
	e, ok := c.wallc.views[key]
	if !ok || e.seq != seq || now.Sub(e.at) >= wallTTL || now.Before(e.at) {
		e = &wallEntry{at: now, seq: seq, v: c.wallData(ctx, u)}
		if c.wallc.views == nil {
			c.wallc.views = map[string]*wallEntry{}
		}
		c.wallc.views[key] = e
	}
	return e
}

// cachedWallPanel returns the wall's panel for u in lang: rendered once per
// computation of the wall's data and language, and shared by every display
// reading it (the panel does not show the reader's query string).
func (c *Console) cachedWallPanel(ctx context.Context, u accounts.User, lang string) ([]byte, error) {
	c.wallc.mu.Lock()
	defer c.wallc.mu.Unlock()
	e := c.wallEntry(ctx, u)
	if b, ok := e.panels[lang]; ok {
		return b, nil
	}
	b, err := c.partBytes("wall", "panel", page{Lang: lang, Path: wallPrefix, TitleKey: "wall.title", Data: e.v})
	if err != nil {
		return nil, err
	}
	if e.panels == nil {
		e.panels = map[string][]byte{}
	}
	e.panels[lang] = b
	return b, nil
}

// availToday is each device's availability since midnight (the least
// available of its checks), computed at most once per availTTL. Called
// with c.wallc.mu held.
func (c *Console) availToday(ctx context.Context, now, midnight time.Time) map[string]float64 {
	if a := c.wallc.avail; a != nil && now.Sub(a.at) < availTTL && !now.Before(a.at) && !a.at.Before(midnight) {
		return a.m
	}
	secs := max(int(now.Sub(midnight).Seconds()), 60)
	m := c.byDevice(ctx, fmt.Sprintf(`min by (device) (avg_over_time(roomwatch_probe_up[%ds]))`, secs))
	c.wallc.avail = &availEntry{at: now, m: m}
	return m
}

// wallAccess decides who sees the wall display: a kiosk token in the URL
// (?k=, issued by an admin; read-only, no session) or a logged-in user. It
// returns the user whose sites bound what is shown (none for a kiosk) and
// the query string the panel's refreshes carry.
func (c *Console) wallAccess(r *http.Request) (u accounts.User, query string, ok bool) {
	if k := r.URL.Query().Get("k"); k != "" {
		if c.o.Sources.Tokens == nil {
			return accounts.User{}, "", false
		}
		if _, err := c.o.Sources.Tokens.CheckToken(r.Context(), k, accounts.TokenKiosk); err != nil {
			if !errors.Is(err, accounts.ErrNoToken) {
				c.o.Logger.Error("console: kiosk token", "err", err)
			}
			return accounts.User{}, "", false
		}
		return accounts.User{}, "?" + url.Values{"k": {k}}.Encode(), true
	}
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return accounts.User{}, "", false
	}
	sess, err := c.o.Accounts.Session(r.Context(), ck.Value)
	if err != nil || sess.User.MustChangePassword || sess.User.Role < auth.RoleViewer {
		return accounts.User{}, "", false
	}
	return sess.User, "", true
}

type wallCount struct {
	Key, Name         string // a message key, or a site's name
	Up, Down, Unknown int
}

type wallTicket struct {
	ID                 int64
	Level, LevelKey    string
	Title, Device      string
	Timer, Left, Class string // the most urgent running timer: name, time left, warning/breached
	Unknown            bool   // 状态未知: the device fell silent (as on the desk)
	Silenced           bool   // 维护窗口中: a maintenance window covers it (as on the desk)
	state              string
}

type wallWorst struct {
	Device, Display string
	Avail           string
}

type wallView struct {
	Now           string
	Query         string // ?k=… for the refreshes and the event stream
	RefreshMS     int64
	Live          bool // ticket changes come over an event stream
	Classes       []wallCount
	Sites         []wallCount
	Levels        []wallCount // Up holds the number of open tickets
	Tickets       []wallTicket
	Avail         string // availability today, percent ("" unknown)
	InspDone      int
	InspTotal     int
	Worst         []wallWorst
	TicketsAbsent bool
}

func (c *Console) wallData(ctx context.Context, u accounts.User) wallView {
	now := c.o.Clock.Now().In(c.o.Location)
	v := wallView{Now: now.Format("2006-01-02 15:04:05"), RefreshMS: WallRefresh.Milliseconds(),
		TicketsAbsent: c.o.Sources.Tickets == nil, Live: c.o.Tickets != nil}
	d := c.wallDevices(ctx, u, now)
	v.Classes, v.Sites, v.Avail, v.Worst = d.classes, d.sites, d.avail, d.worst

	levels := map[string]int{}
	var open []tickets.Ticket
	for _, t := range c.openTickets(ctx, tickets.Filter{}) {
		if maySee(u, t.Site) {
			open = append(open, t)
			levels[t.Level.String()]++
		}
	}
	for _, l := range []string{"I", "II", "III", "IV"} {
		v.Levels = append(v.Levels, wallCount{Key: "wall.level." + l, Up: levels[l]})
	}
	for _, t := range open {
		wt := wallTicket{ID: t.ID, Level: t.Level.String(), LevelKey: "wall.level." + t.Level.String(), Title: t.Title, Device: t.Device,
			Unknown: t.UnknownSince != nil, state: string(t.State)}
		best := time.Duration(math.MaxInt64)
		for _, tv := range t.TimerViews {
			if tv.Remaining == nil || (tv.Status != "running" && tv.Status != "warning" && tv.Status != "breached") {
				continue
			}
			if rem := time.Duration(*tv.Remaining); rem < best {
				best, wt.Timer, wt.Class = rem, tv.NameZH, tv.Status
			}
		}
		if best != time.Duration(math.MaxInt64) {
			wt.Left = fmtLeft(best)
		}
		v.Tickets = append(v.Tickets, wt)
	}
	sort.SliceStable(v.Tickets, func(i, j int) bool {
		a, b := v.Tickets[i], v.Tickets[j]
		if a.Level != b.Level {
			return len(a.Level) < len(b.Level) || (len(a.Level) == len(b.Level) && a.Level < b.Level)
		}
		return a.ID < b.ID
	})
	if len(v.Tickets) > 12 {
		v.Tickets = v.Tickets[:12]
	}
	c.markWallSilenced(ctx, v.Tickets)

	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, c.o.Location)
	if st := c.o.Sources.Inspections; st != nil {
		list, err := st.List(ctx, inspect.Filter{From: midnight, Limit: 500})
		if err == nil {
			for _, s := range list {
				v.InspTotal++
				if s.Status != "pending" {
					v.InspDone++
				}
			}
		}
	}
	return v
}

// markWallSilenced marks the listed tickets a maintenance window covers,
// as the desk does (tickets_silenced.go), when the console has the ticket
// service (the wall may have a lister only).
func (c *Console) markWallSilenced(ctx context.Context, ts []wallTicket) {
	if c.o.Tickets == nil || len(ts) == 0 {
		return
	}
	rows := make([]ticketRow, len(ts))
	for i, t := range ts {
		rows[i] = ticketRow{ID: t.ID, State: t.state}
	}
	c.markSilenced(ctx, rows)
	for i := range ts {
		ts[i].Silenced = rows[i].Silenced
	}
}

// fmtLeft shows a timer's time left ("1h05m", "-12m" when past).
func fmtLeft(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h > 0 {
		return fmt.Sprintf("%s%dh%02dm", sign, h, m)
	}
	return fmt.Sprintf("%s%dm", sign, m)
}

// wall is the 1920×1080 wall display (GET /wall): no login, only a kiosk
// token in the URL, or a logged-in user's session. It may be framed by the
// same origin (middleware.go); every other page may not.
func (c *Console) wall(w http.ResponseWriter, r *http.Request) {
	u, q, ok := c.wallAccess(r)
	if !ok {
		c.render(w, r, http.StatusUnauthorized, "error", page{TitleKey: "wall.title", ErrKey: "wall.need_token"})
		return
	}
	c.render(w, r, http.StatusOK, "wall", page{TitleKey: "wall.title", Data: c.cachedWall(r.Context(), u, q)})
}

// wallEvents streams ticket changes to a wall display (GET /wall/events),
// read-only, authorised as the page is (a kiosk token or a session); a
// kiosk token revoked meanwhile ends the stream at the next ping. The wall
// then re-reads its panel (wall.js).
func (c *Console) wallEvents(w http.ResponseWriter, r *http.Request) {
	if c.o.Tickets == nil {
		c.notFound(w, r)
		return
	}
	if _, _, ok := c.wallAccess(r); !ok {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, c.cat.T(langOf(r), "wall.need_token"), http.StatusUnauthorized)
		return
	}
	c.serveChanges(w, r, streamOptions{hello: "roomwatch wall", stillOK: func() bool {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
		defer cancel()
		_, _, ok := c.wallAccess(r.WithContext(ctx))
		return ok
	}})
}

// wallPanel is the wall's panel alone, fetched by wall.js after a ticket
// change and every WallRefresh.
func (c *Console) wallPanel(w http.ResponseWriter, r *http.Request) {
	u, _, ok := c.wallAccess(r)
	if !ok {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, c.cat.T(langOf(r), "wall.need_token"), http.StatusUnauthorized)
		return
	}
	body, err := c.cachedWallPanel(r.Context(), u, langOf(r))
	if err != nil {
		c.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}
