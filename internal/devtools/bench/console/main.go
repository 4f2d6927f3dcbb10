// Command console measures what the web console adds to a running
// roomwatch-collector. With -rss-only it samples the collector's RSS for
// -idle plus -duration (the control: the same collector with
// console.enabled false, under the same probe load). Otherwise it samples
// the RSS the same way while, after the idle part, an admin browses every
// page, -walls wall displays and -desks duty desks hold their event
// streams (GET /wall/events, /desk/events) and re-read their panel on each
// change as wall.js and desk.js do (and the walls every -every), and
// -changes alerts posted to the webhook each open a ticket: the update
// latency is the time from the post to a display holding a panel that
// shows the new ticket. deploy/dev/bench-console.sh starts the collector
// (twice) and runs this.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type opts struct {
	base             string
	pid              int
	user, initial    string
	pw               string
	walls, desks     int
	changes          int
	gap, dur, idle   time.Duration
	every            time.Duration
	rssOnly          bool
	sampleEvery      time.Duration
	changeWait       time.Duration
	panelClientLimit time.Duration
}

func main() {
	var o opts
	flag.StringVar(&o.base, "url", "", "the collector, http://host:port")
	flag.IntVar(&o.pid, "pid", 0, "the collector's process id (for its RSS)")
	flag.StringVar(&o.user, "user", "admin", "an admin account")
	flag.StringVar(&o.initial, "initial", "", "its initial password (changed to -password first)")
	flag.StringVar(&o.pw, "password", "", "its password")
	flag.IntVar(&o.walls, "walls", 50, "wall displays at once")
	flag.IntVar(&o.desks, "desks", 10, "duty desks at once")
	flag.IntVar(&o.changes, "changes", 10, "ticket changes (alerts posted to the webhook), one every -gap")
	flag.DurationVar(&o.gap, "gap", 5*time.Second, "time between ticket changes")
	flag.DurationVar(&o.dur, "duration", 60*time.Second, "how long the displays run (at least changes × gap)")
	flag.DurationVar(&o.every, "every", 20*time.Second, "each wall's refresh without a change (the console's WallRefresh)")
	flag.DurationVar(&o.idle, "idle", 60*time.Second, "first watch the RSS this long without console requests (the control)")
	flag.BoolVar(&o.rssOnly, "rss-only", false, "only sample the RSS for -idle + -duration (a collector without console)")
	flag.Parse()
	o.sampleEvery, o.changeWait, o.panelClientLimit = 500*time.Millisecond, 10*time.Second, 30*time.Second
	if o.base == "" || o.pid == 0 {
		log.Fatal("need -url and -pid")
	}
	idle := sampleRSS(o.pid, o.idle, o.sampleEvery)
	fmt.Printf("RSS, %v without console requests: start %.1f MB, mean %.1f MB, peak %.1f MB, end %.1f MB\n",
		o.idle, mb(idle.first), mb(idle.mean()), mb(idle.peak), mb(idle.last))
	if o.rssOnly {
		load := sampleRSS(o.pid, o.dur, o.sampleEvery)
		fmt.Printf("RSS, the next %v (same probe load, no console): mean %.1f MB, peak %.1f MB, end %.1f MB\n",
			o.dur, mb(load.mean()), mb(load.peak), mb(load.last))
		fmt.Printf("SUMMARY console=off idle_mean_mb=%.1f load_mean_mb=%.1f load_peak_mb=%.1f\n", mb(idle.mean()), mb(load.mean()), mb(load.peak))
		return
	}
	run(o, idle)
}

