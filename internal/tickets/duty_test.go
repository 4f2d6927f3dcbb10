package tickets_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
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

// dutyRoster: the handover is at 09:20, so a ticket opened at 09:00 on
// Monday (ticketstest.Start) is Sunday's shift (lisi, no project manager)
// and its warning at 09:24 and breach at 09:30 are Monday's (zhangsan,
// wangpm).
const dutyRoster = `roster:
  handover: "09:20"
  weekly:
    sunday: {engineer: [lisi]}
    monday: {engineer: [zhangsan], project_manager: [wangpm]}
`

type rosterFile struct {
	Roster roster.Config `yaml:"roster"`
}

func (f *rosterFile) Validate() error { return f.Roster.Validate() }

// smsLog is a loopback SMS gateway recording the phone of each request.
type smsLog struct {
	mu     sync.Mutex
	phones []string
}

func (s *smsLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Mobile string `json:"mobile"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &b); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	s.phones = append(s.phones, b.Mobile)
	s.mu.Unlock()
}

func (s *smsLog) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.phones)
}

func newDutyRoster(t *testing.T, env *ticketstest.Env) *roster.Roster {
	t.Helper()
	ctx := context.Background()
	acc, err := accounts.Open(ctx, accounts.Options{Path: filepath.Join(t.TempDir(), "accounts.db"), Clock: env.Clock, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { acc.Close() })
	for _, u := range []accounts.NewUser{
		{Name: "zhangsan", DisplayName: "张三", Phone: "13900000009", Role: auth.RoleEngineer},
		{Name: "lisi", DisplayName: "李四", Phone: "13900000010", Role: auth.RoleEngineer},
		{Name: "wangpm", DisplayName: "王经理", Email: "pm@ops.example.org", Role: auth.RoleManager},
	} {
		u.Password = "Initial-Passw0rd!"
		if _, err := acc.Add(ctx, u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	var f rosterFile
	if err := config.Decode("collector.yml", []byte(dutyRoster), &f); err != nil {
		t.Fatal(err)
	}
	r, err := roster.New(ctx, roster.Options{Config: f.Roster, Location: ticketstest.Shanghai(t), Accounts: acc, Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestNoticesToThePersonOnDuty: with a duty roster, a notice to the
// engineer or the project manager goes to the person on duty at the
// notice's time (the SMS to their phone, the webhook names them) and the
// history says who; without a roster, to the channels' configured
// addressees as before.
func TestNoticesToThePersonOnDuty(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		roster    bool
		level     classify.Level
		advance   []time.Duration // clock steps, a pass after each
		wantSMS   []string        // phones reached on the engineer's SMS channel
		wantPMTo  [][]string      // recipients named to the project manager's webhook, per notice
		wantNotes []string        // on the ticket's history
	}{
		{name: "level I at 09:00 is Sunday's shift", roster: true, level: classify.LevelI, advance: []time.Duration{0},
			wantSMS: []string{"13900000010"}, wantPMTo: [][]string{nil},
			wantNotes: []string{"新工单通知 → 驻场工程师 李四 经 eng-sms 第1次 成功 ok", "新工单通知 → 项目经理 经 pm-hook 第1次 成功 ok"}},
		{name: "level IV warning and breach are Monday's", roster: true, level: classify.LevelIV, advance: []time.Duration{24 * time.Minute, 6 * time.Minute},
			wantSMS: []string{"13900000009"}, wantPMTo: [][]string{{"wangpm"}},
			wantNotes: []string{"响应 warn → 驻场工程师 张三 经 eng-sms 第1次 成功 ok", "响应 breach → 项目经理 王经理 经 pm-hook 第1次 成功 ok"}},
		{name: "without a roster: the configured phone", level: classify.LevelI, advance: []time.Duration{0},
			wantSMS: []string{"13800000001"}, wantPMTo: [][]string{nil},
			wantNotes: []string{"新工单通知 → 驻场工程师 经 eng-sms 第1次 成功 ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gw := &smsLog{}
			gsrv := httptest.NewServer(gw)
			defer gsrv.Close()
			rcv := &receiver{}
			hsrv := httptest.NewServer(rcv)
			defer hsrv.Close()
			env := ticketstest.New(t, func(o *tickets.Options) { o.Notices = true })
			ctx := context.Background()
			n, err := notify.New(notify.Config{Channels: []notify.ChannelConfig{
				{Name: "eng-sms", Type: "sms", URL: gsrv.URL + "/sms", Phones: []string{"13800000001"}, Body: `{"mobile":"{{.Phone}}","content":{{json .Text}}}`},
				{Name: "pm-hook", Type: "webhook", URL: hsrv.URL + "/pm"},
				{Name: "group-hook", Type: "webhook", URL: hsrv.URL + "/group"},
			}}, notify.Options{Clock: env.Clock})
			if err != nil {
				t.Fatal(err)
			}
			o := tickets.EscalationOptions{Notifier: n, Routes: map[string][]string{"engineer": {"eng-sms"}, "project_manager": {"pm-hook"}, "group": {"group-hook"}}}
			if tc.roster {
				o.Duty = newDutyRoster(t, env)
			}
			esc, err := env.Service.Escalator(o)
			if err != nil {
				t.Fatal(err)
			}
			tk, err := env.Service.Create(ctx, tickets.Manual{Title: "机房漏水", Level: tc.level, Actor: "值班员"})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range tc.advance {
				env.Clock.Advance(d)
				if err := esc.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if got := gw.snapshot(); !slices.Equal(got, tc.wantSMS) {
				t.Errorf("SMS to %v, want %v", got, tc.wantSMS)
			}
			all, paths := rcv.snapshot()
			var got []notify.WebhookPayload
			for i, p := range all {
				if paths[i] == "/pm" {
					got = append(got, p)
				}
			}
			if len(got) != len(tc.wantPMTo) {
				t.Fatalf("%d webhook notices, want %d", len(got), len(tc.wantPMTo))
			}
			for i, p := range got {
				var users []string
				for _, r := range p.Data.To {
					users = append(users, r.User)
				}
				if !slices.Equal(users, tc.wantPMTo[i]) {
					t.Errorf("webhook notice %d to %v, want %v", i, users, tc.wantPMTo[i])
				}
			}
			full, err := env.Service.Get(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			var notes []string
			for _, e := range full.Events {
				if e.Kind == tickets.EventNotice {
					notes = append(notes, e.Note)
				}
			}
			for _, w := range tc.wantNotes {
				if !slices.Contains(notes, w) {
					t.Errorf("history %q lacks %q", notes, w)
				}
			}
		})
	}
}
