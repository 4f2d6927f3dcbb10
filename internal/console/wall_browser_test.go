package console_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/console/browsertest"
	"github.com/roomwatch/roomwatch/internal/tickets"
)

// TestBrowserWallReconnects: with one stream slot, a second wall display is
// refused (503) and keeps trying; once the first display leaves, it gets the
// stream and shows the next ticket change at once, without a reload.
func TestBrowserWallReconnects(t *testing.T) {
	var store *accounts.Store
	e := newDeskEnvWith(t, func(o *console.Options) {
		store = o.Accounts.(*accounts.Store)
		o.Sources.Tokens = store
		o.Sources.Tickets = o.Tickets.(console.TicketLister)
		o.MaxStreams = 1
	})
	_, kiosk, err := store.IssueToken(context.Background(), "大屏", accounts.TokenKiosk, auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	wallURL := e.srv.URL + "/wall?k=" + url.QueryEscape(kiosk)
	wait := func(b *browsertest.Browser, cond string, d time.Duration) error {
		_, err := chromedp.Run(b.Ctx(), chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(20*time.Millisecond)))
		return err
	}
	const live = `document.getElementById("wall").dataset.live === "on"`

	first := chrome.New(t, browsertest.Options{Width: 1920, Height: 1080})
	first.Navigate(wallURL)
	if err := wait(first, live, 10*time.Second); err != nil {
		t.Fatalf("first wall: no stream: %v (%v)", err, first.Problems())
	}
	second := chrome.New(t, browsertest.Options{Width: 1920, Height: 1080})
	second.Allow(503)
	second.Navigate(wallURL)
	time.Sleep(1500 * time.Millisecond)
	if browsertest.Eval[bool](second, live) {
		t.Fatal("the second wall has a stream beyond the bound")
	}
	browsertest.Eval[bool](second, `window.__rwNoReload = true`)
	first.Navigate("about:blank") // the first display leaves: its stream ends
	if err := wait(second, live, 15*time.Second); err != nil {
		t.Fatalf("the second wall did not reconnect once a slot was free: %v (%v)", err, second.Problems())
	}
	posted := time.Now()
	tk := e.create(t, tickets.Manual{Title: "重连后的工单", Level: 1, Device: "sw9"})
	if err := wait(second, `document.querySelector('#wall-tickets tr[data-id="`+itoa(tk.ID)+`"]') !== null`, 2*time.Second); err != nil {
		t.Fatalf("ticket not on the reconnected wall within 2 s: %v (%v)", err, second.Problems())
	}
	t.Logf("ticket on the reconnected wall %v after it was created", time.Since(posted).Round(time.Millisecond))
	if !browsertest.Eval[bool](second, `window.__rwNoReload === true`) {
		t.Error("the wall was reloaded")
	}
	second.Check()
	first.Check()
}
