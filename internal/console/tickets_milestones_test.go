package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// TestMilestoneActions: each contract milestone posted from the ticket page
// is allowed to the roles docs/tickets.md names (engineers; confirm, reject
// and follow-up also the customer of the ticket's site), refuses a form
// without its required fields with the error on the page, and is attributed
// to the logged-in person (by: the customer's person an engineer names).
func TestMilestoneActions(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	const site = "城关派出所"
	who := map[string]*http.Client{
		"duty":  e.user(t, "duty", auth.RoleViewer),
		"zhang": e.user(t, "zhang", auth.RoleEngineer),
		"jia":   e.user(t, "jia", auth.RoleCustomer, site),
		"yi":    e.user(t, "yi", auth.RoleCustomer, "乙所"),
	}
	do := func(id int64, r tickets.ActionRequest) {
		t.Helper()
		r.Actor = "test"
		if _, err := e.tk.Service.Do(ctx, id, r); err != nil {
			t.Fatalf("setup %s: %v", r.Action, err)
		}
	}
	onSite := func(id int64) { do(id, tickets.ActionRequest{Action: tickets.ActionOnSite}) }
	resolved := func(id int64) {
		onSite(id)
		do(id, tickets.ActionRequest{Action: tickets.ActionResolve, Cause: "电源模块损坏", Fix: "更换电源模块"})
	}
	withPart := func(id int64) {
		onSite(id)
		do(id, tickets.ActionRequest{Action: tickets.ActionPart, Part: &tickets.Part{Part: "电源模块", Serial: "PSU-1"}})
	}
	paused := func(id int64) {
		onSite(id)
		do(id, tickets.ActionRequest{Action: tickets.ActionPause, Reason: "等待用户备件", AgreedBy: "李科长"})
	}
	lastEvent := func(tk *tickets.Ticket) tickets.Event { return tk.Events[len(tk.Events)-1] }

	tests := []struct {
		name   string
		setup  func(id int64)
		user   string
		action string
		form   url.Values
		code   int
		body   string // on the page answered (an error)
		check  func(t *testing.T, tk *tickets.Ticket)
	}{
		{name: "diagnose", setup: onSite, user: "zhang", action: "diagnose", form: url.Values{"text": {"电源模块损坏"}}, code: http.StatusSeeOther,
			check: func(t *testing.T, tk *tickets.Ticket) {
				if ev := lastEvent(tk); ev.Kind != "diagnose" || ev.Actor != "zhang" || !strings.Contains(ev.Detail, "电源模块损坏") {
					t.Errorf("event %+v", ev)
				}
			}},
		{name: "diagnose without text", setup: onSite, user: "zhang", action: "diagnose", form: url.Values{"text": {" "}},
			code: http.StatusUnprocessableEntity, body: "填写不完整"},
		{name: "diagnose by the duty operator", setup: onSite, user: "duty", action: "diagnose", form: url.Values{"text": {"x"}}, code: http.StatusForbidden},
		{name: "diagnose by the customer", setup: onSite, user: "jia", action: "diagnose", form: url.Values{"text": {"x"}}, code: http.StatusForbidden},
		{name: "emergency plan", setup: onSite, user: "zhang", action: "plan",
			form: url.Values{"text": {"先切换到备用链路"}, "attachment": {"方案.pdf"}, "emergency": {"1"}}, code: http.StatusSeeOther,
			check: func(t *testing.T, tk *tickets.Ticket) {
				ev := lastEvent(tk)
				if ev.Kind != "plan" || ev.Actor != "zhang" || !strings.Contains(ev.Detail, `"emergency":true`) || !strings.Contains(ev.Detail, "方案.pdf") {
					t.Errorf("event %+v", ev)
				}
			}},
		{name: "plan without text", setup: onSite, user: "zhang", action: "plan", form: url.Values{"attachment": {"a.pdf"}},
			code: http.StatusUnprocessableEntity, body: "填写不完整"},
		{name: "spare registers a new part", setup: onSite, user: "zhang", action: "spare",
			form: url.Values{"part_id": {""}, "part": {"硬盘"}, "serial": {"SN-9"}, "location": {"槽位 3"}, "cause": {"坏道"}}, code: http.StatusSeeOther,
			check: func(t *testing.T, tk *tickets.Ticket) {
				if len(tk.Parts) != 1 || tk.Parts[0].Part != "硬盘" || tk.Parts[0].Actor != "zhang" || tk.Parts[0].Serial != "SN-9" {
					t.Errorf("parts %+v", tk.Parts)
				}
			}},
		{name: "spare of a registered part", setup: withPart, user: "zhang", action: "spare", form: url.Values{"part_id": {"PART"}}, code: http.StatusSeeOther,
			check: func(t *testing.T, tk *tickets.Ticket) {
				if ev := lastEvent(tk); ev.Kind != "spare" || ev.Actor != "zhang" || !strings.Contains(ev.Detail, `"part_id":`) || len(tk.Parts) != 1 {
					t.Errorf("event %+v, parts %d", ev, len(tk.Parts))
				}
			}},
		{name: "spare with neither", setup: onSite, user: "zhang", action: "spare", form: url.Values{"part_id": {""}},
			code: http.StatusUnprocessableEntity, body: "请选择一个已登记的备件"},
		{name: "spare of another ticket's part", setup: onSite, user: "zhang", action: "spare", form: url.Values{"part_id": {"1"}},
			code: http.StatusUnprocessableEntity, body: "请选择一个已登记的备件"},
		{name: "pause", setup: onSite, user: "zhang", action: "pause", form: url.Values{"reason": {"等待用户备件"}, "agreed_by": {"李科长"}}, code: http.StatusSeeOther,
			check: func(t *testing.T, tk *tickets.Ticket) {
				if tk.Pause == nil || tk.Pause.AgreedBy != "李科长" || lastEvent(tk).Actor != "zhang" {
					t.Errorf("pause %+v, event %+v", tk.Pause, lastEvent(tk))
				}
			}},
		{name: "pause without agreement", setup: onSite, user: "zhang", action: "pause", form: url.Values{"reason": {"等待用户备件"}},
			code: http.StatusUnprocessableEntity, body: "agreed_by"},
		{name: "pause by the customer", setup: onSite, user: "jia", action: "pause", form: url.Values{"reason": {"r"}, "agreed_by": {"a"}}, code: http.StatusForbidden},
		{name: "resume", setup: paused, user: "zhang", action: "resume", code: http.StatusSeeOther,
			check: func(t *testing.T, tk *tickets.Ticket) {
				if ev := lastEvent(tk); tk.Pause != nil || ev.Kind != "resume" || ev.Actor != "zhang" {
					t.Errorf("pause %+v, event %+v", tk.Pause, ev)
				}
			}},
		{name: "resume when not paused", setup: onSite, user: "zhang", action: "resume", code: http.StatusConflict},
		{name: "report", setup: resolved, user: "zhang", action: "report", form: url.Values{"text": {"电源模块老化"}, "attachment": {"报告.docx"}}, code: http.StatusSeeOther,
			check: func(t *testing.T, tk *tickets.Ticket) {
				if ev := lastEvent(tk); ev.Kind != "report" || ev.Actor != "zhang" || !strings.Contains(ev.Detail, "报告.docx") {
					t.Errorf("event %+v", ev)
				}
			}},
		{name: "customer confirms", setup: resolved, user: "jia", action: "confirm", form: url.Values{"by": {"ignored"}}, code: http.StatusSeeOther,
			check: func(t *testing.T, tk *tickets.Ticket) {
				if ev := lastEvent(tk); tk.State != tickets.StateConfirmed || ev.Actor != "jia" || ev.By != "" {
					t.Errorf("state %s, event %+v", tk.State, ev)
				}
			}},
		{name: "engineer records the confirmation", setup: resolved, user: "zhang", action: "confirm", form: url.Values{"by": {"李科长"}}, code: http.StatusSeeOther,
			check: func(t *testing.T, tk *tickets.Ticket) {
				if ev := lastEvent(tk); tk.State != tickets.StateConfirmed || ev.Actor != "zhang" || ev.By != "李科长" {
					t.Errorf("state %s, event %+v", tk.State, ev)
				}
			}},
		{name: "another site's customer", setup: resolved, user: "yi", action: "confirm", code: http.StatusNotFound},
		{name: "confirm by the duty operator", setup: resolved, user: "duty", action: "confirm", code: http.StatusForbidden},
		{name: "confirm before the fix", setup: onSite, user: "jia", action: "confirm", code: http.StatusConflict},
		{name: "reject without a note", setup: resolved, user: "jia", action: "reject", form: url.Values{"note": {""}},
			code: http.StatusUnprocessableEntity, body: "填写不完整"},
		{name: "customer rejects", setup: resolved, user: "jia", action: "reject", form: url.Values{"note": {"仍然无法开机"}}, code: http.StatusSeeOther,
			check: func(t *testing.T, tk *tickets.Ticket) {
				if ev := lastEvent(tk); tk.State != tickets.StateReopened || ev.Kind != "reject" || ev.Actor != "jia" {
					t.Errorf("state %s, event %+v", tk.State, ev)
				}
			}},
		{name: "follow-up without satisfaction", setup: resolved, user: "zhang", action: "followup", form: url.Values{"satisfaction": {"0"}},
			code: http.StatusUnprocessableEntity, body: "满意度须为 1 到 5"},
		{name: "customer's follow-up", setup: resolved, user: "jia", action: "followup", form: url.Values{"satisfaction": {"4"}, "note": {"响应及时"}}, code: http.StatusSeeOther,
			check: func(t *testing.T, tk *tickets.Ticket) {
				if ev := lastEvent(tk); tk.Satisfaction != 4 || ev.Actor != "jia" || ev.Note != "响应及时" {
					t.Errorf("satisfaction %d, event %+v", tk.Satisfaction, ev)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tk := e.create(t, tickets.Manual{Title: "服务器无法开机 " + tc.name, Level: 2, Device: "srv-01", Site: site})
			if tc.setup != nil {
				tc.setup(tk.ID)
			}
			form := url.Values{}
			for k, v := range tc.form {
				form[k] = v
			}
			if form.Get("part_id") == "PART" {
				cur, err := e.tk.Service.Get(ctx, tk.ID)
				if err != nil {
					t.Fatal(err)
				}
				form.Set("part_id", itoa(cur.Parts[0].ID))
			}
			id := "/tickets/" + itoa(tk.ID)
			// The CSRF token comes from a page the user may see.
			from := id
			if tc.code == http.StatusNotFound {
				from = "/tickets"
			}
			resp, body := csrfPost(t, who[tc.user], e.srv.URL, from, id+"/"+tc.action, form)
			if resp.StatusCode != tc.code {
				t.Fatalf("%s by %s: %s, want %d\n%s", tc.action, tc.user, resp.Status, tc.code, body)
			}
			if tc.body != "" && !strings.Contains(body, tc.body) {
				t.Errorf("page does not say %q:\n%s", tc.body, body)
			}
			after, err := e.tk.Service.Get(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if ev := lastEvent(after); tc.code != http.StatusSeeOther && ev.Actor != "test" { // only the setup's events
				t.Errorf("refused %s left an event %+v", tc.action, ev)
			}
			if tc.check != nil {
				tc.check(t, after)
			}
		})
	}
}

// TestMilestonePage: on the shipped seed 001 profile, the ticket page shows
// the pause in progress, the profile, the paused total, the follow-up's
// satisfaction, a timer ended without its milestone as not applicable or
// breached (never a remaining time), and offers the customer only the
// customer's answers.
func TestMilestonePage(t *testing.T) {
	loaded, err := sla.Config{Profile: "seed001", Dir: "../../rules/sla", Holidays: "../../rules/calendars/cn-holidays.yml"}.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := newDeskEnvOn(t, ticketstest.New(t, func(o *tickets.Options) { o.Policy = loaded.Selection }), nil)
	ctx := context.Background()
	const site = "城关派出所"
	e.user(t, "zhang", auth.RoleEngineer)
	e.user(t, "jia", auth.RoleCustomer, site)
	login := func(name string) *http.Client { // again after the clock moved past the idle timeout
		c := client(t)
		if resp, _ := post(t, c, e.srv.URL+"/login", url.Values{"username": {name}, "password": {"Changed-Pass-2024"}}, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login %s: %s", name, resp.Status)
		}
		return c
	}
	page := func(c *http.Client, id string) string {
		t.Helper()
		resp, body := get(t, c, e.srv.URL+id)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s\n%s", id, resp.Status, body)
		}
		return body
	}
	newTicket := func(title string) (int64, func(tickets.ActionRequest)) {
		tk := e.create(t, tickets.Manual{Title: title, Level: 3, Device: "door-01", Site: site})
		return tk.ID, func(r tickets.ActionRequest) {
			t.Helper()
			r.Actor = "zhang"
			if _, err := e.tk.Service.Do(ctx, tk.ID, r); err != nil {
				t.Fatalf("%s: %v", r.Action, err)
			}
		}
	}
	paused, doP := newTicket("门禁离线")
	early, doE := newTicket("早修复")
	late, doL := newTicket("晚修复")
	pid, eid, lid := "/tickets/"+itoa(paused), "/tickets/"+itoa(early), "/tickets/"+itoa(late)
	doP(tickets.ActionRequest{Action: tickets.ActionOnSite})
	doP(tickets.ActionRequest{Action: tickets.ActionPause, Reason: "等待机房开门", AgreedBy: "李科长"})
	doE(tickets.ActionRequest{Action: tickets.ActionAck})
	doL(tickets.ActionRequest{Action: tickets.ActionAck})

	body := page(login("zhang"), pid)
	for _, want := range []string{`id="pause-mark"`, "等待机房开门", "李科长", `action="` + pid + `/resume"`,
		`<dd id="ticket-profile">seed001</dd>`, `class="badge paused"`, `data-status="paused"`} {
		if !strings.Contains(body, want) {
			t.Errorf("paused ticket's page lacks %q\n%s", want, body)
		}
	}
	if strings.Contains(body, `action="`+pid+`/pause"`) {
		t.Error("pause offered on a paused ticket")
	}

	e.tk.Clock.Advance(time.Hour)
	doE(tickets.ActionRequest{Action: tickets.ActionResolve, Cause: "网线松动", Fix: "重新压接"})
	e.tk.Clock.Advance(time.Hour)
	doP(tickets.ActionRequest{Action: tickets.ActionResume})
	doP(tickets.ActionRequest{Action: tickets.ActionResolve, Cause: "网线松动", Fix: "重新压接"})
	doP(tickets.ActionRequest{Action: tickets.ActionClose})
	doP(tickets.ActionRequest{Action: tickets.ActionFollowUp, Satisfaction: 5, Note: "满意"})
	e.tk.Clock.Advance(3 * time.Hour)
	doL(tickets.ActionRequest{Action: tickets.ActionResolve, Cause: "网线松动", Fix: "重新压接"})

	eng := login("zhang")
	body = page(eng, pid)
	for _, want := range []string{`<dd id="ticket-paused-total">2小时0分</dd>`, `<dd id="ticket-satisfaction">5 / 5</dd>`,
		`<div class="satisfaction">满意度: 5 / 5</div>`, "回访", "等待机房开门 · 用户方同意人: 李科长", `<div class="reason">等待机房开门 · 2小时0分</div>`} {
		if !strings.Contains(body, want) {
			t.Errorf("closed ticket's page lacks %q\n%s", want, body)
		}
	}
	if strings.Contains(body, `id="pause-mark"`) {
		t.Error("pause shown in progress after resume")
	}
	// Resolved at +1 h, before the plan was due (+2 h): not applicable.
	body = page(eng, eid)
	if !strings.Contains(body, `data-timer="plan" data-status="not_applicable"`) || !strings.Contains(body, `<span class="tstatus t-not_applicable">不适用</span>`) {
		t.Errorf("plan timer of the early fix not shown as not applicable\n%s", body)
	}
	// Resolved at +5 h without a plan: breached by 3 h, no countdown.
	body = page(eng, lid)
	if !strings.Contains(body, `data-timer="plan" data-status="breached"`) || !strings.Contains(body, "超时 3小时0分") {
		t.Errorf("plan timer of the late fix not shown breached by 3h\n%s", body)
	}
	// The customer is offered the follow-up only, without the by field.
	body = page(login("jia"), pid)
	if !strings.Contains(body, `action="`+pid+`/followup"`) || strings.Contains(body, `action="`+pid+`/note"`) || strings.Contains(body, `name="by"`) {
		t.Errorf("customer's buttons wrong:\n%s", body)
	}
}

// TestUnknownAndMaintenanceMarks: a ticket whose device fell silent shows
// the unknown mark with its time and the linked reachability ticket on its
// page, and a badge in the list and on the desk; a ticket a maintenance
// window covers (event silenced) shows its badge on the page, in the list
// and on the desk until the window's end.
func TestUnknownAndMaintenanceMarks(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	duty := e.user(t, "duty", auth.RoleViewer)
	t0 := ticketstest.Start
	fire := func(name, family string) alert.Alert {
		return alert.Alert{Labels: map[string]string{"alertname": name, "device": "ups-1", "family": family, "class": "ups", "site": "县局机房"},
			StartsAt: t0, Annotations: map[string]string{"summary": "ups-1 " + name}, Source: alert.SourceWebhook}
	}
	ingest := func(a alert.Alert) int64 {
		t.Helper()
		r, err := e.tk.Service.Ingest(ctx, []alert.Alert{a})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Tickets) == 0 {
			return 0
		}
		return r.Tickets[0]
	}
	batt := fire("UPSOnBattery", "power")
	id := ingest(batt)
	e.tk.Clock.Advance(time.Minute)
	gone := batt
	gone.EndsAt = e.tk.Clock.Now()
	gone.Annotations = map[string]string{alert.AnnotationDataAbsent: "true"}
	ingest(gone)
	e.tk.Clock.Advance(time.Minute)
	rid := ingest(fire("InfraSNMPSilent", "reachability"))
	if rid == 0 || rid == id {
		t.Fatalf("reachability ticket %d (power ticket %d)", rid, id)
	}
	tid := "/tickets/" + itoa(id)
	_, body := get(t, duty, e.srv.URL+tid)
	for _, want := range []string{`id="ticket-unknown"`, "设备失联（状态未知），自 2025-03-03 09:01:00 起",
		`<a href="/tickets/` + itoa(rid) + `" id="linked-ticket">等待可达性工单 #` + itoa(rid) + `</a>`, "设备失联（状态未知）</b>"} {
		if !strings.Contains(body, want) {
			t.Errorf("unknown ticket's page lacks %q\n%s", want, body)
		}
	}
	if strings.Contains(body, `id="ticket-silenced"`) {
		t.Error("maintenance badge before any window")
	}
	_, body = get(t, duty, e.srv.URL+"/tickets")
	if !strings.Contains(body, `<span class="badge unknown" title="等待可达性工单 #`+itoa(rid)+`">状态未知</span>`) {
		t.Errorf("list lacks the unknown badge\n%s", body)
	}
	_, body = get(t, duty, e.srv.URL+"/desk/panel")
	if !strings.Contains(body, `<span class="badge unknown">状态未知</span> <a class="linked" href="/tickets/`+itoa(rid)+`">`) {
		t.Errorf("desk lacks the unknown badge\n%s", body)
	}

	w := tickets.Window{ID: "w1", CreatedBy: "zhang", Comment: "UPS 更换电池", StartsAt: e.tk.Clock.Now(), EndsAt: e.tk.Clock.Now().Add(time.Hour),
		Matches: func(ls map[string]string) bool { return ls["device"] == "ups-1" }}
	if _, err := e.tk.Service.MarkSilenced(ctx, w); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, duty, e.srv.URL+tid)
	if !strings.Contains(body, `<span class="badge silenced" id="ticket-silenced">维护窗口中</span>`) || !strings.Contains(body, "进入维护窗口</b>") {
		t.Errorf("silenced ticket's page lacks the maintenance badge\n%s", body)
	}
	// The list and the desk had read the tickets unmarked: the change feed
	// makes them read them again. The window covers both tickets of ups-1.
	const badge = `<span class="badge silenced">维护窗口中</span>`
	for _, path := range []string{"/tickets", "/desk/panel"} {
		if _, body := get(t, duty, e.srv.URL+path); strings.Count(body, badge) != 2 {
			t.Errorf("%s: %d maintenance badges, want 2\n%s", path, strings.Count(body, badge), body)
		}
	}
	if _, err := e.tk.Service.MarkSilenceEnded(ctx, w); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, duty, e.srv.URL+tid)
	if strings.Contains(body, `id="ticket-silenced"`) || !strings.Contains(body, "维护窗口结束</b>") {
		t.Errorf("after the window's end\n%s", body)
	}
	for _, path := range []string{"/tickets", "/desk/panel"} {
		if _, body := get(t, duty, e.srv.URL+path); strings.Contains(body, badge) {
			t.Errorf("%s: maintenance badge after the window's end", path)
		}
	}
}