func run(o opts, idle *rssSamples) {
	admin, kiosk := login(o)
	pages := []string{"/", "/tickets", "/inspections", "/reports", "/devices", "/maintenance", "/admin", "/wall"}
	var pageTimes []time.Duration
	for i := 0; i < 5; i++ {
		for _, p := range pages {
			t0 := time.Now()
			get(admin, o.base+p)
			pageTimes = append(pageTimes, time.Since(t0))
		}
	}
	fmt.Printf("pages %v: %d requests, p50 %v, p95 %v, max %v\n", pages, len(pageTimes), pct(pageTimes, 50), pct(pageTimes, 95), pct(pageTimes, 100))

	// The wall lists at most wallRows open tickets (most urgent, then
	// oldest first): the changes must fit beside those already open, or a
	// wall could not show them.
	wallQ := "?k=" + url.QueryEscape(kiosk)
	open := strings.Count(getBody(admin, o.base+"/wall/panel"+wallQ), `<tr class="t-`)
	if room := wallRows - open; o.changes > room {
		fmt.Printf("%d tickets already on the wall: %d changes instead of %d\n", open, max(room, 0), o.changes)
		o.changes = max(room, 0)
	}

	ctx, cancel := context.WithTimeout(context.Background(), o.dur+o.changeWait)
	defer cancel()
	b := &board{posted: map[string]time.Time{}}
	var wg sync.WaitGroup
	for i := 0; i < o.walls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := display{kind: "wall", cl: &http.Client{Timeout: o.panelClientLimit},
				events: o.base + "/wall/events" + wallQ, panel: o.base + "/wall/panel" + wallQ, every: o.every}
			d.run(ctx, b)
		}()
	}
	for i := 0; i < o.desks; i++ {
		cl, _ := loginAs(o, o.pw)
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := display{kind: "desk", cl: cl, events: o.base + "/desk/events", panel: o.base + "/desk/panel"}
			d.run(ctx, b)
		}()
	}
	load := make(chan *rssSamples, 1)
	go func() { load <- sampleRSS(o.pid, o.dur, o.sampleEvery) }()
	time.Sleep(3 * time.Second) // the streams open
	for i := 1; i <= o.changes; i++ {
		marker := fmt.Sprintf("bench change %d %d", i, time.Now().UnixNano())
		b.post(marker)
		postAlert(o.base, i, marker)
		time.Sleep(o.gap)
	}
	ls := <-load
	time.Sleep(o.changeWait / 2) // the last change's latecomers
	cancel()
	wg.Wait()

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range []string{"wall", "desk"} {
		n := o.walls
		if k == "desk" {
			n = o.desks
		}
		lat := b.lat[k]
		fmt.Printf("%d %ss, %d ticket changes: shown %d of %d times, update latency (webhook post to a panel showing the ticket) p50 %v, p95 %v, max %v; %d panel reads (%d failed), server time p50 %v, p95 %v; %d stream (re)connects refused or dropped\n",
			n, k, o.changes, len(lat), n*o.changes, pct(lat, 50), pct(lat, 95), pct(lat, 100),
			len(b.reads[k]), b.fails[k], pct(b.reads[k], 50), pct(b.reads[k], 95), b.drops[k])
	}
	fmt.Printf("RSS under console load (%v): mean %.1f MB, peak %.1f MB, end %.1f MB\n", o.dur, mb(ls.mean()), mb(ls.peak), mb(ls.last))
	fmt.Printf("SUMMARY console=on idle_mean_mb=%.1f load_mean_mb=%.1f load_peak_mb=%.1f\n", mb(idle.mean()), mb(ls.mean()), mb(ls.peak))
}

// board collects the posts and what the displays saw.
type board struct {
	mu     sync.Mutex
	posted map[string]time.Time // marker -> when its alert was posted
	lat    map[string][]time.Duration
	reads  map[string][]time.Duration
	fails  map[string]int
	drops  map[string]int
}

func (b *board) post(marker string) {
	b.mu.Lock()
	b.posted[marker] = time.Now()
	b.mu.Unlock()
}

// saw records the markers a panel shows that this display had not seen.
func (b *board) saw(kind string, seen map[string]bool, body string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lat == nil {
		b.lat = map[string][]time.Duration{}
	}
	for m, t := range b.posted {
		if !seen[m] && strings.Contains(body, m) {
			seen[m] = true
			b.lat[kind] = append(b.lat[kind], at.Sub(t))
		}
	}
}

func (b *board) read(kind string, d time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.reads == nil {
		b.reads, b.fails, b.drops = map[string][]time.Duration{}, map[string]int{}, map[string]int{}
	}
	if ok {
		b.reads[kind] = append(b.reads[kind], d)
	} else {
		b.fails[kind]++
	}
}

func (b *board) drop(kind string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drops == nil {
		b.reads, b.fails, b.drops = map[string][]time.Duration{}, map[string]int{}, map[string]int{}
	}
	b.drops[kind]++
}

// display is a wall or a desk: its event stream, and a panel read (one at
// a time, a burst of changes coalesced) on each change, on (re)connect and,
// for a wall, every `every`.
type display struct {
	kind          string
	cl            *http.Client
	events, panel string
	every         time.Duration
}

