// Command benchinspect measures a daily inspection at county scale: 5,000
// devices × 20 metric items (100,000 rows) over a day of 2-minute samples,
// run by roomwatch's inspection Runner on the embedded store and stored in
// the hash-chained record database. As the anchor, in the same run, the same
// 20 PromQL queries go to a real Prometheus (Debian's 2.42) holding a copy of
// the same block. It prints wall time, CPU time and RSS of both and the ratio.
// deploy/dev/bench-inspect.sh runs it.
//
//	benchinspect -generate -dir /tmp/rwinspect      # write the block (about a minute)
//	benchinspect -dir COPY -prometheus http://127.0.0.1:PORT -prometheus-pid PID
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/inventory"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/sqlite"
	"github.com/roomwatch/roomwatch/internal/tickets/ticketstest"
)

// The estate: classes with device counts (5,000 in all).
var estate = []struct {
	class inventory.Class
	n     int
}{
	{inventory.ClassCamera, 4000}, {inventory.ClassCheckpoint, 300}, {inventory.ClassNVR, 60},
	{inventory.ClassSwitch, 200}, {inventory.ClassServer, 100}, {inventory.ClassUPS, 50},
	{inventory.ClassAC, 20}, {inventory.ClassEnv, 30}, {inventory.ClassRouter, 20},
	{inventory.ClassFirewall, 10}, {inventory.ClassRadio, 210},
}

const (
	sites      = 30
	interval   = 120 * time.Second
	blockRange = 24 * time.Hour
)

// The per-device metrics the 20 items query.
var metrics = []string{
	"roomwatch_probe_up", "roomwatch_ping_loss_ratio", "roomwatch_ping_rtt_seconds", "bench_cpu_usage_ratio",
	"bench_memory_usage_ratio", "bench_disk_usage_ratio", "bench_temperature_celsius", "bench_power_watts",
}

// items are the 20 checks of the benchmark template.
var items = []struct{ id, query, abnormal string }{
	{"online", `min by (device) (roomwatch_probe_up{probe="icmp"})`, "== 0"},
	{"availability", `avg_over_time(roomwatch_probe_up{probe="icmp"}[$period])`, "< 0.9"},
	{"flapping", `changes(roomwatch_probe_up{probe="icmp"}[$period])`, "> 10"},
	{"samples", `count_over_time(roomwatch_probe_up{probe="icmp"}[$period])`, "< 600"},
	{"last_seen", `time() - timestamp(roomwatch_probe_up{probe="icmp"})`, "> 600"},
	{"loss_max", `max_over_time(roomwatch_ping_loss_ratio[$period])`, "> 0.5"},
	{"loss_avg", `avg_over_time(roomwatch_ping_loss_ratio[$period])`, "> 0.1"},
	{"rtt_now", `roomwatch_ping_rtt_seconds`, "> 0.2"},
	{"rtt_avg", `avg_over_time(roomwatch_ping_rtt_seconds[$period])`, "> 0.1"},
	{"rtt_p95", `quantile_over_time(0.95, roomwatch_ping_rtt_seconds[$period])`, "> 0.2"},
	{"cpu_avg", `avg_over_time(bench_cpu_usage_ratio[$period])`, "> 0.9"},
	{"cpu_max", `max_over_time(bench_cpu_usage_ratio[$period])`, "> 0.99"},
	{"mem_now", `bench_memory_usage_ratio`, "> 0.95"},
	{"mem_max", `max_over_time(bench_memory_usage_ratio[$period])`, "> 0.98"},
	{"disk_now", `bench_disk_usage_ratio`, "> 0.9"},
	{"disk_growth", `delta(bench_disk_usage_ratio[$period])`, "> 0.1"},
	{"temp_max", `max_over_time(bench_temperature_celsius[$period])`, "> 35"},
	{"temp_avg", `avg_over_time(bench_temperature_celsius[$period])`, "> 30"},
	{"power_avg", `avg_over_time(bench_power_watts[$period])`, "> 900"},
	{"power_max", `max_over_time(bench_power_watts[$period])`, "> 1200"},
}

func main() {
	dir := flag.String("dir", "", "TSDB directory (generated block)")
	generate := flag.Bool("generate", false, "generate the block into -dir")
	promURL := flag.String("prometheus", "", "base URL of a Prometheus holding a copy of the block")
	promPID := flag.Int("prometheus-pid", 0, "its process id (for CPU time and RSS)")
	runs := flag.Int("runs", 3, "runs of each side")
	conc := flag.Int("concurrency", 4, "items (queries) in flight, both sides")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchinspect:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "benchinspect: -dir is required")
		os.Exit(2)
	}
	var err error
	if *generate {
		err = gen(*dir)
	} else {
		err = run(*dir, *promURL, *promPID, *runs, *conc)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "benchinspect:", err)
		os.Exit(1)
	}
}

