package console_test

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// deskEnv is the console with a real ticket service (SQLite) and account
// store sharing one fake clock.
type deskEnv struct {
	srv   *httptest.Server
	store *accounts.Store
	tk    *ticketstest.Env
}

func newDeskEnv(t *testing.T) *deskEnv { return newDeskEnvWith(t, nil) }

// newDeskEnvWith is newDeskEnv with edited console options.
func newDeskEnvWith(t *testing.T, edit func(*console.Options)) *deskEnv {
	t.Helper()
	return newDeskEnvOn(t, ticketstest.New(t, nil), edit)
}

// newDeskEnvOn is newDeskEnvWith on a given ticket service.
func newDeskEnvOn(t testing.TB, tk *ticketstest.Env, edit func(*console.Options)) *deskEnv {
	t.Helper()
	st, err := accounts.Open(context.Background(), accounts.Options{
		Path: filepath.Join(t.TempDir(), accounts.FileName), Clock: tk.Clock, BcryptCost: bcrypt.MinCost, Audit: &memAudit{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	o := console.Options{Accounts: st, Clock: tk.Clock, Logger: slog.New(slog.DiscardHandler), Tickets: tk.Service, People: st}
	if edit != nil {
		edit(&o)
	}
	c, err := console.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	t.Cleanup(c.StopStreams) // before srv.Close waits for the streams
	return &deskEnv{srv: srv, store: st, tk: tk}
}

func (e *deskEnv) user(t testing.TB, name string, role auth.Role, sites ...string) *http.Client {
	t.Helper()
	ctx := context.Background()
	if _, err := e.store.Add(ctx, accounts.NewUser{Name: name, DisplayName: name + "-显示名", Role: role, Password: initialPW, Sites: sites}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ChangePassword(ctx, name, initialPW, "Changed-Pass-2024", ""); err != nil {
		t.Fatal(err)
	}
	c := client(t)
	resp, _ := post(t, c, e.srv.URL+"/login", url.Values{"username": {name}, "password": {"Changed-Pass-2024"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %s", name, resp.Status)
	}
	return c
}

func (e *deskEnv) create(t *testing.T, m tickets.Manual) *tickets.Ticket {
	t.Helper()
	if m.Actor == "" {
		m.Actor = "test"
	}
	tk, err := e.tk.Service.Create(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

var metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// csrfPost posts form with the CSRF token of the page at from.
func csrfPost(t *testing.T, c *http.Client, base, from, to string, form url.Values) (*http.Response, string) {
	t.Helper()
	_, body := get(t, c, base+from)
	m := metaCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf-token meta in %s", from)
	}
	form.Set("csrf", m[1])
	return post(t, c, base+to, form, nil)
}

func TestTicketActionsByRole(t *testing.T) {
	e := newDeskEnv(t)
	tk := e.create(t, tickets.Manual{Title: "核心交换机故障", Level: 1, Device: "sw-core", Site: "情指中心机房"})
	id := "/tickets/" + itoa(tk.ID)
	viewer := e.user(t, "duty", auth.RoleViewer)
	eng := e.user(t, "zhang", auth.RoleEngineer)
	e.user(t, "li", auth.RoleEngineer)

	// The duty operator sees the ticket and no buttons, and cannot act.
	resp, body := get(t, viewer, e.srv.URL+id)
	if resp.StatusCode != 200 || !strings.Contains(body, "核心交换机故障") || strings.Contains(body, `action="`+id+`/ack"`) {
		t.Fatalf("viewer's detail: %s\n%s", resp.Status, body)
	}
	if resp, _ := csrfPost(t, viewer, e.srv.URL, id, id+"/ack", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer ack: %s, want 403", resp.Status)
	}
	// The engineer: ack, then dispatch to li (chosen from the accounts).
	_, body = get(t, eng, e.srv.URL+id)
	if !strings.Contains(body, `action="`+id+`/ack"`) || strings.Contains(body, `action="`+id+`/reopen"`) {
		t.Errorf("engineer's buttons wrong:\n%s", body)
	}
	if resp, _ := csrfPost(t, eng, e.srv.URL, id, id+"/ack", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("engineer ack: %s", resp.Status)
	}
	if resp, _ := csrfPost(t, eng, e.srv.URL, id, id+"/dispatch", url.Values{"assignee": {"nobody"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("dispatch to an unknown account: %s, want 422", resp.Status)
	}
	if resp, _ := csrfPost(t, eng, e.srv.URL, id, id+"/dispatch", url.Values{"assignee": {"li"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dispatch: %s", resp.Status)
	}
	// ack again: the state no longer allows it.
	if resp, body := csrfPost(t, eng, e.srv.URL, id, id+"/ack", url.Values{}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "不允许") {
		t.Errorf("second ack: %s", resp.Status)
	}
	// Without the CSRF token: refused, nothing done.
	if resp, _ := post(t, eng, e.srv.URL+id+"/onsite", url.Values{}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("no token: %s", resp.Status)
	}
	if resp, _ := csrfPost(t, eng, e.srv.URL, id, id+"/resolve", url.Values{"cause": {""}, "fix": {"换板"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("resolve without cause: %s", resp.Status)
	}
	got, err := e.tk.Service.Get(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != tickets.StateDispatched || got.Assignee != "li" {
		t.Fatalf("state %s assignee %q", got.State, got.Assignee)
	}
	var actors []string
	for _, ev := range got.Events {
		actors = append(actors, ev.Kind+":"+ev.Actor)
	}
	if strings.Join(actors, " ") != "opened:test ack:zhang dispatch:zhang" {
		t.Errorf("events %v: actions not attributed to the logged-in person", actors)
	}
	_, body = get(t, eng, e.srv.URL+id)
	if !strings.Contains(body, `<span class="met-early">提前 30分0秒</span>`) {
		t.Errorf("the met respond timer does not say how early:\n%s", body)
	}
	if !strings.Contains(body, "li-显示名") || !strings.Contains(body, "zhang-显示名") {
		t.Errorf("timeline does not name the people:\n%s", body)
	}
	// A customer acts on nothing.
	cust := e.user(t, "jia", auth.RoleCustomer)
	if resp, _ := csrfPost(t, cust, e.srv.URL, id, id+"/note", url.Values{"note": {"x"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("customer note: %s, want 403", resp.Status)
	}
	// An unknown action or ticket: 404.
	if resp, _ := csrfPost(t, eng, e.srv.URL, id, id+"/explode", url.Values{}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown action: %s", resp.Status)
	}
	if resp, _ := get(t, eng, e.srv.URL+"/tickets/99999"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown ticket: %s", resp.Status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestCustomerSeesOwnSites: a customer account with sites sees only those
// sites' tickets on the desk, in the list and by number, and registers
// faults only for them; the duty operator registers for any site.
func TestCustomerSeesOwnSites(t *testing.T) {
	e := newDeskEnv(t)
	own := e.create(t, tickets.Manual{Title: "本所摄像机离线", Level: 3, Site: "城关派出所"})
	other := e.create(t, tickets.Manual{Title: "别处UPS告警", Level: 2, Site: "看守所"})
	cust := e.user(t, "jia", auth.RoleCustomer, "城关派出所")
	for _, path := range []string{"/", "/tickets", "/tickets?state=active"} {
		_, body := get(t, cust, e.srv.URL+path)
		if !strings.Contains(body, "本所摄像机离线") || strings.Contains(body, "别处UPS告警") {
			t.Errorf("%s for the customer:\n%s", path, body)
		}
	}
	if resp, _ := get(t, cust, e.srv.URL+"/tickets/"+itoa(other.ID)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("other site's ticket: %s, want 404", resp.Status)
	}
	if resp, _ := get(t, cust, e.srv.URL+"/tickets/"+itoa(own.ID)); resp.StatusCode != http.StatusOK {
		t.Errorf("own ticket: %s", resp.Status)
	}
	form := url.Values{"title": {"电话报修：门禁失灵"}, "level": {"3"}, "channel": {"phone"}, "site": {"看守所"}, "reporter": {"王警官 13800000000"}}
	if resp, _ := csrfPost(t, cust, e.srv.URL, "/tickets/new", "/tickets/new", form); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("customer registering for another site: %s", resp.Status)
	}
	form.Set("site", "城关派出所")
	resp, _ := csrfPost(t, cust, e.srv.URL, "/tickets/new", "/tickets/new", form)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "registered=1") {
		t.Fatalf("customer registering: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	_, body := get(t, cust, e.srv.URL+resp.Header.Get("Location"))
	if !strings.Contains(body, "电话报修：门禁失灵") || !strings.Contains(body, "报修已登记") || !strings.Contains(body, "jia-显示名") {
		t.Errorf("registered ticket page:\n%s", body)
	}
	duty := e.user(t, "duty", auth.RoleViewer)
	form.Set("site", "看守所")
	form.Set("level", "9")
	if resp, _ := csrfPost(t, duty, e.srv.URL, "/tickets/new", "/tickets/new", form); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("level 9: %s", resp.Status)
	}
	form.Set("level", "2")
	if resp, _ := csrfPost(t, duty, e.srv.URL, "/tickets/new", "/tickets/new", form); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("duty registering: %s", resp.Status)
	}
}

// TestTicketListFilters: each filter narrows the list, paging works, and a
// bad value is said and ignored.
func TestTicketListFilters(t *testing.T) {
	e := newDeskEnv(t)
	for i := range 60 {
		lvl := tickets.Level(i%4 + 1)
		e.create(t, tickets.Manual{Title: "故障" + itoa(int64(i)), Level: lvl, Site: []string{"甲所", "乙所"}[i%2], Device: "dev" + itoa(int64(i%3))})
	}
	c := e.user(t, "duty", auth.RoleViewer)
	rows := func(q string) int {
		t.Helper()
		resp, body := get(t, c, e.srv.URL+"/tickets"+q)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s", q, resp.Status)
		}
		return strings.Count(body, `<tr data-id=`)
	}
	tests := []struct {
		q    string
		want int
	}{
		{"", 50},
		{"?page=2", 10},
		{"?level=1", 15},
		{"?site=%E7%94%B2%E6%89%80", 30},
		{"?device=dev0&level=1", 5},
		{"?state=open", 50},
		{"?state=closed", 0},
		{"?from=2025-03-03&to=2025-03-03", 50},
		{"?from=2025-03-04", 0},
	}
	for _, tc := range tests {
		if got := rows(tc.q); got != tc.want {
			t.Errorf("%q: %d rows, want %d", tc.q, got, tc.want)
		}
	}
	_, body := get(t, c, e.srv.URL+"/tickets?level=7")
	if !strings.Contains(body, "无法识别") {
		t.Errorf("bad level not reported")
	}
	_, body = get(t, c, e.srv.URL+"/tickets")
	if !strings.Contains(body, `href="/tickets?page=2" rel="next"`) {
		t.Errorf("no next page link")
	}
}

// TestDeskEvents: the event stream announces a new ticket and an action.
func TestDeskEvents(t *testing.T) {
	e := newDeskEnv(t)
	c := e.user(t, "duty", auth.RoleViewer)
	// A panel read before a change is not served after it (desk_cache.go).
	if _, body := get(t, c, e.srv.URL+"/desk/panel"); strings.Contains(body, "trow") {
		t.Fatalf("panel with no tickets:\n%s", body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/desk/events", nil)
	c.Timeout = 0
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	nextData := func() string {
		t.Helper()
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				return d
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return ""
	}
	// The subscription exists once the first comment arrived.
	for sc.Scan() && sc.Text() != "" {
	}
	tk := e.create(t, tickets.Manual{Title: "x", Level: 1})
	if d := nextData(); d != itoa(tk.ID) {
		t.Errorf("data %q, want %d", d, tk.ID)
	}
	if _, err := e.tk.Service.Do(context.Background(), tk.ID, tickets.ActionRequest{Action: tickets.ActionAck, Actor: "z"}); err != nil {
		t.Fatal(err)
	}
	if d := nextData(); d != itoa(tk.ID) {
		t.Errorf("after ack: data %q", d)
	}
	// The panel shows it with its countdown.
	_, body := get(t, c, e.srv.URL+"/desk/panel")
	if !strings.Contains(body, `data-id="`+itoa(tk.ID)+`"`) || !strings.Contains(body, "data-deadline=") || strings.Contains(body, "<html") {
		t.Errorf("panel:\n%s", body)
	}
}

// TestHostileTicketText: markup, quotes and template braces in a ticket's
// fields are escaped on every page.
func TestHostileTicketText(t *testing.T) {
	e := newDeskEnv(t)
	title := `O'Brien "报修" {{.Secret}} </li><b>x`
	dev := `<script>alert(1)</script>`
	tk := e.create(t, tickets.Manual{Title: title, Level: 1, Device: dev, Site: `"><img src=x onerror=alert(2)>`})
	c := e.user(t, "duty", auth.RoleViewer)
	for _, path := range []string{"/", "/desk/panel", "/tickets", "/tickets/" + itoa(tk.ID)} {
		_, body := get(t, c, e.srv.URL+path)
		if strings.Contains(body, dev) || strings.Contains(body, "<img src=x") || strings.Contains(body, "<b>x") {
			t.Errorf("%s: unescaped input:\n%s", path, body)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, "{{.Secret}}") {
			t.Errorf("%s: hostile text not shown as text", path)
		}
	}
}

// TestDeskInspectionsToday: the desk lists the inspections that finished
// today with their totals and signing status, not yesterday's.
func TestDeskInspectionsToday(t *testing.T) {
	ins, err := inspect.OpenStore(filepath.Join(t.TempDir(), "inspections.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ins.Close() })
	ctx := context.Background()
	for _, r := range []struct {
		title string
		at    time.Time
	}{{"昨日巡检", ticketstest.Start.Add(-24 * time.Hour)}, {"今日每日巡检", ticketstest.Start.Add(-30 * time.Minute)}} {
		if _, err := ins.AppendRun(ctx, &inspect.Run{Template: "daily", Title: r.title, FinishedAt: r.at, Rows: []inspect.Row{
			{Device: "ups-1", Item: "ups_charge", Kind: "metric", Verdict: inspect.Normal},
			{Device: "ups-2", Item: "ups_charge", Kind: "metric", Verdict: inspect.Abnormal}}}); err != nil {
			t.Fatal(err)
		}
	}
	e := newDeskEnvWith(t, func(o *console.Options) { o.Inspections = ins })
	c := e.user(t, "duty", auth.RoleViewer)
	_, body := get(t, c, e.srv.URL+"/")
	if !strings.Contains(body, "今日每日巡检") || strings.Contains(body, "昨日巡检") || !strings.Contains(body, "正常 1 · 预警 0 · 异常 1") {
		t.Errorf("today's inspections on the desk:\n%s", body)
	}
	// Without an inspection store the desk says so.
	e2 := newDeskEnv(t)
	_, body = get(t, e2.user(t, "duty", auth.RoleViewer), e2.srv.URL+"/")
	if !strings.Contains(body, "本控制台未接入巡检记录") {
		t.Errorf("desk without inspections:\n%s", body)
	}
}
