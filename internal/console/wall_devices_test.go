package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// TestWallDevicePart: the wall's device counts (from the probes' samples)
// are computed apart from its tickets: a ticket change shows at once while
// the counts are kept up to 10 s (wallDevicesTTL), then read again.
func TestWallDevicePart(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(store.Options{Dir: filepath.Join(t.TempDir(), "tsdb")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var acc *accounts.Store
	e0 := ticketstest.New(t, nil)
	e := newDeskEnvOn(t, e0, func(o *console.Options) {
		acc = o.Accounts.(*accounts.Store)
		o.Sources.Tokens = acc
		o.Sources.Metrics = st.PromQL()
		o.Sources.Tickets = e0.Service
		o.Sources.Inventory = &inventory.Inventory{
			Sites: []inventory.Site{{Name: "central"}},
			Devices: []inventory.Device{
				{Name: "srv1", Class: inventory.ClassServer, Site: "central"},
				{Name: "srv2", Class: inventory.ClassServer, Site: "central"},
			}}
	})
	_, kiosk, err := acc.IssueToken(ctx, "大屏", accounts.TokenKiosk, auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	clk := e.tk.Clock
	sample := func(device string, up float64) {
		t.Helper()
		app := st.Appender(ctx)
		ls := labels.FromStrings("__name__", "roomwatch_probe_up", "device", device, "probe", "icmp")
		if _, err := app.Append(0, ls, clk.Now().UnixMilli(), up); err != nil {
			t.Fatal(err)
		}
		if err := app.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	row := regexp.MustCompile(`(?s)<table class="wt" id="wall-classes">.*?<tbody>\s*<tr><td>[^<]*</td><td class="ok">(\d+)</td><td class="[a-z]*">(\d+)</td><td>(\d+)</td></tr>`)
	// panel returns the servers' up/down/unknown counts and the panel.
	panel := func() (string, string) {
		t.Helper()
		resp, err := http.Get(e.srv.URL + "/wall/panel?k=" + url.QueryEscape(kiosk))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := row.FindStringSubmatch(string(b))
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("panel: %d, no class counts in\n%s", resp.StatusCode, b)
		}
		return m[1] + "/" + m[2] + "/" + m[3], string(b)
	}

	sample("srv1", 1)
	if got, _ := panel(); got != "1/0/1" {
		t.Fatalf("servers up/down/unknown %s, want 1/0/1", got)
	}
	sample("srv2", 0)
	clk.Advance(3 * time.Second) // past wallTTL, within wallDevicesTTL
	e.create(t, tickets.Manual{Title: "机房空调告警", Level: 2})
	got, body := panel()
	if !strings.Contains(body, "机房空调告警") {
		t.Error("the new ticket is not on the wall")
	}
	if got != "1/0/1" {
		t.Errorf("servers %s 3 s after the last count, want the kept 1/0/1", got)
	}
	clk.Advance(7 * time.Second)
	if got, _ := panel(); got != "1/1/0" {
		t.Errorf("servers %s 10 s after the last count, want 1/1/0", got)
	}
}

// TestWallWithoutAvailability: before any probe sample today the wall shows
// no availability and says so, instead of "every device reachable today".
func TestWallWithoutAvailability(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(store.Options{Dir: filepath.Join(t.TempDir(), "tsdb")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var acc *accounts.Store
	e0 := ticketstest.New(t, nil)
	e := newDeskEnvOn(t, e0, func(o *console.Options) {
		acc = o.Accounts.(*accounts.Store)
		o.Sources.Tokens = acc
		o.Sources.Metrics = st.PromQL()
		o.Sources.Inventory = &inventory.Inventory{Sites: []inventory.Site{{Name: "central"}},
			Devices: []inventory.Device{{Name: "srv1", Class: inventory.ClassServer, Site: "central"}}}
	})
	_, kiosk, err := acc.IssueToken(ctx, "大屏", accounts.TokenKiosk, auth.RoleViewer, "test")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(e.srv.URL + "/wall/panel?k=" + url.QueryEscape(kiosk))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="wall-avail">—<`) ||
		!strings.Contains(body, "今日尚无可用率数据") || strings.Contains(body, "今日所有设备均可达") {
		t.Errorf("wall panel without availability data (%d):\n%s", resp.StatusCode, body)
	}
}
