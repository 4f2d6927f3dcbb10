// Command console measures what the web console adds to a running
// roomwatch-collector: its RSS before any console request and while an
// admin browses every page and N wall displays poll their panel, and the
// server time of a wall-panel refresh. deploy/dev/bench-console.sh starts
// the collector and runs this.
package main

import (
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

func main() {
	base := flag.String("url", "", "the collector, http://host:port")
	pid := flag.Int("pid", 0, "the collector's process id (for its RSS)")
	user := flag.String("user", "admin", "an admin account")
	initial := flag.String("initial", "", "its initial password (changed to -password first)")
	pw := flag.String("password", "", "its password")
	walls := flag.Int("walls", 50, "wall displays polling at once")
	dur := flag.Duration("duration", 60*time.Second, "how long the walls poll")
	every := flag.Duration("every", 10*time.Second, "each wall's refresh interval (the console's WallRefresh)")
	idle := flag.Duration("idle", 60*time.Second, "first watch the RSS this long without console requests (the control)")
	flag.Parse()
	if *base == "" || *pid == 0 {
		log.Fatal("need -url and -pid")
	}
	idle0 := rss(*pid)
	idlePeak := idle0
	for end := time.Now().Add(*idle); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		idlePeak = max(idlePeak, rss(*pid))
	}
	before := rss(*pid)
	fmt.Printf("control, %v without console requests: RSS %.1f MB -> %.1f MB (peak %.1f MB, %+.1f MB)\n",
		*idle, mb(idle0), mb(before), mb(idlePeak), mb(before-idle0))
	fmt.Printf("collector RSS before any console request: %.1f MB\n", mb(before))

	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	first := *pw
	if *initial != "" {
		first = *initial
	}
	resp, err := cl.PostForm(*base+"/login", url.Values{"username": {*user}, "password": {first}})
	must(err)
	resp.Body.Close()
	if *initial != "" {
		resp, err = cl.PostForm(*base+"/password", url.Values{"csrf": {token(cl, *base+"/password")},
			"old": {*initial}, "new": {*pw}, "confirm": {*pw}})
		must(err)
		resp.Body.Close()
	}
	csrf := token(cl, *base+"/admin")
	resp, err = cl.PostForm(*base+"/admin/tokens", url.Values{"csrf": {csrf}, "name": {"bench wall"}, "kind": {"kiosk"}})
	must(err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`id="new-secret">([^<]+)<`).FindSubmatch(b)
	if m == nil {
		log.Fatalf("no kiosk token issued (%d)", resp.StatusCode)
	}
	kiosk := string(m[1])

	pages := []string{"/inspections", "/reports", "/devices", "/admin", "/wall"}
	var pageTimes []time.Duration
	for i := 0; i < 5; i++ {
		for _, p := range pages {
			t0 := time.Now()
			get(cl, *base+p)
			pageTimes = append(pageTimes, time.Since(t0))
		}
	}
	fmt.Printf("pages %v: %d requests, p50 %v, p95 %v, max %v\n", pages, len(pageTimes), pct(pageTimes, 50), pct(pageTimes, 95), pct(pageTimes, 100))

	var (
		mu    sync.Mutex
		times []time.Duration
		peak  = before
		wg    sync.WaitGroup
		stop  = time.Now().Add(*dur)
		fails int
	)
	panel := *base + "/wall/panel?k=" + url.QueryEscape(kiosk)
	for i := 0; i < *walls; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := &http.Client{Timeout: 30 * time.Second}
			time.Sleep(time.Duration(i) * *every / time.Duration(*walls)) // spread like real screens
			for time.Now().Before(stop) {
				t0 := time.Now()
				r, err := c.Get(panel)
				ok := err == nil && r.StatusCode == 200
				if err == nil {
					_, _ = io.Copy(io.Discard, r.Body)
					r.Body.Close()
				}
				d := time.Since(t0)
				mu.Lock()
				if ok {
					times = append(times, d)
				} else {
					fails++
				}
				mu.Unlock()
				time.Sleep(*every - d)
			}
		}(i)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(500 * time.Millisecond):
				if r := rss(*pid); r > peak {
					mu.Lock()
					peak = r
					mu.Unlock()
				}
			}
		}
	}()
	wg.Wait()
	close(done)
	after := rss(*pid)
	fmt.Printf("%d wall displays every %v for %v: %d refreshes (%d failed), server time p50 %v, p95 %v, max %v\n",
		*walls, *every, *dur, len(times), fails, pct(times, 50), pct(times, 95), pct(times, 100))
	fmt.Printf("wall update latency: at most the refresh interval plus one refresh, %v + %v (p95) = %v\n",
		*every, pct(times, 95), *every+pct(times, 95))
	fmt.Printf("collector RSS: before %.1f MB, peak under console load %.1f MB (+%.1f MB), after %.1f MB (+%.1f MB)\n",
		mb(before), mb(peak), mb(peak-before), mb(after), mb(after-before))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func get(cl *http.Client, u string) {
	r, err := cl.Get(u)
	must(err)
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	if r.StatusCode != 200 {
		log.Fatalf("GET %s: %d", u, r.StatusCode)
	}
}

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
