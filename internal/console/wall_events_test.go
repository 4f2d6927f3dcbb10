package console_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// openStream GETs an event stream and reads its opening comment.
func openStream(t *testing.T, c *http.Client, u string) (*http.Response, *bufio.Scanner, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := c.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	if resp.StatusCode == http.StatusOK {
		for sc.Scan() && sc.Text() != "" { // the subscription exists once the first comment arrived
		}
	}
	return resp, sc, func() { cancel(); resp.Body.Close() }
}

// TestWallEvents: the wall's event stream is read with a kiosk token only
// (or a session), announces a ticket change without the ticket's id, and
// ends at the next ping once the token is revoked.
func TestWallEvents(t *testing.T) {
	var store *accounts.Store
	e := newDeskEnvWith(t, func(o *console.Options) {
		store = o.Accounts.(*accounts.Store)
		o.Sources.Tokens = store
	})
	ctx := context.Background()
	_, kiosk, err := store.IssueToken(ctx, "大屏", accounts.TokenKiosk, auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, api, err := store.IssueToken(ctx, "am", accounts.TokenAPI, auth.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"", "?k=" + url.QueryEscape(api), "?k=rwt_1_wrong"} {
		resp, err := http.Get(e.srv.URL + "/wall/events" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /wall/events%s: %d, want 401", q, resp.StatusCode)
		}
	}
	resp, sc, done := openStream(t, &http.Client{}, e.srv.URL+"/wall/events?k="+url.QueryEscape(kiosk))
	defer done()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("kiosk stream: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	e.create(t, tickets.Manual{Title: "x", Level: 1})
	var lines []string
	for sc.Scan() && sc.Text() != "" {
		lines = append(lines, sc.Text())
	}
	if strings.Join(lines, "\n") != "event: change\ndata: " {
		t.Errorf("wall event %q, want a change without the ticket's id", lines)
	}
	// Revoked: the next ping ends the stream.
	toks, _ := store.Tokens(ctx)
	for _, tk := range toks {
		if tk.Kind == accounts.TokenKiosk {
			if err := store.RevokeToken(ctx, tk.ID, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.tk.Clock.Advance(16 * time.Second)
	for sc.Scan() {
		if sc.Text() == ": ping" {
			t.Error("a ping after the kiosk token was revoked")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("the stream did not end after the token was revoked: %v", err)
	}
}

// TestEventStreamsBounded: desks and walls share MaxStreams streams; one
// more is refused with 503 and Retry-After, and a slot freed is reused.
func TestEventStreamsBounded(t *testing.T) {
	var store *accounts.Store
	e := newDeskEnvWith(t, func(o *console.Options) {
		store = o.Accounts.(*accounts.Store)
		o.Sources.Tokens = store
		o.MaxStreams = 2
	})
	_, kiosk, err := store.IssueToken(context.Background(), "大屏", accounts.TokenKiosk, auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	duty := e.user(t, "duty", auth.RoleViewer)
	duty.Timeout = 0
	wallURL := e.srv.URL + "/wall/events?k=" + url.QueryEscape(kiosk)
	r1, _, done1 := openStream(t, duty, e.srv.URL+"/desk/events")
	defer done1()
	r2, _, done2 := openStream(t, &http.Client{}, wallURL)
	r3, _, done3 := openStream(t, &http.Client{}, wallURL)
	defer done3()
	if r1.StatusCode != 200 || r2.StatusCode != 200 {
		t.Fatalf("first two streams: %d %d", r1.StatusCode, r2.StatusCode)
	}
	if r3.StatusCode != http.StatusServiceUnavailable || r3.Header.Get("Retry-After") == "" {
		t.Errorf("third stream: %d (Retry-After %q), want 503 with Retry-After", r3.StatusCode, r3.Header.Get("Retry-After"))
	}
	r4, _, done4 := openStream(t, duty, e.srv.URL+"/desk/events")
	done4()
	if r4.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a desk over the bound: %d, want 503", r4.StatusCode)
	}
	done2()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, _, d := openStream(t, &http.Client{}, wallURL)
		d()
		if r.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a freed slot was not reused: %d", r.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
