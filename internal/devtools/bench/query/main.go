// Command benchquery measures the wall display's PromQL queries over a
// synthetic month of data for a county estate (5,000 devices), against the
// embedded store (through roomwatch's query API) and, when -prometheus is
// given, against a real Prometheus holding a copy of the same blocks. It prints
// p50/p99 per query and the ratio. deploy/dev/bench-query.sh runs it.
//
//	benchquery -generate -dir /tmp/rwbench        # write the blocks (minutes)
//	benchquery -dir /tmp/rwbench [-prometheus http://127.0.0.1:9099]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/roomwatch/roomwatch/internal/promapi"
	"github.com/roomwatch/roomwatch/internal/store"
)

// The estate: classes with device counts and per-device series.
var estate = []struct {
	class string
	n     int
}{
	{"camera", 4000}, {"checkpoint", 300}, {"nvr", 60}, {"switch", 200}, {"server", 100},
	{"ups", 50}, {"ac", 20}, {"env", 30}, {"router", 20}, {"firewall", 10}, {"radio", 210},
}

const (
	sites      = 30
	ifPerSw    = 24
	days       = 30
	interval   = 120 * time.Second
	blockRange = 24 * time.Hour
)

func main() {
	dir := flag.String("dir", "", "TSDB directory (generated blocks)")
	generate := flag.Bool("generate", false, "generate the blocks into -dir")
	promURL := flag.String("prometheus", "", "base URL of a Prometheus holding a copy of the blocks")
	runs := flag.Int("runs", 30, "runs per query")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "benchquery: -dir is required")
		os.Exit(2)
	}
	var err error
	if *generate {
		err = gen(*dir)
	} else {
		err = run(*dir, *promURL, *runs)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchquery:", err)
		os.Exit(1)
	}
}

type series struct {
	ls   labels.Labels
	kind string // "up", "loss", "rtt", "oper", "admin", "onbatt", "runtime"
	seed uint64
}

func estateSeries() []series {
	var out []series
	dev := 0
	for _, c := range estate {
		for i := range c.n {
			dev++
			name := fmt.Sprintf("%s-%04d", c.class, i)
			site := fmt.Sprintf("site-%02d", dev%sites)
			id := []string{"device", name, "class", c.class, "site", site}
			mk := func(metric, kind string, extra ...string) {
				ls := labels.FromStrings(append(append([]string{model.MetricNameLabel, metric}, id...), extra...)...)
				out = append(out, series{ls, kind, uint64(len(out))*7919 + 1})
			}
			mk("roomwatch_probe_up", "up", "probe", "icmp")
			mk("roomwatch_ping_loss_ratio", "loss")
			mk("roomwatch_ping_rtt_seconds", "rtt")
			switch c.class {
			case "switch":
				for p := 1; p <= ifPerSw; p++ {
					ifn := fmt.Sprintf("GE0/0/%d", p)
					mk("roomwatch_if_oper_status", "oper", "ifName", ifn)
					mk("roomwatch_if_admin_status", "admin", "ifName", ifn)
				}
			case "ups":
				mk("roomwatch_ups_on_battery", "onbatt")
				mk("roomwatch_ups_battery_runtime_seconds", "runtime")
			}
		}
	}
	return out
}

// value is deterministic per series and time: mostly healthy, a few faults.
func value(s series, step int64) float64 {
	r := rand.New(rand.NewPCG(s.seed, uint64(step/30))) // faults last ~1 h
	bad := r.Float64() < 0.02
	switch s.kind {
	case "up":
		if bad {
			return 0
		}
		return 1
	case "loss":
		if bad {
			return math.Round(r.Float64()*10) / 10
		}
		return 0
	case "rtt":
		return 0.001 + float64(s.seed%50)/1e4
	case "oper":
		if s.seed%5 == 0 || bad {
			return 2
		}
		return 1
	case "admin":
		if s.seed%7 == 0 {
			return 2
		}
		return 1
	case "onbatt":
		if bad {
			return 1
		}
		return 0
	case "runtime":
		return 1800
	}
	return 0
}

