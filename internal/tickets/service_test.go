package tickets_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

func firing(device, name string, start time.Time, extra ...string) alert.Alert {
	l := map[string]string{"alertname": name, "device": device}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return alert.Alert{Labels: l, StartsAt: start, Annotations: map[string]string{"summary": device + " " + name}, Source: alert.SourceWebhook}
}

func resolved(a alert.Alert, end time.Time) alert.Alert {
	a.EndsAt = end
	return a
}

func all(t *testing.T, env *ticketstest.Env) []tickets.Ticket {
	t.Helper()
	ts, err := env.Service.List(context.Background(), tickets.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func ingest(t *testing.T, env *ticketstest.Env, as ...alert.Alert) tickets.IngestResult {
	t.Helper()
	r, err := env.Service.Ingest(context.Background(), as)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIngestDedupAndOrder(t *testing.T) {
	t.Parallel()
	t0 := ticketstest.Start.Add(-time.Minute)
	a := firing("sw1", "PortDown", t0, "severity", "critical")
	tests := []struct {
		name      string
		batches   [][]alert.Alert
		wantN     int
		wantState tickets.State
	}{
		{"once", [][]alert.Alert{{a}}, 1, tickets.StateOpen},
		{"repeated", [][]alert.Alert{{a}, {a}, {a, a}}, 1, tickets.StateOpen},
		{"resolved", [][]alert.Alert{{a}, {resolved(a, ticketstest.Start)}}, 1, tickets.StateRecovered},
		{"resolve then replayed firing", [][]alert.Alert{{a}, {resolved(a, ticketstest.Start)}, {a}}, 1, tickets.StateRecovered},
		{"resolved arrives first", [][]alert.Alert{{resolved(a, ticketstest.Start)}, {a}}, 0, ""},
		{"same group other labels", [][]alert.Alert{{a}, {firing("sw1", "PortDown", t0, "ifName", "ge0/1")}}, 1, tickets.StateOpen},
		{"other device", [][]alert.Alert{{a}, {firing("sw2", "PortDown", t0)}}, 2, tickets.StateOpen},
	}
	for _, tc := range tests {
		// The same outcome with and without the in-memory firing cache.
		for _, cache := range []int{0, -1} {
			t.Run(fmt.Sprintf("%s/cache=%d", tc.name, cache), func(t *testing.T) {
				t.Parallel()
				env := ticketstest.New(t, func(o *tickets.Options) { o.FiringCache = cache })
				for _, b := range tc.batches {
					ingest(t, env, b...)
				}
				ts := all(t, env)
				if len(ts) != tc.wantN {
					t.Fatalf("got %d tickets, want %d", len(ts), tc.wantN)
				}
				if tc.wantN > 0 && ts[len(ts)-1].State != tc.wantState {
					t.Errorf("state %s, want %s", ts[len(ts)-1].State, tc.wantState)
				}
			})
		}
	}
}

// countingStore counts the store transactions a service runs.
type countingStore struct {
	tickets.Store
	mu      sync.Mutex
	updates int
}

func (c *countingStore) Update(ctx context.Context, fn func(tickets.Tx) error) error {
	c.mu.Lock()
	c.updates++
	c.mu.Unlock()
	return c.Store.Update(ctx, fn)
}

func (c *countingStore) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.updates
}

// TestFiringCacheSkipsStore: a repeat of an alert known firing on its ticket
// is answered without a store transaction; any change of the alert (resolve,
// a new incident) goes to the store and refreshes what is remembered.
func TestFiringCacheSkipsStore(t *testing.T) {
	t.Parallel()
	var cs *countingStore
	env := ticketstest.New(t, func(o *tickets.Options) {
		cs = &countingStore{Store: o.Store}
		o.Store = cs
	})
	t0 := ticketstest.Start
	a := firing("srv1", "HighCPU", t0)
	steps := []struct {
		name        string
		alerts      []alert.Alert
		want        tickets.IngestResult
		wantUpdates int // store transactions so far
	}{
		{"first", []alert.Alert{a}, tickets.IngestResult{Opened: 1}, 1},
		{"repeat from memory", []alert.Alert{a}, tickets.IngestResult{Updated: 1}, 1},
		{"two repeats", []alert.Alert{a, a}, tickets.IngestResult{Updated: 2}, 1},
		{"resolve", []alert.Alert{resolved(a, t0.Add(time.Minute))}, tickets.IngestResult{Recovered: 1}, 2},
		{"replayed firing copy is stale", []alert.Alert{a}, tickets.IngestResult{Ignored: 1}, 3},
		{"new incident reopens", []alert.Alert{firing("srv1", "HighCPU", t0.Add(2*time.Minute))}, tickets.IngestResult{Reopened: 1}, 4},
		{"its repeat from memory", []alert.Alert{firing("srv1", "HighCPU", t0.Add(2*time.Minute))}, tickets.IngestResult{Updated: 1}, 4},
		// In one request a resolve then a new firing: both go to the store,
		// in order, although the firing one is remembered.
		{"resolve and recur in one request", []alert.Alert{
			resolved(firing("srv1", "HighCPU", t0.Add(2*time.Minute)), t0.Add(3*time.Minute)),
			firing("srv1", "HighCPU", t0.Add(4*time.Minute)),
		}, tickets.IngestResult{Recovered: 1, Reopened: 1}, 5},
	}
	for _, st := range steps {
		env.Clock.Advance(time.Minute)
		r := ingest(t, env, st.alerts...)
		r.Tickets = nil // TestIngestReportsTickets checks them
		if !reflect.DeepEqual(r, st.want) {
			t.Errorf("%s: result %+v, want %+v", st.name, r, st.want)
		}
		if n := cs.count(); n != st.wantUpdates {
			t.Errorf("%s: %d store transactions, want %d", st.name, n, st.wantUpdates)
		}
	}
	ts := all(t, env)
	if len(ts) != 1 || ts[0].State != tickets.StateReopened {
		t.Fatalf("%d tickets, last state %s; want 1 reopened", len(ts), ts[len(ts)-1].State)
	}
}

func TestIngestConcurrentOneTicket(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	a := firing("ups1", "UPSOnBattery", ticketstest.Start, "class", "ups")
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := env.Service.Ingest(context.Background(), []alert.Alert{a}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ts := all(t, env)
	if len(ts) != 1 {
		t.Fatalf("%d tickets, want 1", len(ts))
	}
	if ts[0].Level != classify.LevelII || ts[0].Category != classify.CategoryRoomInfra {
		t.Errorf("level %s category %s, want II room_infra", ts[0].Level, ts[0].Category)
	}
}

func TestRecurrenceReopensWithinWindow(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	t0 := ticketstest.Start
	a := firing("srv1", "HighCPU", t0)
	ingest(t, env, a)
	env.Clock.Advance(10 * time.Minute)
	ingest(t, env, resolved(a, env.Clock.Now()))
	env.Clock.Advance(time.Hour)
	again := a
	again.StartsAt = env.Clock.Now()
	if r := ingest(t, env, again); r.Reopened != 1 {
		t.Fatalf("result %+v, want one reopened", r)
	}
	ts := all(t, env)
	if len(ts) != 1 || ts[0].State != tickets.StateReopened {
		t.Fatalf("tickets %d state %s, want 1 reopened", len(ts), ts[0].State)
	}
	// Beyond the window: a new ticket.
	env.Clock.Advance(time.Minute)
	ingest(t, env, resolved(again, env.Clock.Now()))
	env.Clock.Advance(25 * time.Hour)
	third := a
	third.StartsAt = env.Clock.Now()
	if r := ingest(t, env, third); r.Opened != 1 {
		t.Fatalf("result %+v, want one opened", r)
	}
	if n := len(all(t, env)); n != 2 {
		t.Fatalf("%d tickets, want 2", n)
	}
}

type devs map[string][3]string

func (d devs) Device(name string) (string, string, string, bool) {
	v, ok := d[name]
	return v[0], v[1], v[2], ok
}

func TestParentCorrelation(t *testing.T) {
	t.Parallel()
	inv := devs{"sw-access": {"hq", "switch", ""}, "cam1": {"hq", "camera", "sw-access"}, "cam2": {"hq", "camera", "sw-access"}}
	env := ticketstest.New(t, func(o *tickets.Options) { o.Devices = inv })
	t0 := ticketstest.Start
	ingest(t, env, firing("sw-access", "NetworkDeviceDown", t0))
	r := ingest(t, env, firing("cam1", "CameraOffline", t0), firing("cam2", "CameraOffline", t0))
	if r.Attached != 2 {
		t.Fatalf("result %+v, want 2 attached", r)
	}
	ts := all(t, env)
	if len(ts) != 1 {
		t.Fatalf("%d tickets, want 1", len(ts))
	}
	full, err := env.Service.Get(context.Background(), ts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Affected) != 2 || full.Site != "hq" {
		t.Errorf("affected %v site %q", full.Affected, full.Site)
	}
	if !slices.Equal(r.Tickets, []int64{full.ID, full.ID}) {
		t.Errorf("attached alerts on tickets %v, want the parent's %d twice", r.Tickets, full.ID)
	}
	// Once the parent recovers, a child fault opens its own ticket.
	ingest(t, env, resolved(firing("sw-access", "NetworkDeviceDown", t0), t0))
	env.Clock.Advance(time.Hour)
	r = ingest(t, env, firing("cam1", "CameraOffline", env.Clock.Now()))
	if r.Opened != 1 {
		t.Fatalf("result %+v, want one opened", r)
	}
}

// TestIngestReportsTickets: Ingest says which ticket each alert is on, in
// the order given, also when a repeat is answered from the firing cache.
func TestIngestReportsTickets(t *testing.T) {
	t.Parallel()
	t0 := ticketstest.Start.Add(-time.Minute)
	a, b := firing("sw1", "PortDown", t0), firing("sw2", "PortDown", t0)
	early := resolved(firing("sw3", "PortDown", t0), ticketstest.Start)
	for _, cache := range []int{0, -1} {
		t.Run(fmt.Sprintf("cache=%d", cache), func(t *testing.T) {
			t.Parallel()
			env := ticketstest.New(t, func(o *tickets.Options) { o.FiringCache = cache })
			first := ingest(t, env, a, early, b)
			byDevice := map[string]int64{}
			for _, tk := range all(t, env) {
				byDevice[tk.Device] = tk.ID
			}
			want := []int64{byDevice["sw1"], 0, byDevice["sw2"]}
			if want[0] == 0 || want[2] == 0 || !slices.Equal(first.Tickets, want) {
				t.Fatalf("first ingest: tickets %v, want %v", first.Tickets, want)
			}
			again := ingest(t, env, b, a)
			if want := []int64{byDevice["sw2"], byDevice["sw1"]}; !slices.Equal(again.Tickets, want) {
				t.Errorf("repeat: tickets %v, want %v", again.Tickets, want)
			}
			done := ingest(t, env, resolved(a, ticketstest.Start))
			if !slices.Equal(done.Tickets, []int64{byDevice["sw1"]}) || done.Recovered != 1 {
				t.Errorf("resolve: %+v, want ticket %d recovered", done, byDevice["sw1"])
			}
		})
	}
}

func TestAutoClose(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, func(o *tickets.Options) { o.AutoClose = []tickets.Level{classify.LevelIV} })
	a := firing("p1", "TonerLow", ticketstest.Start, "severity", "info")
	ingest(t, env, a)
	ingest(t, env, resolved(a, ticketstest.Start))
	ts := all(t, env)
	if ts[0].State != tickets.StateClosed || ts[0].Level != classify.LevelIV {
		t.Fatalf("state %s level %s, want closed IV", ts[0].State, ts[0].Level)
	}
}

func TestTransitionsAndTimers(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	ctx := context.Background()
	ingest(t, env, firing("core1", "DeviceDown", ticketstest.Start, "severity", "critical"))
	id := all(t, env)[0].ID
	do := func(a tickets.Action, r tickets.ActionRequest) (*tickets.Ticket, error) {
		r.Action, r.Actor = a, "zhang"
		return env.Service.Do(ctx, id, r)
	}
	env.Clock.Advance(10 * time.Minute)
	if _, err := do(tickets.ActionAck, tickets.ActionRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := do(tickets.ActionAck, tickets.ActionRequest{}); !errors.Is(err, tickets.ErrInvalidTransition) {
		t.Fatalf("second ack: %v, want invalid transition", err)
	}
	if _, err := do(tickets.ActionClose, tickets.ActionRequest{}); !errors.Is(err, tickets.ErrInvalidTransition) {
		t.Fatalf("close before resolve: %v", err)
	}
	env.Clock.Advance(80 * time.Minute) // dispatch is late: 1h30m after opening, target 1h
	if _, err := do(tickets.ActionDispatch, tickets.ActionRequest{Assignee: "li"}); err != nil {
		t.Fatal(err)
	}
	if _, err := do(tickets.ActionOnSite, tickets.ActionRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := do(tickets.ActionResolve, tickets.ActionRequest{Cause: "电源故障"}); !errors.Is(err, tickets.ErrInvalid) {
		t.Fatalf("resolve without fix: %v", err)
	}
	if _, err := do(tickets.ActionPart, tickets.ActionRequest{Part: &tickets.Part{Part: "电源模块", Serial: "SN1", Location: "A01", Cause: "烧毁"}}); err != nil {
		t.Fatal(err)
	}
	tk, err := do(tickets.ActionResolve, tickets.ActionRequest{Cause: "电源故障", Fix: "更换电源模块"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ met, breached bool }{
		"respond": {true, false}, "dispatch": {false, true}, "onsite": {true, false}, "resolve": {true, false},
	}
	for _, v := range tk.TimerViews {
		w, ok := want[v.Name]
		if !ok {
			continue
		}
		if v.Met != w.met || v.Breached != w.breached {
			t.Errorf("timer %s: met %v breached %v, want %v %v", v.Name, v.Met, v.Breached, w.met, w.breached)
		}
		if v.Name == "dispatch" && (v.BreachedBy == nil || time.Duration(*v.BreachedBy) != 30*time.Minute) {
			t.Errorf("dispatch breached by %v, want 30m", v.BreachedBy)
		}
		if v.Deadline.Location().String() != "Asia/Shanghai" {
			t.Errorf("deadline in %s", v.Deadline.Location())
		}
	}
	if len(tk.Parts) != 1 || tk.Cause != "电源故障" || tk.State != tickets.StateResolved {
		t.Errorf("parts %v cause %q state %s", tk.Parts, tk.Cause, tk.State)
	}
	if _, err := do(tickets.ActionClose, tickets.ActionRequest{}); err != nil {
		t.Fatal(err)
	}
	tk, _ = env.Service.Get(ctx, id)
	var kinds []string
	for _, e := range tk.Events {
		kinds = append(kinds, e.Kind)
	}
	wantKinds := []string{"opened", "ack", "dispatch", "onsite", "part", "resolve", "close"}
	if len(kinds) != len(wantKinds) {
		t.Fatalf("events %v, want %v", kinds, wantKinds)
	}
	for i := range kinds {
		if kinds[i] != wantKinds[i] {
			t.Fatalf("events %v, want %v", kinds, wantKinds)
		}
	}
	// The audit log holds every event and refuses changes.
	n, err := env.Store.AuditCount(ctx)
	if err != nil || n != len(wantKinds) {
		t.Fatalf("audit count %d (%v), want %d", n, err, len(wantKinds))
	}
	db, err := sql.Open("sqlite", "file:"+env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`UPDATE audit_log SET actor = 'x'`, `DELETE FROM audit_log`, `DELETE FROM events`} {
		if _, err := db.Exec(q); err == nil {
			t.Errorf("%s succeeded on an append-only table", q)
		}
	}
}

func TestManualTicket(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	ctx := context.Background()
	tk, err := env.Service.Create(ctx, tickets.Manual{Title: "派出所视频会议终端无画面", Level: classify.LevelII, Site: "chengguan",
		Channel: "phone", Reporter: "王警官", Actor: "duty"})
	if err != nil {
		t.Fatal(err)
	}
	if tk.Source != "manual:phone" || len(tk.TimerViews) != 4 || tk.TimerViews[0].Deadline == nil {
		t.Fatalf("source %q timers %+v", tk.Source, tk.TimerViews)
	}
	if got := tk.TimerViews[0].Deadline.Sub(tk.OpenedAt); got != 30*time.Minute {
		t.Errorf("respond deadline %v after opening, want 30m", got)
	}
	for _, bad := range []tickets.Manual{{Level: 2, Actor: "a"}, {Title: "x", Actor: "a"}, {Title: "x", Level: 9, Actor: "a"}} {
		if _, err := env.Service.Create(ctx, bad); !errors.Is(err, tickets.ErrInvalid) {
			t.Errorf("%+v: %v, want invalid", bad, err)
		}
	}
}

// TestByIsItsOwnField: --by (who did the work on site) is stored on the event
// and the part beside the actor (the token's owner), not folded into the note.
func TestByIsItsOwnField(t *testing.T) {
	t.Parallel()
	env := ticketstest.New(t, nil)
	ingest(t, env, firing("ups2", "UPSOnBattery", ticketstest.Start, "class", "ups"))
	id := all(t, env)[0].ID
	ctx := context.Background()
	if _, err := env.Service.Do(ctx, id, tickets.ActionRequest{Action: tickets.ActionOnSite, Actor: "dispatcher", By: "李工", Note: "电话报到"}); err != nil {
		t.Fatal(err)
	}
	part := &tickets.Part{Part: "UPS 电池组", Serial: "BAT-0042", Location: "一号机房 A3", Cause: "电池老化"}
	tk, err := env.Service.Do(ctx, id, tickets.ActionRequest{Action: tickets.ActionPart, Actor: "dispatcher", By: "王工", Part: part})
	if err != nil {
		t.Fatal(err)
	}
	var onsite, parted *tickets.Event
	for i := range tk.Events {
		switch tk.Events[i].Kind {
		case string(tickets.ActionOnSite):
			onsite = &tk.Events[i]
		case string(tickets.ActionPart):
			parted = &tk.Events[i]
		}
	}
	if onsite == nil || onsite.Actor != "dispatcher" || onsite.By != "李工" || onsite.Note != "电话报到" {
		t.Errorf("onsite event %+v: want actor dispatcher, by 李工, note unchanged", onsite)
	}
	if parted == nil || parted.By != "王工" {
		t.Errorf("part event %+v: want by 王工", parted)
	}
	want := tickets.Part{ID: 1, Part: "UPS 电池组", Serial: "BAT-0042", Location: "一号机房 A3", Cause: "电池老化", Actor: "dispatcher", By: "王工"}
	if len(tk.Parts) != 1 {
		t.Fatalf("parts %+v, want one", tk.Parts)
	}
	got := tk.Parts[0]
	got.At = time.Time{}
	if got != want {
		t.Errorf("part %+v, want %+v", got, want)
	}
}
