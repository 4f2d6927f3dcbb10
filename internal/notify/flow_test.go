package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/sla"
)

// TestAlertToEscalationNotices runs the whole chain this area provides, as the
// ticket store will: classify an alert, pick the contract's timers, compute the
// escalation steps due from stored timestamps, and send one notice per step
// (deduplicated by Step.Key across a "restart") to a webhook receiver.
func TestAlertToEscalationNotices(t *testing.T) {
	t.Parallel()
	rules, err := classify.Load("../../rules/fault-levels.yml")
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := sla.Config{Profile: "seed001", Dir: "../../rules/sla", Holidays: "../../rules/calendars/cn-holidays.yml"}.Load()
	if err != nil {
		t.Fatal(err)
	}
	loc := loaded.Location
	res := rules.Classify(map[string]string{"alertname": "UPSOnBattery", "class": "ups", "site": "county", "device": "ups-1"})
	if res.Level != classify.LevelI || res.Category != classify.CategoryRoomInfra {
		t.Fatalf("classified %+v", res)
	}
	// Seed 001 line 59: an urgent fault unresolved 2 h after opening goes up
	// the chain (the escalation timer; the plan timer only tells the handler).
	plan, ok := loaded.Active.Timer(sla.Escalation, res.Level, res.Category)
	if !ok {
		t.Fatal("no escalation timer")
	}

	var mu sync.Mutex
	var got []WebhookPayload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p WebhookPayload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	}))
	defer srv.Close()

	opened := time.Date(2026, 2, 13, 17, 0, 0, 0, loc)
	sent := map[string]bool{} // what the ticket store would persist
	var attempts []Attempt
	// tick is one scheduler pass after a (re)start: a fresh Notifier, steps from
	// the stored opening time only.
	tick := func(now time.Time) {
		rec := &recorder{}
		n := newNotifier(t, rec, nil, ChannelConfig{Name: "hook", Type: "webhook", URL: srv.URL})
		for _, step := range loaded.Active.Steps(plan, opened, nil, now) {
			if sent[step.Key()] {
				continue
			}
			st := loaded.Active.Evaluate(plan, opened, nil, now)
			ev := map[sla.StepKind]Event{sla.StepWarn: EventWarning, sla.StepBreach: EventBreach, sla.StepEscalate: EventEscalate}[step.Kind]
			d := Data{TicketID: "T1", Title: "UPS-1 市电中断", Level: res.Level.Label(), Category: res.Category.Chinese(),
				Timer: plan.Kind.Chinese(), Deadline: st.Deadline, Remaining: st.Remaining, BreachedBy: st.BreachedBy,
				Role: step.Role.Chinese(), OpenedAt: opened, Location: loc}
			if err := n.Notify(context.Background(), ev, d, nil, rec.report); err != nil {
				t.Fatal(err)
			}
			sent[step.Key()] = true
		}
		attempts = append(attempts, rec.attempts...)
	}
	tick(time.Date(2026, 2, 13, 18, 40, 0, 0, loc)) // nothing due (no warning point)
	tick(time.Date(2026, 2, 13, 20, 15, 0, 0, loc)) // breach 19:00 (PM), TD 20:00 due
	tick(time.Date(2026, 2, 13, 20, 16, 0, 0, loc)) // restart: nothing new

	want := []string{
		"【超时】T1 未解决升级已超时 1小时15分钟",
		"【升级】T1 未解决升级超时 1小时15分钟，上报技术总监",
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("got %d notices: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].Title != w {
			t.Errorf("notice %d = %q, want %q", i, got[i].Title, w)
		}
	}
	if got[0].Data.Role != "项目经理" || got[1].Data.Role != "技术总监" {
		t.Errorf("roles = %q, %q", got[0].Data.Role, got[1].Data.Role)
	}
	if len(attempts) != 2 {
		t.Errorf("attempts = %+v", attempts)
	}
}
