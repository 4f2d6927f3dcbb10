// Command benchreport writes a collector data directory for the monthly report
// benchmark: September 2026 (Asia/Shanghai) for a county estate of 5,000
// devices — roomwatch_probe_up{probe="icmp"} every 2 minutes in one-day TSDB
// blocks, about 1,500 tickets (ingested alerts, acknowledged, resolved or
// recovered, through the real ticket service on a fake clock) and 30 daily
// inspection runs of one row per device — plus a collector.yml pointing at it.
// deploy/dev/bench-report.sh runs it once and then times `report monthly`.
//
//	benchreport -dir /tmp/roomwatch-bench-report -root .
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/roomwatch/roomwatch/internal/alert"
	"github.com/roomwatch/roomwatch/internal/calendar"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/sla"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/sqlite"
)

var estate = []struct {
	class string
	n     int
}{
	{"camera", 4000}, {"checkpoint", 300}, {"nvr", 60}, {"switch", 200}, {"server", 100},
	{"ups", 50}, {"ac", 20}, {"env", 30}, {"router", 20}, {"firewall", 10}, {"radio", 210},
}

type dev struct{ name, class, site string }

func devices() []dev {
	var out []dev
	for _, c := range estate {
		for i := range c.n {
			out = append(out, dev{fmt.Sprintf("%s-%04d", c.class, i), c.class, fmt.Sprintf("site-%02d", len(out)%30)})
		}
	}
	return out
}

func main() {
	dir := flag.String("dir", "", "data directory to write")
	root := flag.String("root", ".", "repository root (rules/)")
	nTickets := flag.Int("tickets", 1500, "tickets over the month")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "benchreport: -dir is required")
		os.Exit(2)
	}
	if err := run(*dir, *root, *nTickets); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(dir, root string, nTickets int) error {
	loc, err := time.LoadLocation(calendar.DefaultZone)
	if err != nil {
		return err
	}
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, loc)
	ds := devices()
	data := filepath.Join(dir, "data")
	t0 := time.Now()
	if err := genTSDB(filepath.Join(data, "tsdb"), ds, start); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "tsdb done in %v\n", time.Since(t0).Round(time.Second))
	if err := genTickets(filepath.Join(data, "tickets.db"), root, ds, start, nTickets); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "tickets done in %v\n", time.Since(t0).Round(time.Second))
	if err := genInspections(filepath.Join(data, "inspections.db"), ds, start); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "inspections done in %v\n", time.Since(t0).Round(time.Second))
	abs, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	absData, err := filepath.Abs(data)
	if err != nil {
		return err
	}
	cfg := fmt.Sprintf("global:\n  data_dir: '%[2]s'\nstorage:\n  retention: 400d\nrules:\n  files: ['%[1]s/rules/alerts/*.yml']\nscrape: []\n"+
		"inspections:\n  templates: '%[1]s/rules/inspections'\n"+
		"tickets:\n  rules: '%[1]s/rules/fault-levels.yml'\n"+
		"sla:\n  dir: '%[1]s/rules/sla'\n  holidays: '%[1]s/rules/calendars/cn-holidays.yml'\n", abs, absData)
	return os.WriteFile(filepath.Join(dir, "collector.yml"), []byte(cfg), 0o600)
}

// value is 1 except for about one fault in 300 device-hours lasting 1–3 hours.
func value(i int, ts time.Time) float64 {
	h := ts.Unix() / 3600
	for back := int64(0); back < 3; back++ {
		r := rand.New(rand.NewPCG(uint64(i)*7919+1, uint64(h-back)))
		if r.IntN(300) == 0 && r.Int64N(3) >= back {
			return 0
		}
	}
	return 1
}

func genTSDB(dir string, ds []dev, start time.Time) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	series := make([]labels.Labels, len(ds))
	for i, d := range ds {
		series[i] = labels.FromStrings("__name__", "roomwatch_probe_up", "class", d.class, "device", d.name, "probe", "icmp", "site", d.site)
	}
	const day = 24 * time.Hour
	for b := start; b.Before(start.AddDate(0, 1, 0)); b = b.Add(day) {
		refs := make([]storage.SeriesRef, len(ds))
		err := store.WriteBlock(context.Background(), dir, b, 720, 2*time.Minute, func(app storage.Appender, ts time.Time) error {
			for i := range ds {
				ref, err := app.Append(refs[i], series[i], ts.UnixMilli(), value(i, ts))
				if err != nil {
					return err
				}
				refs[i] = ref
			}
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "block %s\n", b.Format("2006-01-02"))
	}
	return nil
}

