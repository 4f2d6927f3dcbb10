package tickets_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/silence"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// silenceEnv is a ticket service whose Silencer is a real silence.Set on the
// service's fake clock.
func silenceEnv(t *testing.T, edit func(*tickets.Options)) (*ticketstest.Env, *silence.Set) {
	t.Helper()
	var set *silence.Set
	env := ticketstest.New(t, func(o *tickets.Options) {
		st, err := silence.OpenStore(context.Background(), filepath.Join(t.TempDir(), "silences.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		set, err = silence.NewSet(context.Background(), silence.Options{Store: st, Clock: o.Clock})
		if err != nil {
			t.Fatal(err)
		}
		o.Silencer = set
		if edit != nil {
			edit(o)
		}
	})
	return env, set
}

func addSilence(t *testing.T, set *silence.Set, start, end time.Time, matchers ...string) string {
	t.Helper()
	ms, err := silence.ParseMatchers(matchers)
	if err != nil {
		t.Fatal(err)
	}
	id, err := set.Put(context.Background(), silence.Silence{Matchers: ms, StartsAt: start, EndsAt: end,
		CreatedBy: "li.gong", Comment: "交换机固件升级 firmware upgrade"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSilencedAlertOpensNoTicketUntilTheWindowEnds(t *testing.T) {
	t.Parallel()
	inv := devs{"ups1": {"hq", "ups", ""}, "sw1": {"hq", "switch", ""}}
	tests := []struct {
		name     string
		matchers []string
	}{
		{"device", []string{`device="ups1"`}},
		{"class from the inventory", []string{`class="ups"`}},
		{"site and alertname regex", []string{`site="hq"`, `alertname=~"UPS.*"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, set := silenceEnv(t, func(o *tickets.Options) { o.Devices = inv })
			now := env.Clock.Now()
			addSilence(t, set, now, now.Add(2*time.Hour), tc.matchers...)
			ups := firing("ups1", "UPSOnBattery", now)
			if r := ingest(t, env, ups); r.Silenced != 1 || r.Opened != 0 {
				t.Fatalf("in the window: %+v", r)
			}
			// An alert the window does not cover opens its ticket as usual.
			if r := ingest(t, env, firing("sw1", "PortDown", now)); r.Opened != 1 {
				t.Fatalf("uncovered alert: %+v", r)
			}
			env.Clock.Advance(time.Hour)
			if r := ingest(t, env, ups); r.Silenced != 1 || len(all(t, env)) != 1 {
				t.Fatalf("resend in the window: %+v, %d tickets", r, len(all(t, env)))
			}
			// The window ends with the UPS still on battery: the next copy opens the ticket.
			env.Clock.Advance(time.Hour + time.Minute)
			r := ingest(t, env, ups)
			if r.Opened != 1 || r.Silenced != 0 {
				t.Fatalf("after the window: %+v", r)
			}
			tk, err := env.Service.Get(context.Background(), r.Tickets[0])
			if err != nil {
				t.Fatal(err)
			}
			if tk.Device != "ups1" || tk.State != tickets.StateOpen {
				t.Fatalf("ticket after the window: %+v", tk)
			}
		})
	}
}

func TestSilencedAlertResolvedInTheWindowLeavesNoTicket(t *testing.T) {
	t.Parallel()
	env, set := silenceEnv(t, nil)
	now := env.Clock.Now()
	addSilence(t, set, now, now.Add(time.Hour), `device="sw1"`)
	a := firing("sw1", "NetworkDeviceDown", now)
	ingest(t, env, a)
	env.Clock.Advance(10 * time.Minute)
	if r := ingest(t, env, resolved(a, env.Clock.Now())); r.Opened+r.Recovered != 0 {
		t.Fatalf("resolve in the window: %+v", r)
	}
	env.Clock.Advance(2 * time.Hour)
	ingest(t, env, a) // a late replay of the same incident
	if n := len(all(t, env)); n != 0 {
		t.Fatalf("%d tickets for an incident that began and ended in the window", n)
	}
}

func TestWindowOverAnOpenTicket(t *testing.T) {
	t.Parallel()
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	env, set := silenceEnv(t, nil)
	ctx := context.Background()
	n, err := notify.New(notify.Config{Channels: []notify.ChannelConfig{{Name: "duty", Type: "webhook", URL: srv.URL + "/duty"}}},
		notify.Options{Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	esc, err := env.Service.Escalator(tickets.EscalationOptions{Notifier: n})
	if err != nil {
		t.Fatal(err)
	}
	now := env.Clock.Now()
	r := ingest(t, env, firing("prn1", "PrinterOffline", now, "severity", "info")) // level IV: respond in 30 min, warn at 24
	id := r.Tickets[0]
	sid := addSilence(t, set, now.Add(time.Minute), now.Add(3*time.Hour), `device="prn1"`)
	w := func() tickets.Window {
		s, err := set.Get(sid)
		if err != nil {
			t.Fatal(err)
		}
		return tickets.Window{ID: s.ID, CreatedBy: s.CreatedBy, Comment: s.Comment, StartsAt: s.StartsAt, EndsAt: s.EndsAt,
			Matches: func(ls map[string]string) bool { return s.Matches(ls, s.StartsAt) }}
	}
	env.Clock.Advance(time.Minute)
	for range 2 { // marked once, however often asked
		if _, err := env.Service.MarkSilenced(ctx, w()); err != nil {
			t.Fatal(err)
		}
	}
	// The resend of its alert keeps it on its ticket.
	if r := ingest(t, env, firing("prn1", "PrinterOffline", now, "severity", "info")); r.Updated != 1 || r.Tickets[0] != id {
		t.Fatalf("resend in the window: %+v", r)
	}
	env.Clock.Advance(30 * time.Minute) // past the warning point and the deadline
	if err := esc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := rcv.snapshot(); len(got) != 0 {
		t.Fatalf("%d notices in the window, want none", len(got))
	}
	if err := set.Expire(ctx, sid); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.MarkSilenceEnded(ctx, w()); err != nil {
		t.Fatal(err)
	}
	if err := esc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := rcv.snapshot(); len(got) == 0 {
		t.Fatal("no notice after the window ended")
	}
	tk, err := env.Service.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range tk.Events {
		kinds[e.Kind]++
	}
	if kinds[tickets.EventSilenced] != 1 || kinds[tickets.EventSilenceEnds] != 1 || !tk.State.Active() {
		t.Fatalf("events %v, state %s", kinds, tk.State)
	}
}
