package console_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/roomwatch/roomwatch/internal/accounts"
	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/auth"
	"github.com/roomwatch/roomwatch/internal/console"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// Bench scale: the county (5,000 devices, 1,000 open tickets and
// 30 days of tickets).
const (
	benchDevices   = 5000
	benchOpen      = 1000
	benchDays      = 30
	benchClosedDay = 200
)

type mapDevices map[string][2]string

func (m mapDevices) Device(name string) (string, string, string, bool) {
	d, ok := m[name]
	return d[0], d[1], "", ok
}

// benchConsole fills a ticket database (30 days of closed tickets, then
// 1,000 open ones from alerts, a fifth of them devices down) and returns the
// console and a session cookie of a duty operator.
func benchConsole(b *testing.B) (*console.Console, *http.Cookie, *ticketstest.Env) {
	b.Helper()
	ctx := context.Background()
	tk := ticketstest.New(b, nil)
	classes := []string{"camera", "nvr", "switch", "server", "ups", "checkpoint"}
	devs := mapDevices{}
	for i := range benchDevices {
		devs[fmt.Sprintf("dev-%04d", i)] = [2]string{fmt.Sprintf("站点%02d", i%30), classes[i%len(classes)]}
	}
	start := time.Now()
	tk.Clock.Advance(-time.Duration(benchDays) * 24 * time.Hour)
	for range benchDays {
		var wg sync.WaitGroup
		errs := make(chan error, benchClosedDay)
		for i := range benchClosedDay {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t, err := tk.Service.Create(ctx, tickets.Manual{Title: fmt.Sprintf("历史故障 %d", i), Level: tickets.Level(i%4 + 1),
					Device: fmt.Sprintf("dev-%04d", i*7%benchDevices), Site: fmt.Sprintf("站点%02d", i%30), Actor: "bench"})
				if err == nil {
					_, err = tk.Service.Do(ctx, t.ID, tickets.ActionRequest{Action: tickets.ActionResolve, Actor: "bench", Cause: "c", Fix: "f"})
				}
				if err == nil {
					_, err = tk.Service.Do(ctx, t.ID, tickets.ActionRequest{Action: tickets.ActionClose, Actor: "bench"})
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		tk.Clock.Advance(24 * time.Hour)
	}
	for i := 0; i < benchOpen; i += 100 {
		var as []alert.Alert
		for j := i; j < i+100; j++ {
			name := "HighCPU"
			if j%5 == 0 {
				name = "HostDown"
			}
			dev := fmt.Sprintf("dev-%04d", j*3%benchDevices)
			as = append(as, alert.Alert{Labels: map[string]string{"alertname": name, "device": dev, "site": devs[dev][0], "class": devs[dev][1]},
				StartsAt: tk.Clock.Now().Add(-time.Minute), Source: alert.SourceWebhook})
		}
		if _, err := tk.Service.Ingest(ctx, as); err != nil {
			b.Fatal(err)
		}
		tk.Clock.Advance(time.Minute)
	}
	b.Logf("filled %d closed and %d open tickets in %v", benchDays*benchClosedDay, benchOpen, time.Since(start).Round(time.Millisecond))
	st, err := accounts.Open(ctx, accounts.Options{Path: filepath.Join(b.TempDir(), accounts.FileName), Clock: tk.Clock, BcryptCost: bcrypt.MinCost, Audit: &memAudit{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Add(ctx, accounts.NewUser{Name: "duty", Role: auth.RoleViewer, Password: initialPW}, "bench"); err != nil {
		b.Fatal(err)
	}
	if _, err := st.ChangePassword(ctx, "duty", initialPW, "Changed-Pass-2024", ""); err != nil {
		b.Fatal(err)
	}
	sess, err := st.Login(ctx, "duty", "Changed-Pass-2024", "")
	if err != nil {
		b.Fatal(err)
	}
	c, err := console.New(console.Options{Accounts: st, Clock: tk.Clock, Logger: slog.New(slog.DiscardHandler),
		Tickets: tk.Service, People: st, Devices: devs})
	if err != nil {
		b.Fatal(err)
	}
	return c, &http.Cookie{Name: console.SessionCookie, Value: sess.Token}, tk
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDeskPages measures the server time of each page (the handler, from
// request to the last byte written) and reports p50 and p95, and the
// process's CPU time per request (less disturbed by other jobs' load). The
// desk page "/" renders every time, from the ticket service's list cache
// while no ticket changes (tickets/listcache.go); "/ after a change" adds a
// note to a ticket before each request (outside the timing), so every
// request reads the 1,000 open tickets from SQLite again. The panel
// (/desk/panel) is shared per change (desk_cache.go), measured by fanout-50.
func BenchmarkDeskPages(b *testing.B) {
	c, ck, tk := benchConsole(b)
	open, err := tk.Service.List(context.Background(), tickets.Filter{States: []tickets.State{tickets.StateOpen}, Limit: 1})
	if err != nil || len(open) == 0 {
		b.Fatalf("no open ticket to change: %v", err)
	}
	for _, path := range []string{"/", "/ after a change", "/tickets", "/tickets?state=active&level=1", "/tickets?page=20"} {
		target, change := path, false
		if path == "/ after a change" {
			target, change = "/", true
		}
		b.Run(path, func(b *testing.B) {
			var times []time.Duration
			var size int
			var cpuChange time.Duration
			cpu0 := cpuTime(b)
			for b.Loop() {
				if change {
					c0 := cpuTime(b)
					if _, err := tk.Service.Do(context.Background(), open[0].ID, tickets.ActionRequest{Action: tickets.ActionNote, Actor: "bench", Note: "n"}); err != nil {
						b.Fatal(err)
					}
					cpuChange += cpuTime(b) - c0
				}
				req := httptest.NewRequest(http.MethodGet, target, nil)
				req.AddCookie(ck)
				rec := httptest.NewRecorder()
				t0 := time.Now()
				c.ServeHTTP(rec, req)
				times = append(times, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: HTTP %d", path, rec.Code)
				}
				size = rec.Body.Len()
			}
			cpu := cpuTime(b) - cpu0 - cpuChange
			slices.Sort(times)
			q := func(p float64) float64 { return float64(times[int(p*float64(len(times)-1))]) / 1e6 }
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.95), "p95-ms")
			b.ReportMetric(float64(size), "bytes")
			b.ReportMetric(float64(cpu)/1e6/float64(len(times)), "cpu-ms/op")
		})
	}
	b.Run("fanout-50", func(b *testing.B) { benchFanout(b, c, ck, tk, 50) })
}

// benchFanout connects n desks to the event stream over loopback HTTP; each
// change makes every desk fetch its panel, as desk.js does. It reports the
// time from a ticket's creation until the last desk has its new panel.
func benchFanout(b *testing.B, c *console.Console, ck *http.Cookie, tk *ticketstest.Env, n int) {
	srv := httptest.NewServer(c)
	defer srv.Close()
	defer c.StopStreams()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan time.Time, n)
	var ready sync.WaitGroup
	for range n {
		ready.Add(1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/desk/events", nil)
			req.AddCookie(ck)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				ready.Done()
				return
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() && sc.Text() != "" { // the opening comment: subscribed
			}
			ready.Done()
			for sc.Scan() {
				if !strings.HasPrefix(sc.Text(), "data:") {
					continue
				}
				preq, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/desk/panel", nil)
				preq.AddCookie(ck)
				presp, err := http.DefaultClient.Do(preq)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, presp.Body)
				presp.Body.Close()
				got <- time.Now()
			}
		}()
	}
	ready.Wait()
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := tk.Service.Create(ctx, tickets.Manual{Title: "fan-out", Level: 1, Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
		var last time.Time
		for range n {
			select {
			case at := <-got:
				last = at
			case <-time.After(30 * time.Second):
				b.Fatal("a desk got no update within 30 s")
			}
		}
		lat = append(lat, last.Sub(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-last-desk-ms")
	b.ReportMetric(float64(lat[int(0.95*float64(len(lat)-1))])/1e6, "p95-last-desk-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-last-desk-ms")
}
