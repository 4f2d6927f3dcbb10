package api_test

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/api"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// hookLog is a loopback webhook recording "path title" per notice (sorted).
type hookLog struct {
	mu  sync.Mutex
	got []string
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var p notify.WebhookPayload
	if err := json.Unmarshal(b, &p); err != nil || p.Data == nil {
		http.Error(w, fmt.Sprint("bad payload: ", err), 400)
		return
	}
	h.mu.Lock()
	h.got = append(h.got, r.URL.Path+" "+p.Title)
	h.mu.Unlock()
}

func (h *hookLog) snapshot() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(slices.Values(h.got))
}

// waitHooks polls (real time) until got() equals want or a few seconds pass.
func waitHooks(t *testing.T, what string, got func() []string, want []string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Equal(got(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q, want %q", what, got(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestComplaintNoticesEndToEnd: a customer files a complaint through the
// API; the running escalator (woken by the filing, not by its 30 s tick on
// the fake clock) tells the project manager; a manager's answer through
// the API reaches the customer's own webhook; at the deadline nothing more
// goes (it was answered).
func TestComplaintNoticesEndToEnd(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := ticketstest.New(t, func(o *tickets.Options) { o.Notices = true })
	a, err := auth.New(auth.Config{Tokens: []auth.Token{{Name: "boss", Token: managerTok, Role: auth.RoleManager},
		{Name: "jiafang", Token: custATok, Role: auth.RoleCustomer}}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.NewHandler(api.Options{Service: env.Service, Auth: a, Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	s := &server{Env: env, URL: srv.URL}

	hooks := &hookLog{}
	hsrv := httptest.NewServer(hooks)
	defer hsrv.Close()
	n, err := notify.New(notify.Config{Channels: []notify.ChannelConfig{
		{Name: "pm-hook", Type: "webhook", URL: hsrv.URL + "/pm"},
		{Name: "jiafang-hook", Type: "webhook", URL: hsrv.URL + "/jiafang"},
	}}, notify.Options{Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := accounts.Open(ctx, accounts.Options{Path: filepath.Join(t.TempDir(), "accounts.db"), Clock: env.Clock, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Close()
	if _, err := acc.Add(ctx, accounts.NewUser{Name: "jiafang", DisplayName: "甲方张科", Email: "zhangke@bureau.example",
		Role: auth.RoleCustomer, Password: "Initial-Passw0rd!"}, "test"); err != nil {
		t.Fatal(err)
	}
	esc, err := env.Service.Escalator(tickets.EscalationOptions{Notifier: n, Accounts: acc,
		Routes: map[string][]string{"project_manager": {"pm-hook"}}, People: map[string][]string{"jiafang": {"jiafang-hook"}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); esc.Run(ctx) }()
	defer func() { cancel(); <-done }()

	filed := []string{"/pm 【投诉】#1 电话无人接 请于 2025-03-04 09:00 前答复", "/pm 【投诉】#2 值班电话占线 请于 2025-03-04 09:00 前答复"}
	for _, text := range []string{"电话无人接", "值班电话占线"} {
		if code, body := s.do(t, "POST", "/api/v1/complaints", custATok, `{"text":"`+text+`","contact":"张科 138"}`); code != http.StatusCreated {
			t.Fatalf("file: %d %v", code, body)
		}
	}
	waitHooks(t, "after filing", hooks.snapshot, filed)

	env.Clock.Advance(time.Hour)
	if code, body := s.do(t, "POST", "/api/v1/complaints/1/answer", managerTok, `{"reply":"已安排专人值守"}`); code != http.StatusOK {
		t.Fatalf("answer: %d %v", code, body)
	}
	answered := append([]string{"/jiafang 【投诉答复】#1 您的投诉已答复：已安排专人值守"}, filed...)
	waitHooks(t, "after the answer", hooks.snapshot, answered)

	// Past the deadline the clock's tick runs a pass: #2, unanswered, is
	// overdue (once); #1 was answered in time.
	env.Clock.Advance(24 * time.Hour)
	overdue := append(slices.Clone(answered), "/pm 【投诉超时未答复】#2 值班电话占线 答复时限 2025-03-04 09:00 已到")
	slices.Sort(overdue)
	waitHooks(t, "after the deadline", hooks.snapshot, overdue)
	for range 3 {
		env.Clock.Advance(30 * time.Second)
		time.Sleep(20 * time.Millisecond)
	}
	if got := hooks.snapshot(); !slices.Equal(got, overdue) {
		t.Errorf("later passes: %q, want %q", got, overdue)
	}
}
