package collector

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/notify"
)

// notice is one webhook notice as the receiver got it.
type notice struct {
	path string
	p    notify.WebhookPayload
}

// TestServeEscalatorOnFakeClock runs NewServe (what `serve` runs) on a fake
// clock with two webhook channels routed per role, opens a level I ticket
// through the API, and moves the clock: past the respond timer's warning point
// (24 of 30 minutes) exactly one reminder goes to the engineer's channel; past
// the deadline the breach goes to the next role in the chain (project
// manager). Both attempts are on the ticket's history.
func TestServeEscalatorOnFakeClock(t *testing.T) {
	t.Parallel()
	got := make(chan notice, 16)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p notify.WebhookPayload
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- notice{path: r.URL.Path, p: p}
	}))
	defer rcv.Close()

	cfg := DefaultConfig()
	cfg.Global.DataDir = t.TempDir()
	cfg.Web.ListenAddress = "127.0.0.1:0"
	cfg.Rules.Files = nil
	cfg.Scrape = nil
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tickets.Rules = filepath.Join(root, "rules", "fault-levels.yml")
	cfg.SLA.Dir = filepath.Join(root, "rules", "sla")
	// Seed 004: respond 30 min on 24×7, warning at 80 %, breach to the project
	// manager (seed 001 escalates only its urgent-fault escalation timer).
	cfg.SLA.Profile = "seed004"
	cfg.SLA.Holidays = filepath.Join(root, "rules", "calendars", "cn-holidays.yml")
	cfg.Tickets.Auth.Tokens = []auth.Token{{Name: "zhang", Token: "wire-tickets-engineer", Role: auth.RoleEngineer}}
	cfg.Notify.Channels = []notify.ChannelConfig{
		{Name: "duty", Type: "webhook", URL: rcv.URL + "/duty"},
		{Name: "pm", Type: "webhook", URL: rcv.URL + "/pm"},
	}
	cfg.Tickets.Routes = map[string][]string{"engineer": {"duty"}, "project_manager": {"pm"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC) // Monday 09:00 in Shanghai
	clk := clockwork.NewFakeClockAt(t0)

	_, base := startServeWith(t, Options{Config: cfg, Logger: discard(), Clock: clk})

	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/tickets",
		strings.NewReader(`{"title":"核心交换机宕机","level":"I","device":"core-sw-01","site":"城关机房","channel":"phone"}`))
	req.Header.Set("Authorization", "Bearer wire-tickets-engineer")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create ticket: HTTP %d", resp.StatusCode)
	}

	// wait returns the next notice; the timeout only turns a hang into a failure.
	wait := func(what string) notice {
		t.Helper()
		select {
		case n := <-got:
			return n
		case <-time.After(30 * time.Second):
			t.Fatalf("no notice: %s", what)
			return notice{}
		}
	}

	// A level I ticket tells the engineer on duty and the project manager at
	// once: opening it wakes the escalator, before the clock moves.
	var opened []string
	for range 2 {
		n := wait("new-ticket notice")
		opened = append(opened, n.path+" "+string(n.p.Event))
	}
	slices.Sort(opened)
	if !slices.Equal(opened, []string{"/duty new", "/pm new"}) {
		t.Fatalf("new-ticket notices %q, want /duty new and /pm new", opened)
	}

	// Past the warning point. Whether the escalator's first pass runs after
	// this (and finds the step due) or its ticker, created at t0, fires now,
	// exactly one pass sees the step.
	clk.Advance(24*time.Minute + time.Second)
	first := wait("respond warning")
	if first.path != "/duty" || first.p.Event != notify.EventWarning || !strings.Contains(first.p.Title, "【时限预警】") {
		t.Fatalf("first notice %s %s %q, want the warning on /duty", first.path, first.p.Event, first.p.Title)
	}

	// Past the deadline: the breach goes to the project manager. Notices
	// are sent in due order within a pass, so a repeated warning would
	// arrive before this one.
	clk.Advance(6 * time.Minute)
	second := wait("respond breach")
	if second.path != "/pm" || second.p.Event != notify.EventBreach || !strings.Contains(second.p.Title, "【超时】") {
		t.Fatalf("second notice %s %s %q, want the breach on /pm", second.path, second.p.Event, second.p.Title)
	}
	select {
	case n := <-got:
		t.Fatalf("unexpected notice %s %s %q", n.path, n.p.Event, n.p.Title)
	default:
	}

	// Both attempts are on the ticket's history. The escalator records an
	// attempt after the receiver answered, so look until it is there.
	notices := func() []string {
		code, body := getWithToken(t, base+"/api/v1/tickets/1", "wire-tickets-engineer")
		if code != http.StatusOK {
			t.Fatalf("GET ticket: HTTP %d: %s", code, body)
		}
		var tk struct {
			Events []struct {
				Kind string `json:"kind"`
				Note string `json:"note"`
			} `json:"events"`
		}
		if err := json.Unmarshal([]byte(body), &tk); err != nil {
			t.Fatal(err)
		}
		var notes []string
		for _, e := range tk.Events {
			if e.Kind == "notice" {
				notes = append(notes, e.Note)
			}
		}
		return notes
	}
	notes := notices()
	for give := time.Now().Add(30 * time.Second); len(notes) < 4 && time.Now().Before(give); notes = notices() {
		time.Sleep(20 * time.Millisecond)
	}
	if len(notes) != 4 || !strings.Contains(notes[2], "响应 warn → 驻场工程师 经 duty 第1次 成功") ||
		!strings.Contains(notes[3], "响应 breach → 项目经理 经 pm 第1次 成功") {
		t.Errorf("notice events %q, want two new-ticket notices, the warning via duty and the breach via pm", notes)
	}
}