func gen(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	ss := estateSeries()
	end := endTime()
	start := end.Add(-days * 24 * time.Hour)
	perBlock := int(blockRange / interval)
	total := 0
	t0 := time.Now()
	for b := start; b.Before(end); b = b.Add(blockRange) {
		refs := make([]storage.SeriesRef, len(ss))
		err := store.WriteBlock(context.Background(), dir, b, perBlock, interval, func(app storage.Appender, ts time.Time) error {
			step := ts.Unix() / int64(interval.Seconds())
			for i, s := range ss {
				ref, err := app.Append(refs[i], s.ls, ts.UnixMilli(), value(s, step))
				if err != nil {
					return err
				}
				refs[i] = ref
				total++
			}
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "block %s done (%d samples so far, %v)\n", b.Format("2006-01-02"), total, time.Since(t0).Round(time.Second))
	}
	meta := map[string]any{"series": len(ss), "samples": total, "interval": interval.String(), "days": days, "end": end.Unix()}
	b, _ := json.Marshal(meta)
	fmt.Printf("generated %d series, %d samples (%s interval, %d days) in %v\n", len(ss), total, interval, days, time.Since(t0).Round(time.Second))
	return os.WriteFile(filepath.Join(dir, "bench.json"), b, 0o600)
}

// endTime is where the data ends: an hour ago, on a block boundary.
func endTime() time.Time { return time.Now().Add(-time.Hour).Truncate(blockRange) }

type query struct {
	name, expr string
	rangeDur   time.Duration // 0: instant query
	step       time.Duration
}

var queries = []query{
	{"devices up per class", `count by (class) (roomwatch_probe_up{probe="icmp"} == 1)`, 0, 0},
	{"top-10 worst ping loss (1h)", `topk(10, avg_over_time(roomwatch_ping_loss_ratio[1h]))`, 0, 0},
	{"UPS on battery", `roomwatch_ups_on_battery == 1`, 0, 0},
	{"interfaces down", `count(roomwatch_if_oper_status{class="switch"} != 1 and roomwatch_if_admin_status == 1)`, 0, 0},
	{"cameras offline per site", `count by (site) (roomwatch_probe_up{class="camera",probe="icmp"} == 0)`, 0, 0},
	{"availability per class (24h)", `avg by (class) (avg_over_time(roomwatch_probe_up{probe="icmp"}[24h]))`, 0, 0},
	{"up per site, 24h graph (5m step)", `sum by (site) (roomwatch_probe_up{probe="icmp"})`, 24 * time.Hour, 5 * time.Minute},
	{"availability, 30d graph (1d step)", `avg by (class) (avg_over_time(roomwatch_probe_up{probe="icmp"}[1d]))`, 30 * 24 * time.Hour, 24 * time.Hour},
}

func run(dir, promURL string, runs int) error {
	b, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		return fmt.Errorf("no generated data in %s (run with -generate): %w", dir, err)
	}
	var meta struct {
		Series, Samples int
		End             int64
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return err
	}
	// Give it a copy of the blocks (it writes a WAL and a lock). Compaction is
	// held at the generated 1-day blocks so that both sides read the same blocks.
	st, err := store.Open(store.Options{Dir: dir, Retention: 60 * 24 * time.Hour, MaxBlockDuration: blockRange})
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: promapi.New(promapi.Options{Engine: st.Engine(), Queryable: st})}
	go srv.Serve(ln)
	defer srv.Close()
	ours := "http://" + ln.Addr().String()
	at := time.Unix(meta.End, 0).Add(-time.Minute)
	fmt.Printf("data: %d series, %d samples, 30 days at %s, %d blocks; queries at %s, %d runs each, over HTTP\n\n",
		meta.Series, meta.Samples, interval, len(st.DB().Blocks()), at.UTC().Format(time.RFC3339), runs)
	fmt.Printf("| query | roomwatch p50 | roomwatch p99 | prometheus 2.42 p50 | prometheus 2.42 p99 | ratio p50 (roomwatch/prometheus) |\n|---|---|---|---|---|---|\n")
	for _, q := range queries {
		o50, o99, oerr := measure(ours, q, at, runs)
		if oerr != nil {
			return fmt.Errorf("%s: %w", q.name, oerr)
		}
		row := fmt.Sprintf("| %s | %s | %s |", q.name, ms(o50), ms(o99))
		if promURL != "" {
			p50, p99, perr := measure(promURL, q, at, runs)
			if perr != nil {
				row += fmt.Sprintf(" error: %v | | |", perr)
			} else {
				row += fmt.Sprintf(" %s | %s | %.2f |", ms(p50), ms(p99), float64(o50)/float64(p50))
			}
		} else {
			row += " – | – | – |"
		}
		fmt.Println(row)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// measure runs q runs times (after one warm-up) and returns p50 and p99.
func measure(base string, q query, at time.Time, runs int) (time.Duration, time.Duration, error) {
	form := url.Values{"query": {q.expr}}
	path := "/api/v1/query"
	if q.rangeDur > 0 {
		path = "/api/v1/query_range"
		form.Set("start", strconv.FormatInt(at.Add(-q.rangeDur).Unix(), 10))
		form.Set("end", strconv.FormatInt(at.Unix(), 10))
		form.Set("step", strconv.FormatFloat(q.step.Seconds(), 'f', -1, 64))
	} else {
		form.Set("time", strconv.FormatInt(at.Unix(), 10))
	}
	var lat []time.Duration
	for i := range runs + 1 {
		t := time.Now()
		resp, err := http.PostForm(base+path, form)
		if err != nil {
			return 0, 0, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		var r struct {
			Status string
			Error  string
			Data   struct{ Result []any }
		}
		if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
			return 0, 0, fmt.Errorf("%s %s", r.Error, err)
		}
		if len(r.Data.Result) == 0 && q.name != "UPS on battery" {
			return 0, 0, errors.New("empty result: the data is not where the query looks")
		}
		if i > 0 {
			lat = append(lat, d)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)/2], lat[(len(lat)*99+99)/100-1], nil
}