func genTickets(path, root string, ds []dev, start time.Time, n int) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: path, Synchronous: "NORMAL"})
	if err != nil {
		return err
	}
	defer st.Close()
	rules, err := classify.Load(filepath.Join(root, "rules/fault-levels.yml"))
	if err != nil {
		return err
	}
	loaded, err := sla.Config{Profile: "seed001", Dir: filepath.Join(root, "rules/sla"), Holidays: filepath.Join(root, "rules/calendars/cn-holidays.yml"), TimeZone: calendar.DefaultZone}.Load()
	if err != nil {
		return err
	}
	clk := clockwork.NewFakeClockAt(start)
	svc, err := tickets.New(tickets.Options{Store: st, Classifier: rules, Policy: loaded.Active, Clock: clk, Location: start.Location()})
	if err != nil {
		return err
	}
	step := (30 * 24 * time.Hour) / time.Duration(n)
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"DeviceDown", "CameraOffline", "HighCPU", "DiskFull", "UPSOnBattery", "PortDown"}
	var opened []tickets.Ticket
	for i := range n {
		clk.Advance(step)
		d := ds[r.IntN(len(ds))]
		a := alert.Alert{Labels: map[string]string{"alertname": names[i%len(names)], "device": d.name, "class": d.class, "site": d.site},
			StartsAt: clk.Now(), Annotations: map[string]string{"summary": d.name + " " + names[i%len(names)]}, Source: alert.SourceRules}
		if _, err := svc.Ingest(ctx, []alert.Alert{a}); err != nil {
			return err
		}
		ts, err := svc.List(ctx, tickets.Filter{Device: d.name, Limit: 1})
		if err != nil || len(ts) == 0 {
			return fmt.Errorf("ticket for %s: %v", d.name, err)
		}
		if ts[0].State.Active() && ts[0].OpenedAt.Equal(clk.Now()) {
			opened = append(opened, ts[0])
		}
	}
	// Acknowledge and resolve afterwards, with the milestone times in the past.
	clk.Advance(start.AddDate(0, 1, 4).Sub(clk.Now()))
	for i, t := range opened {
		ack := t.OpenedAt.Add(time.Duration(5+r.IntN(40)) * time.Minute)
		fix := ack.Add(time.Duration(30+r.IntN(30*60)) * time.Minute)
		if _, err := svc.Do(ctx, t.ID, tickets.ActionRequest{Action: tickets.ActionAck, Actor: "bench", At: &ack}); err != nil {
			return err
		}
		if i%10 == 9 {
			continue // still being handled
		}
		if _, err := svc.Do(ctx, t.ID, tickets.ActionRequest{Action: tickets.ActionResolve, Actor: "bench", Cause: "bench", Fix: "bench", At: &fix}); err != nil {
			return err
		}
	}
	return nil
}

func genInspections(path string, ds []dev, start time.Time) error {
	ctx := context.Background()
	st, err := inspect.OpenStore(path)
	if err != nil {
		return err
	}
	defer st.Close()
	for day := range 30 {
		at := start.AddDate(0, 0, day).Add(8*time.Hour + 30*time.Minute)
		rows := make([]inspect.Row, len(ds))
		for i, d := range ds {
			v := inspect.Normal
			if value(i, at) == 0 {
				v = inspect.Abnormal
			}
			rows[i] = inspect.Row{Device: d.name, Class: d.class, Site: d.site, Item: "online", Name: "设备在线", NameEN: "Device online", Kind: "metric", Verdict: v}
		}
		if _, err := st.AppendRun(ctx, &inspect.Run{Template: "daily", Title: "每日巡检检查表", Rhythm: inspect.Daily,
			PeriodStart: at.Add(-24 * time.Hour), PeriodEnd: at, StartedAt: at, FinishedAt: at.Add(time.Minute), Trigger: "schedule", Rows: rows}); err != nil {
			return err
		}
	}
	return nil
}
