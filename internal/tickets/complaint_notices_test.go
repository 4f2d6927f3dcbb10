package tickets_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/config"
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/roster"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// smsText is a loopback SMS gateway recording each request's phone and text.
type smsText struct {
	mu  sync.Mutex
	got []string // "phone: text"
}

func (s *smsText) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Mobile  string `json:"mobile"`
		Content string `json:"content"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &b); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	s.got = append(s.got, b.Mobile+": "+b.Content)
	s.mu.Unlock()
}

func (s *smsText) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// complaintAccounts opens an accounts store with the customer who files
// (jiafang, a phone) and the project manager (wangpm, an e-mail).
func complaintAccounts(t *testing.T, env *ticketstest.Env) *accounts.Store {
	t.Helper()
	ctx := context.Background()
	acc, err := accounts.Open(ctx, accounts.Options{Path: filepath.Join(t.TempDir(), "accounts.db"), Clock: env.Clock, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	for _, u := range []accounts.NewUser{
		{Name: "jiafang", DisplayName: "甲方张科", Phone: "13700000007", Role: auth.RoleCustomer},
		{Name: "nophone", DisplayName: "甲方无电话", Role: auth.RoleCustomer},
		{Name: "wangpm", DisplayName: "王经理", Email: "pm@ops.example.org", Role: auth.RoleManager},
	} {
		u.Password = "Initial-Passw0rd!"
		if _, err := acc.Add(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	return acc
}

// complaintRig is a service with notices on, a loopback webhook for the
// project manager and a loopback SMS gateway for the complainant.
type complaintRig struct {
	env  *ticketstest.Env
	pm   *receiver
	sms  *smsText
	opts tickets.EscalationOptions
	esc  *tickets.Escalator
}

func newComplaintRig(t *testing.T, withRoster bool) *complaintRig {
	t.Helper()
	r := &complaintRig{pm: &receiver{}, sms: &smsText{}}
	hsrv := httptest.NewServer(r.pm)
	t.Cleanup(hsrv.Close)
	gsrv := httptest.NewServer(r.sms)
	t.Cleanup(gsrv.Close)
	r.env = ticketstest.New(t, func(o *tickets.Options) { o.Notices = true })
	n, err := notify.New(notify.Config{Channels: []notify.ChannelConfig{
		{Name: "pm-hook", Type: "webhook", URL: hsrv.URL + "/pm"},
		{Name: "eng-hook", Type: "webhook", URL: hsrv.URL + "/eng"},
		{Name: "cust-sms", Type: "sms", URL: gsrv.URL + "/sms", Phones: []string{"13800000001"},
			Body: `{"mobile":"{{.Phone}}","content":{{json .Text}}}`},
	}}, notify.Options{Clock: r.env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	acc := complaintAccounts(t, r.env)
	r.opts = tickets.EscalationOptions{Notifier: n, Accounts: acc, URL: "https://rw.example",
		Routes: map[string][]string{"engineer": {"eng-hook"}, "project_manager": {"pm-hook"}, "group": {"eng-hook"},
			"technical_director": {"eng-hook"}, "deputy_gm": {"eng-hook"}, "complainant": {"cust-sms"}}}
	if withRoster {
		var f rosterFile
		if err := config.Decode("collector.yml", []byte(dutyRoster), &f); err != nil {
			t.Fatal(err)
		}
		ros, err := roster.New(context.Background(), roster.Options{Config: f.Roster, Location: ticketstest.Shanghai(t), Accounts: acc, Clock: r.env.Clock})
		if err != nil {
			t.Fatal(err)
		}
		r.opts.Duty = ros
	}
	r.restart(t)
	return r
}

// restart builds a new escalator on the same store (a collector restart).
func (r *complaintRig) restart(t *testing.T) {
	t.Helper()
	esc, err := r.env.Service.Escalator(r.opts)
	if err != nil {
		t.Fatal(err)
	}
	r.esc = esc
}

func (r *complaintRig) pass(t *testing.T) {
	t.Helper()
	// A reply that cannot reach its filer is recorded, not retried.
	if err := r.esc.RunOnce(context.Background()); err != nil && !errors.Is(err, tickets.ErrNoChannel) {
		t.Fatal(err)
	}
}

// complaintNotices returns the complaint notices the project manager's
// webhook received.
func (r *complaintRig) complaintNotices() []notify.WebhookPayload {
	got, paths := r.pm.snapshot()
	var out []notify.WebhookPayload
	for i, p := range got {
		if paths[i] == "/pm" && strings.HasPrefix(string(p.Event), "complaint") {
			out = append(out, p)
		}
	}
	return out
}

// TestComplaintNotices: filing a complaint tells the project manager once
// (text, filer, ticket, deadline in Asia/Shanghai), across passes and a
// restart; a complaint still unanswered at its deadline tells them once
// more, one answered in time does not; the answer goes to the filer's
// own phone.
func TestComplaintNotices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		roster      bool
		filer       string
		aboutTicket bool
		fileAfter   time.Duration // from ticketstest.Start (Monday 09:00 Shanghai)
		answerAt    time.Duration // after filing; 0: never
		wantTitles  []string      // complaint notices to the project manager, in order
		wantPMTo    []string      // the roster's recipients named on the first one
		wantSMS     []string      // "phone: text" prefix to the complainant
		wantNotes   []string      // notice lines on the ticket's history
	}{
		{name: "about a ticket, answered in time", filer: "jiafang", aboutTicket: true, answerAt: 2 * time.Hour,
			wantTitles: []string{"【投诉】#1 工程师到场太慢，两小时无人处理（工单#1 卡口抓拍中断） 请于 2025-03-04 09:00 前答复"},
			wantSMS:    []string{"13700000007: 【投诉答复】#1 您的投诉已答复：已约谈驻场工程师"},
			wantNotes:  []string{"投诉 #1 通知 → 项目经理 经 pm-hook 第1次 成功 ok", "投诉 #1 答复通知 → 投诉人 甲方张科 经 cust-sms 第1次 成功 ok"}},
		{name: "about the service, never answered: overdue once", filer: "jiafang",
			wantTitles: []string{"【投诉】#1 工程师到场太慢，两小时无人处理 请于 2025-03-04 09:00 前答复", "【投诉超时未答复】#1 工程师到场太慢，两小时无人处理 答复时限 2025-03-04 09:00 已到"}},
		{name: "answered after the deadline: overdue, then the reply", filer: "jiafang", answerAt: 25 * time.Hour,
			wantTitles: []string{"【投诉】#1 工程师到场太慢，两小时无人处理 请于 2025-03-04 09:00 前答复", "【投诉超时未答复】#1 工程师到场太慢，两小时无人处理 答复时限 2025-03-04 09:00 已到"},
			wantSMS:    []string{"13700000007: 【投诉答复】#1 您的投诉已答复：已约谈驻场工程师"}},
		{name: "roster: the project manager on duty", roster: true, filer: "jiafang", fileAfter: 30 * time.Minute, answerAt: time.Hour,
			wantTitles: []string{"【投诉】#1 工程师到场太慢，两小时无人处理 请于 2025-03-04 09:30 前答复"}, wantPMTo: []string{"wangpm"},
			wantSMS: []string{"13700000007: 【投诉答复】#1 您的投诉已答复：已约谈驻场工程师"}},
		{name: "filer without a phone: no reply notice", filer: "nophone", aboutTicket: true, answerAt: time.Hour,
			wantTitles: []string{"【投诉】#1 工程师到场太慢，两小时无人处理（工单#1 卡口抓拍中断） 请于 2025-03-04 09:00 前答复"},
			wantNotes:  []string{"投诉 #1 通知 → 项目经理 经 pm-hook 第1次 成功 ok", "投诉 #1 答复通知 → 投诉人 nophone 未发送 not sent: no channel: account nophone has no phone, e-mail or WeCom/DingTalk id"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			r := newComplaintRig(t, tc.roster)
			env := r.env
			var tid int64
			if tc.aboutTicket {
				tk, err := env.Service.Create(ctx, tickets.Manual{Title: "卡口抓拍中断", Level: classify.LevelIII, Actor: "值班员"})
				if err != nil {
					t.Fatal(err)
				}
				tid = tk.ID
			}
			env.Clock.Advance(tc.fileAfter)
			c, err := env.Service.FileComplaint(ctx, tickets.ComplaintRequest{TicketID: tid, Text: "工程师到场太慢，两小时无人处理",
				Contact: "张科 138", Actor: tc.filer})
			if err != nil {
				t.Fatal(err)
			}
			r.pass(t)
			r.pass(t) // a second pass sends nothing again
			got := r.complaintNotices()
			if len(got) != 1 {
				t.Fatalf("%d complaint notices after filing, want 1: %+v", len(got), got)
			}
			first := got[0]
			if first.Event != notify.EventComplaint || first.Data == nil || first.Data.Complaint == nil {
				t.Fatalf("filing notice %+v", first)
			}
			wantDue := c.DueAt.Format("2006-01-02 15:04")
			for _, want := range []string{"- 投诉内容：工程师到场太慢，两小时无人处理", "- 投诉人：" + tc.filer + "（联系方式：张科 138）",
				"- 答复时限：" + wantDue, "[查看投诉](https://rw.example/complaints)"} {
				if !strings.Contains(first.Text, want) {
					t.Errorf("filing notice body lacks %q:\n%s", want, first.Text)
				}
			}
			if tc.aboutTicket && !strings.Contains(first.Text, "- 相关工单：#1 卡口抓拍中断（[查看工单](https://rw.example/tickets/1)）") {
				t.Errorf("filing notice body lacks the ticket:\n%s", first.Text)
			}
			if dc := first.Data.Complaint; dc.Text != c.Text || dc.FiledBy != tc.filer || !dc.DueAt.Equal(c.DueAt) {
				t.Errorf("filing notice data %+v, want the complaint %+v", dc, c)
			}
			var to []string
			for _, p := range first.Data.To {
				to = append(to, p.User)
			}
			if !slices.Equal(to, tc.wantPMTo) {
				t.Errorf("filing notice to %v, want %v", to, tc.wantPMTo)
			}

			// A restart claims and sends nothing again; up to a minute
			// before the deadline there is no overdue notice.
			r.restart(t)
			env.Clock.Advance(c.DueAt.Sub(env.Clock.Now()) - time.Minute)
			if tc.answerAt != 0 && tc.answerAt < 24*time.Hour {
				if _, err := env.Service.AnswerComplaint(ctx, c.ID, "已约谈驻场工程师", "boss"); err != nil {
					t.Fatal(err)
				}
			}
			r.pass(t)
			env.Clock.Advance(time.Minute) // the deadline
			r.pass(t)
			r.restart(t)
			env.Clock.Advance(time.Hour)
			r.pass(t)
			if tc.answerAt >= 24*time.Hour {
				if _, err := env.Service.AnswerComplaint(ctx, c.ID, "已约谈驻场工程师", "boss"); err != nil {
					t.Fatal(err)
				}
				r.pass(t)
				env.Clock.Advance(time.Hour)
				r.pass(t)
			}
			var titles []string
			for _, p := range r.complaintNotices() {
				titles = append(titles, p.Title)
			}
			if !slices.Equal(titles, tc.wantTitles) {
				t.Errorf("complaint notices to the project manager %q, want %q", titles, tc.wantTitles)
			}
			// The SMS is the title: the reply itself, to the filer's phone
			// (not the channel's configured 13800000001).
			if sms := r.sms.snapshot(); !slices.Equal(sms, tc.wantSMS) {
				t.Errorf("SMS %q, want %q", sms, tc.wantSMS)
			}
			if len(tc.wantNotes) > 0 {
				full, err := env.Service.Get(ctx, tid)
				if err != nil {
					t.Fatal(err)
				}
				var notes []string
				for _, e := range full.Events {
					if e.Kind == tickets.EventNotice && strings.HasPrefix(e.Note, "投诉") {
						notes = append(notes, e.Note)
					}
				}
				if !slices.Equal(notes, tc.wantNotes) {
					t.Errorf("history %q, want %q", notes, tc.wantNotes)
				}
			}
		})
	}
}

// TestComplaintNoticeSurvivesRestart: a complaint filed while no escalator
// runs (the collector stops before its pass) has its notice claimed in the
// database; after reopening the database a new escalator sends it, once.
func TestComplaintNoticeSurvivesRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	notices := func(o *tickets.Options) { o.Notices = true }
	env := ticketstest.New(t, notices)
	if _, err := env.Service.FileComplaint(ctx, tickets.ComplaintRequest{Text: "电话无人接", Actor: "jiafang"}); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.Close(); err != nil {
		t.Fatal(err)
	}
	env = ticketstest.NewAt(t, env.DBPath, env.Clock, notices)
	n, err := notify.New(notify.Config{Channels: []notify.ChannelConfig{{Name: "pm", Type: "webhook", URL: srv.URL + "/pm"}}},
		notify.Options{Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a restart after the sending claims and sends nothing again
		esc, err := env.Service.Escalator(tickets.EscalationOptions{Notifier: n, Routes: map[string][]string{"project_manager": {"pm"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := esc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got, paths := rcv.snapshot()
	if len(got) != 1 || paths[0] != "/pm" || got[0].Title != "【投诉】#1 电话无人接 请于 2025-03-04 09:00 前答复" {
		t.Fatalf("after the restart: %q %+v", paths, got)
	}
}