type device struct {
	name, site string
	class      inventory.Class
}

func devices() []device {
	var out []device
	for _, c := range estate {
		for i := range c.n {
			out = append(out, device{name: fmt.Sprintf("%s-%04d", c.class, i), class: c.class, site: fmt.Sprintf("site-%02d", len(out)%sites)})
		}
	}
	return out
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// value is deterministic per series and step: mostly healthy, ~2% faults lasting an hour.
func value(metric int, seed uint64, step int64) float64 {
	h := splitmix(seed*31 + uint64(step/30))
	bad := h%100 < 2
	u := float64(h>>11) / (1 << 53)
	switch metric {
	case 0: // up
		if bad {
			return 0
		}
		return 1
	case 1: // loss
		if bad {
			return float64(h%10) / 10
		}
		return 0
	case 2: // rtt
		return 0.001 + float64(seed%50)/1e4 + u/1e3
	case 3: // cpu
		return 0.2 + 0.5*u
	case 4: // memory
		return 0.5 + 0.3*float64(seed%10)/10 + 0.01*u
	case 5: // disk, slowly growing
		return 0.4 + float64(seed%50)/100 + float64(step%720)/720*0.01
	case 6: // temperature
		if bad {
			return 36 + 4*u
		}
		return 22 + 6*u
	case 7: // power
		return 100 + float64(seed%800) + 50*u
	}
	return 0
}

func endTime() time.Time { return time.Now().Add(-time.Hour).Truncate(blockRange) }

func gen(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	devs := devices()
	end := endTime()
	start := end.Add(-blockRange)
	t0 := time.Now()
	type ser struct {
		ls     labels.Labels
		metric int
		seed   uint64
		ref    storage.SeriesRef
	}
	var ss []ser
	for i, d := range devs {
		for m, name := range metrics {
			kv := []string{model.MetricNameLabel, name, "device", d.name, "class", string(d.class), "site", d.site}
			if m == 0 {
				kv = append(kv, "probe", "icmp")
			}
			ss = append(ss, ser{ls: labels.FromStrings(kv...), metric: m, seed: uint64(i)*8 + uint64(m) + 1})
		}
	}
	total := 0
	err := store.WriteBlock(context.Background(), dir, start, int(blockRange/interval), interval, func(app storage.Appender, ts time.Time) error {
		step := ts.Unix() / int64(interval.Seconds())
		for i := range ss {
			s := &ss[i]
			ref, err := app.Append(s.ref, s.ls, ts.UnixMilli(), value(s.metric, s.seed, step))
			if err != nil {
				return err
			}
			s.ref = ref
			total++
		}
		return nil
	})
	if err != nil {
		return err
	}
	meta := map[string]any{"devices": len(devs), "series": len(ss), "samples": total, "end": end.Unix()}
	b, _ := json.Marshal(meta)
	fmt.Printf("generated %d devices, %d series, %d samples (one day at %s) in %v\n", len(devs), len(ss), total, interval, time.Since(t0).Round(time.Second))
	return os.WriteFile(filepath.Join(dir, "bench.json"), b, 0o600)
}

func template() (*inspect.Template, error) {
	var b strings.Builder
	b.WriteString("name: daily_bench\ntitle: 每日巡检（基准）\nrhythm: daily\nitems:\n")
	for _, it := range items {
		fmt.Fprintf(&b, "  - id: %s\n    name: %s\n    name_en: %s\n    metric:\n      query: '%s'\n      abnormal: %q\n",
			it.id, it.id, it.id, it.query, it.abnormal)
	}
	return inspect.ParseTemplate("bench.yml", []byte(b.String()))
}

func inventoryOf(devs []device) (*inventory.Inventory, error) {
	inv := &inventory.Inventory{}
	for i := range sites {
		inv.Sites = append(inv.Sites, inventory.Site{Name: fmt.Sprintf("site-%02d", i)})
	}
	for i, d := range devs {
		inv.Devices = append(inv.Devices, inventory.Device{Name: d.name, Class: d.class, Site: d.site,
			Address: fmt.Sprintf("10.%d.%d.%d", 20+i/65536, (i/256)%256, i%256)})
	}
	inv.ApplyDefaults()
	return inv, inv.Validate()
}

// usage is CPU time and peak RSS.
type usage struct {
	cpu time.Duration
	rss int64 // bytes
}

func selfUsage() usage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return usage{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), rss: ru.Maxrss * 1024}
}

