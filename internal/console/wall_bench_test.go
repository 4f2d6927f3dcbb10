package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// BenchmarkEstatePages: what the pages over the whole estate cost (5,000
// devices, each with a probe's state and last run in a real TSDB): the
// devices list an admin opens, and the wall's panel when its data must be
// computed again (the fake clock moved past its TTLs before each read).
// Run: go test -run '^$' -bench EstatePages -benchmem ./internal/console/
func BenchmarkEstatePages(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(store.Options{Dir: filepath.Join(b.TempDir(), "tsdb")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	tk := ticketstest.New(b, nil)
	classes := []inventory.Class{inventory.ClassCamera, inventory.ClassServer, inventory.ClassSwitch}
	inv := &inventory.Inventory{Sites: []inventory.Site{{Name: "central", DisplayName: "情指中心机房"}, {Name: "east"}}}
	app := st.Appender(ctx)
	now := tk.Clock.Now()
	for i := range benchDevices {
		name := fmt.Sprintf("dev%d", i)
		site := "central"
		if i%2 == 0 {
			site = "east"
		}
		inv.Devices = append(inv.Devices, inventory.Device{Name: name, Class: classes[i%len(classes)], Site: site,
			Address: fmt.Sprintf("127.0.%d.%d", i/250, i%250+1)})
		for _, s := range []struct {
			metric string
			v      float64
		}{{"roomwatch_probe_up", float64(i % 7 % 2)}} { // the last check is this sample's time
			if _, err := app.Append(0, labels.FromStrings("__name__", s.metric, "device", name, "probe", "tcp"), now.UnixMilli(), s.v); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		b.Fatal(err)
	}
	var acc *accounts.Store
	e := newDeskEnvOn(b, tk, func(o *console.Options) {
		acc = o.Accounts.(*accounts.Store)
		o.Sources = console.Sources{Tokens: acc, Users: acc, Metrics: st.PromQL(), Tickets: tk.Service, Inventory: inv}
	})
	_, kiosk, err := acc.IssueToken(ctx, "大屏", accounts.TokenKiosk, auth.RoleViewer, "test")
	if err != nil {
		b.Fatal(err)
	}
	admin := e.user(b, "admin", auth.RoleAdmin)
	read := func(c *http.Client, u string) {
		resp, err := c.Get(e.srv.URL + u)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d", u, resp.StatusCode)
		}
	}
	b.Run("devices", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			read(admin, "/devices")
		}
	})
	b.Run("wall panel computed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tk.Clock.Advance(11 * time.Second)
			read(http.DefaultClient, "/wall/panel?k="+url.QueryEscape(kiosk))
		}
	})
	b.Run("wall panel shared", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			read(http.DefaultClient, "/wall/panel?k="+url.QueryEscape(kiosk))
		}
	})
}