func (d display) run(ctx context.Context, b *board) {
	seen := map[string]bool{}
	kick := make(chan struct{}, 1)
	poke := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	go func() {
		var tick <-chan time.Time
		if d.every > 0 {
			t := time.NewTicker(d.every)
			defer t.Stop()
			tick = t.C
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
			case <-tick:
			}
			t0 := time.Now()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.panel, nil)
			r, err := d.cl.Do(req)
			ok := err == nil && r.StatusCode == 200
			var body []byte
			if err == nil {
				body, _ = io.ReadAll(r.Body)
				r.Body.Close()
			}
			if ctx.Err() != nil {
				return
			}
			now := time.Now()
			b.read(d.kind, now.Sub(t0), ok)
			if ok {
				b.saw(d.kind, seen, string(body), now)
			}
		}
	}()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.events, nil)
		sc := &http.Client{Jar: d.cl.Jar} // no timeout: a stream
		r, err := sc.Do(req)
		if err != nil || r.StatusCode != 200 {
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				r.Body.Close()
			}
			b.drop(d.kind)
			time.Sleep(2 * time.Second)
			continue
		}
		poke() // what changed while (re)connecting
		rd := bufio.NewScanner(r.Body)
		for rd.Scan() {
			if rd.Text() == "event: change" {
				poke()
			}
		}
		r.Body.Close()
		if ctx.Err() == nil {
			b.drop(d.kind)
		}
	}
}

// postAlert posts a firing alert whose ticket's title is marker.
func postAlert(base string, i int, marker string) {
	hook := fmt.Sprintf(`{"version":"4","groupKey":"{}:{alertname=\"BenchDown\"}","status":"firing","receiver":"roomwatch",
"groupLabels":{"alertname":"BenchDown"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://127.0.0.1:9093","truncatedAlerts":0,
"alerts":[{"status":"firing","labels":{"alertname":"BenchDown","device":"bench-sw%d","tier":"core","site":"central","class":"switch","severity":"critical"},
"annotations":{"summary":%q},"startsAt":%q,"endsAt":"0001-01-01T00:00:00Z",
"generatorURL":"http://127.0.0.1:9120/graph","fingerprint":"%016x"}]}`, i, marker, time.Now().Add(-time.Second).UTC().Format(time.RFC3339), i)
	r, err := http.Post(base+"/api/v1/alertmanager/webhook", "application/json", strings.NewReader(hook))
	must(err)
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	if r.StatusCode/100 != 2 {
		log.Fatalf("webhook: %s (is auth.intake.open_on_loopback set?)", r.Status)
	}
}

// login logs the admin in (changing the initial password) and issues a
// kiosk token.
func login(o opts) (*http.Client, string) {
	first := o.pw
	if o.initial != "" {
		first = o.initial
	}
	cl, base := loginAs(o, first)
	if o.initial != "" {
		resp, err := cl.PostForm(base+"/password", url.Values{"csrf": {token(cl, base+"/password")},
			"old": {o.initial}, "new": {o.pw}, "confirm": {o.pw}})
		must(err)
		resp.Body.Close()
	}
	csrf := token(cl, base+"/admin")
	resp, err := cl.PostForm(base+"/admin/tokens", url.Values{"csrf": {csrf}, "name": {"bench wall"}, "kind": {"kiosk"}})
	must(err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`id="new-secret">([^<]+)<`).FindSubmatch(b)
	if m == nil {
		log.Fatalf("no kiosk token issued (%d)", resp.StatusCode)
	}
	return cl, string(m[1])
}

func loginAs(o opts, pw string) (*http.Client, string) {
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: o.panelClientLimit}
	resp, err := cl.PostForm(o.base+"/login", url.Values{"username": {o.user}, "password": {pw}})
	must(err)
	resp.Body.Close()
	return cl, o.base
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func get(cl *http.Client, u string) { getBody(cl, u) }

func getBody(cl *http.Client, u string) string {
	r, err := cl.Get(u)
	must(err)
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 {
		log.Fatalf("GET %s: %d", u, r.StatusCode)
	}
	return string(b)
}

// wallRows is how many open tickets the wall lists (console/wall.go).
const wallRows = 12

func token(cl *http.Client, u string) string {
	r, err := cl.Get(u)
	must(err)
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	m := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		log.Fatalf("no session at %s (%d): log in failed?", u, r.StatusCode)
	}
	return string(m[1])
}

type rssSamples struct {
	first, last, peak, sum int64
	n                      int
}

func (s *rssSamples) mean() int64 {
	if s.n == 0 {
		return 0
	}
	return s.sum / int64(s.n)
}

// sampleRSS samples the RSS of pid every `every` for d.
func sampleRSS(pid int, d, every time.Duration) *rssSamples {
	s := &rssSamples{}
	for end := time.Now().Add(d); ; time.Sleep(every) {
		r := rss(pid)
		if s.n == 0 {
			s.first = r
		}
		s.last, s.peak, s.sum, s.n = r, max(s.peak, r), s.sum+r, s.n+1
		if !time.Now().Before(end) {
			return s
		}
	}
}

// rss reads VmRSS of pid in bytes.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	must(err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n << 10
		}
	}
	return 0
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	return s[min(i, len(s))-1].Round(100 * time.Microsecond)
}