// procUsage reads another process's CPU time and peak RSS from /proc.
func procUsage(pid int) (usage, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return usage{}, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	u := usage{cpu: time.Duration(ut+st) * 10 * time.Millisecond} // USER_HZ = 100
	st2, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(st2), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			u.rss = kb * 1024
		}
	}
	return u, nil
}

type result struct {
	wall  []time.Duration
	cpu   []time.Duration
	rss   int64
	note  string
	phase []string
}

func (r *result) median() (time.Duration, time.Duration) {
	w := append([]time.Duration(nil), r.wall...)
	c := append([]time.Duration(nil), r.cpu...)
	sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return w[len(w)/2], c[len(c)/2]
}

func run(dir, promURL string, promPID, runs, conc int) error {
	b, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		return fmt.Errorf("no generated data in %s (run with -generate): %w", dir, err)
	}
	var meta struct {
		Devices, Series, Samples int
		End                      int64
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return err
	}
	at := time.Unix(meta.End, 0).Add(-time.Minute)
	ctx := context.Background()
	st, err := store.Open(store.Options{Dir: dir, Retention: 60 * 24 * time.Hour, MaxBlockDuration: blockRange})
	if err != nil {
		return err
	}
	defer st.Close()
	devs := devices()
	inv, err := inventoryOf(devs)
	if err != nil {
		return err
	}
	tmpl, err := template()
	if err != nil {
		return err
	}
	recDir, err := os.MkdirTemp("", "benchinspect-records-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(recDir)
	recs, err := inspect.OpenStore(filepath.Join(recDir, "inspections.db"))
	if err != nil {
		return err
	}
	defer recs.Close()
	// Abnormal rows go to a real ticket service on SQLite, as in the collector.
	tdb, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(recDir, "tickets.db")})
	if err != nil {
		return err
	}
	defer tdb.Close()
	prof, err := ticketstest.LoadProfile()
	if err != nil {
		return err
	}
	rules, err := ticketstest.LoadRules()
	if err != nil {
		return err
	}
	svc, err := tickets.New(tickets.Options{Store: tdb, Classifier: rules, Policy: prof, Clock: clockwork.NewRealClock(),
		ReopenWindow: 24 * time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	var evalDone time.Time
	runner, err := inspect.NewRunner(inspect.Options{
		Querier: st.PromQL(), Inventory: inv, Store: recs, Concurrency: conc, Intake: svc,
		Progress: func(p inspect.Progress) {
			if p.ItemsDone == p.Items {
				evalDone = time.Now()
			}
		},
		Clock: clockwork.NewRealClock(), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	fmt.Printf("data: %d devices, %d series, %d samples (one day at %s, one block); template: %d metric items; %d runs each, median; %d items in flight\n\n",
		meta.Devices, meta.Series, meta.Samples, interval, len(items), runs, conc)

	var full result
	var in *inspect.Inspection
	firstOpened := 0
	for i := range runs {
		u0, t0 := selfUsage(), time.Now()
		in, err = runner.Run(ctx, tmpl, inspect.RunOptions{At: at, Trigger: "bench"})
		if err != nil {
			return err
		}
		if i == 0 {
			firstOpened = in.Tickets.Opened
		}
		full.wall = append(full.wall, time.Since(t0))
		full.phase = append(full.phase, fmt.Sprintf("%.2fs eval + %.2fs tickets and store", evalDone.Sub(t0).Seconds(), time.Since(evalDone).Seconds()))
		full.cpu = append(full.cpu, selfUsage().cpu-u0.cpu)
	}
	full.rss = selfUsage().rss
	tot := in.Totals
	if tot.Rows != meta.Devices*len(items) || tot.Unchecked > tot.Rows/100 {
		return fmt.Errorf("run checked %d rows (%d unchecked), want %d with data: the data is not where the queries look", tot.Rows, tot.Unchecked, meta.Devices*len(items))
	}
	full.note = fmt.Sprintf("%d rows: %d normal, %d abnormal (tickets: %d opened on the first run, then updated), %d unchecked",
		tot.Rows, tot.Normal, tot.Abnormal, firstOpened, tot.Unchecked)
	if in.Tickets.Error != "" {
		return fmt.Errorf("ticket intake: %s", in.Tickets.Error)
	}
	vr, err := recs.Verify(ctx)
	if err != nil || !vr.OK {
		return fmt.Errorf("records do not verify: %+v %v", vr, err)
	}

	exprs := make([]string, len(tmpl.Items))
	for i, it := range tmpl.Items {
		exprs[i] = strings.ReplaceAll(it.Metric.Query, "$period", inspect.PromDuration(tmpl.PeriodDuration()))
	}
	local := st.PromQL()
	var ql result
	for range runs {
		u0, t0 := selfUsage(), time.Now()
		n, err := fanOut(exprs, conc, func(e string) (int, error) {
			v, err := local.Query(ctx, e, at)
			if err != nil {
				return 0, err
			}
			vec, ok := v.(model.Vector)
			if !ok {
				return 0, fmt.Errorf("got %s, want a vector", v.Type())
			}
			return len(vec), nil
		})
		if err != nil || n == 0 {
			return fmt.Errorf("local queries: %v (%d)", err, n)
		}
		ql.wall = append(ql.wall, time.Since(t0))
		ql.cpu = append(ql.cpu, selfUsage().cpu-u0.cpu)
	}

	var pr result
	if promURL != "" {
		for range runs {
			p0, _ := procUsage(promPID)
			t0 := time.Now()
			n, err := fanOut(exprs, conc, func(e string) (int, error) { return promQuery(promURL, e, at) })
			if err != nil {
				return fmt.Errorf("prometheus: %w", err)
			}
			if n < meta.Devices*len(items)*99/100 {
				return fmt.Errorf("prometheus answered %d series, want about %d", n, meta.Devices*len(items))
			}
			pr.wall = append(pr.wall, time.Since(t0))
			p1, _ := procUsage(promPID)
			pr.cpu = append(pr.cpu, p1.cpu-p0.cpu)
			pr.rss = p1.rss
			pr.note = fmt.Sprintf("%d series answered", n)
		}
	}

	fw, fc := full.median()
	qw, qc := ql.median()
	fmt.Println("| side | wall (median) | CPU (median) | peak RSS | what |")
	fmt.Println("|---|---|---|---|---|")
	fmt.Printf("| roomwatch inspection run (20 queries, evaluate, tickets, hash-chain store) | %s | %s | %s | %s |\n", sec(fw), sec(fc), mib(full.rss), full.note)
	fmt.Printf("| roomwatch embedded engine, the 20 queries only | %s | %s | (same process) | |\n", sec(qw), sec(qc))
	if promURL != "" {
		pw, pc := pr.median()
		fmt.Printf("| prometheus 2.42, the 20 queries over HTTP | %s | %s | %s | %s |\n", sec(pw), sec(pc), mib(pr.rss), pr.note)
		fmt.Printf("\nratio wall, full run / prometheus queries: %.2f; queries / prometheus queries: %.2f\n",
			float64(fw)/float64(pw), float64(qw)/float64(pw))
		fmt.Printf("ratio CPU, full run / prometheus queries: %.2f; queries / prometheus queries: %.2f\n",
			float64(fc)/float64(pc), float64(qc)/float64(pc))
	}
	fmt.Printf("\nall runs, full inspection wall: %v (%s)\n", full.wall, strings.Join(full.phase, "; "))
	var bodyLen int64
	if err := recs.DB().QueryRowContext(ctx, `SELECT length(body) FROM entries WHERE seq = 1`).Scan(&bodyLen); err == nil {
		fmt.Printf("record body of one run: %d MiB of JSON\n", bodyLen>>20)
	}
	if fw > 10*time.Second {
		fmt.Printf("TARGET MISSED: a daily inspection of %d devices × %d items took %s (target < 10 s)\n", meta.Devices, len(items), sec(fw))
	}
	return nil
}

func sec(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
func mib(b int64) string         { return fmt.Sprintf("%d MiB", b>>20) }

// fanOut runs fn over exprs, conc at a time, and sums what it returns.
func fanOut(exprs []string, conc int, fn func(string) (int, error)) (int, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		errs  []error
		sem   = make(chan struct{}, conc)
	)
	for _, e := range exprs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n, err := fn(e)
			mu.Lock()
			total += n
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", e, err))
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, errors.Join(errs...)
}

// promQuery runs an instant query and returns the number of series answered.
func promQuery(base, expr string, at time.Time) (int, error) {
	form := url.Values{"query": {expr}, "time": {strconv.FormatInt(at.Unix(), 10)}}
	resp, err := http.PostForm(base+"/api/v1/query", form)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	var r struct {
		Status string
		Error  string
		Data   struct{ Result []json.RawMessage }
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		return 0, fmt.Errorf("%s %v", r.Error, err)
	}
	return len(r.Data.Result), nil
}
