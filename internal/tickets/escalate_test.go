package tickets_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/notify"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// receiver is a loopback webhook endpoint recording notices per path.
type receiver struct {
	mu   sync.Mutex
	got  []notify.WebhookPayload
	path []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	var p notify.WebhookPayload
	if err := json.Unmarshal(b, &p); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	r.mu.Lock()
	r.got = append(r.got, p)
	r.path = append(r.path, req.URL.Path)
	r.mu.Unlock()
}

func (r *receiver) snapshot() ([]notify.WebhookPayload, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.WebhookPayload(nil), r.got...), append([]string(nil), r.path...)
}

func TestEscalationSendsOnce(t *testing.T) {
	t.Parallel()
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	env := ticketstest.New(t, nil)
	ctx := context.Background()
	n, err := notify.New(notify.Config{Channels: []notify.ChannelConfig{
		{Name: "duty", Type: "webhook", URL: srv.URL + "/duty"},
		{Name: "pm", Type: "webhook", URL: srv.URL + "/pm"},
	}}, notify.Options{Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	escOpts := tickets.EscalationOptions{Notifier: n, Routes: map[string][]string{"engineer": {"duty"}, "project_manager": {"pm"}}}
	esc, err := env.Service.Escalator(escOpts)
	if err != nil {
		t.Fatal(err)
	}
	// A level IV ticket has one timer: respond, 30 min, warning at 80 %.
	tk, err := env.Service.Create(ctx, tickets.Manual{Title: "打印机无法打印", Level: 4, Device: "prn1", Site: "hq", Actor: "duty"})
	if err != nil {
		t.Fatal(err)
	}
	pass := func() {
		t.Helper()
		if err := esc.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pass()
	if got, _ := rcv.snapshot(); len(got) != 0 {
		t.Fatalf("notices before the warning point: %v", got)
	}
	env.Clock.Advance(24 * time.Minute) // the warning point
	pass()
	pass()
	got, paths := rcv.snapshot()
	if len(got) != 1 || paths[0] != "/duty" || got[0].Event != notify.EventWarning {
		t.Fatalf("after the warning point: %d notices %v %+v", len(got), paths, got)
	}
	for _, want := range []string{"【时限预警】", "#1", "响应", "09:30"} {
		if !strings.Contains(got[0].Title, want) {
			t.Errorf("warning title %q lacks %q", got[0].Title, want)
		}
	}
	// Restart: a new escalator on the same store sends nothing again.
	env.Clock.Advance(7 * time.Minute) // past the deadline: breach → project manager
	esc2, err := env.Service.Escalator(escOpts)
	if err != nil {
		t.Fatal(err)
	}
	if err := esc2.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	pass()
	got, paths = rcv.snapshot()
	if len(got) != 2 || paths[1] != "/pm" || got[1].Event != notify.EventBreach || !strings.Contains(got[1].Title, "【超时】") {
		t.Fatalf("after the deadline: %v %+v", paths, got)
	}
	// Each attempt is on the ticket's history.
	full, err := env.Service.Get(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	notices := 0
	for _, e := range full.Events {
		if e.Kind == tickets.EventNotice {
			notices++
		}
	}
	if notices != 2 {
		t.Errorf("%d notice events on the ticket, want 2", notices)
	}
	// Acknowledging stops the timer: no more steps even an hour later.
	if _, err := env.Service.Do(ctx, tk.ID, tickets.ActionRequest{Action: tickets.ActionAck, Actor: "zhang"}); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(3 * time.Hour)
	pass()
	if got, _ = rcv.snapshot(); len(got) != 2 {
		t.Fatalf("notices after ack: %d, want 2", len(got))
	}
}
