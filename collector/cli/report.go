package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/internal/classify"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/registry"
	"github.com/roomwatch/roomwatch/internal/report"
	"github.com/roomwatch/roomwatch/internal/store"
	"github.com/roomwatch/roomwatch/internal/tickets"
	"github.com/roomwatch/roomwatch/internal/tickets/sqlite"
)

const reportUsage = `usage: roomwatch-collector report daily --date 2026-11-21 | monthly --month 2026-11 | quarterly --quarter 2026Q4 | assets
  [--config F] [--format html|xlsx|both] [--out DIR] [--url http://collector:9120]`

// runReport is `roomwatch-collector report KIND`: it reads the collector's data
// directory and writes the report as HTML and/or Excel into --out.
func runReport(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgPath := fs.String("config", "", "collector config file")
	date := fs.String("date", "", "day of the daily log, YYYY-MM-DD (default yesterday)")
	month := fs.String("month", "", "month of the monthly report, YYYY-MM (default last month)")
	quarter := fs.String("quarter", "", "quarter of the quarterly report, YYYYQn (default last quarter)")
	format := fs.String("format", "both", "html, xlsx or both")
	out := fs.String("out", ".", "directory the files are written to")
	url := fs.String("url", "", "query the metrics through this collector's (or Prometheus') HTTP API instead of opening the TSDB")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(env.Stderr, reportUsage)
		return 2
	}
	kind := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "report: unexpected argument %q\n%s\n", fs.Arg(0), reportUsage)
		return 2
	}
	switch *format {
	case "html", "xlsx", "both":
	default:
		fmt.Fprintf(env.Stderr, "report: --format %q: want html, xlsx or both\n", *format)
		return 2
	}
	cfg, err := collector.LoadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	// Fault levels, SLA profiles and templates: the files, else the binary's copies.
	cleanup, err := collector.UseEmbeddedRulesTemp(&cfg)
	defer cleanup()
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	loc, _ := cfg.Location()
	now := time.Now().In(loc)
	var p report.Period
	switch kind {
	case "daily":
		p, err = report.Day(or(*date, now.AddDate(0, 0, -1).Format("2006-01-02")), loc)
	case "monthly":
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
		p, err = report.Month(or(*month, first.AddDate(0, -1, 0).Format("2006-01")), loc)
	case "quarterly":
		q := (int(now.Month())-1)/3 - 1
		y := now.Year()
		if q < 0 {
			q, y = 3, y-1
		}
		p, err = report.Quarter(or(*quarter, fmt.Sprintf("%dQ%d", y, q+1)), loc)
	case "assets":
		p = report.Period{Label: now.Format("2006-01-02")}
	default:
		fmt.Fprintf(env.Stderr, "report: unknown report %q\n%s\n", kind, reportUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "report: %v\n", err)
		return 2
	}
	t0 := time.Now()
	progress := func(msg string) {
		fmt.Fprintf(env.Stderr, "[%5.1fs] %s\n", time.Since(t0).Seconds(), msg)
	}
	src, closeAll, err := openReportSources(ctx, &cfg, *url, progress)
	if err != nil {
		fmt.Fprintf(env.Stderr, "report: %v\n", err)
		return 1
	}
	defer closeAll()
	r, err := report.New(src, report.Options{Bureau: cfg.Global.Bureau, Location: loc, Progress: progress})
	if err != nil {
		fmt.Fprintf(env.Stderr, "report: %v\n", err)
		return 1
	}
	var doc *report.Document
	switch kind {
	case "daily":
		var d *report.Daily
		if d, err = r.Daily(ctx, p); err == nil {
			doc = d.Document(r)
		}
	case "monthly":
		var m *report.Monthly
		if m, err = r.Monthly(ctx, p); err == nil {
			doc = m.Document(r)
		}
	case "quarterly":
		var q *report.Quarterly
		if q, err = r.Quarterly(ctx, p); err == nil {
			doc = q.Document(r)
		}
	case "assets":
		var a *report.Assets
		if a, err = r.Assets(ctx); err == nil {
			doc = a.Document(r)
		}
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "report: %v\n", err)
		return 1
	}
	if err := os.MkdirAll(*out, 0o750); err != nil {
		fmt.Fprintf(env.Stderr, "report: %v\n", err)
		return 1
	}
	base := filepath.Join(*out, kind+"-"+p.Label)
	var files []string
	if *format != "xlsx" {
		files = append(files, base+".html")
	}
	if *format != "html" {
		files = append(files, base+".xlsx")
	}
	for _, f := range files {
		write := doc.WriteHTML
		if strings.HasSuffix(f, ".xlsx") {
			write = doc.WriteExcel
		}
		if err := writeFile(f, write); err != nil {
			fmt.Fprintf(env.Stderr, "report: %v\n", err)
			return 1
		}
		fmt.Fprintln(env.Stdout, f)
	}
	progress(fmt.Sprintf("完成 done: %s", strings.Join(files, ", ")))
	return 0
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// writeFile writes through a temporary file so a failed run leaves no half file.
func writeFile(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// openReportSources opens the stores of the data directory for reading. A
// store whose file is missing is left out (its sections say 无). The TSDB is
// opened directly when no collector holds it; when one does (its lock), the
// metrics are read through that collector's query API at its listen address.
func openReportSources(ctx context.Context, cfg *collector.Config, url string, progress func(string)) (report.Sources, func(), error) {
	var closers []func() error
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			_ = closers[i]()
		}
	}
	src := report.Sources{Inventory: &cfg.Inventory}
	fail := func(err error) (report.Sources, func(), error) {
		closeAll()
		return report.Sources{}, nil, err
	}
	dir := cfg.Global.DataDir
	if path := cfg.Tickets.DBPath(dir); exists(path) {
		db, err := sqlite.Open(ctx, sqlite.Options{Path: path})
		if err != nil {
			return fail(fmt.Errorf("tickets: %w", err))
		}
		closers = append(closers, db.Close)
		rules, err := classify.Load(cfg.Tickets.Rules)
		if err != nil {
			return fail(fmt.Errorf("tickets: fault levels: %w", err))
		}
		loaded, err := cfg.SLA.Load()
		if err != nil {
			return fail(fmt.Errorf("tickets: sla: %w", err))
		}
		svc, err := tickets.New(tickets.Options{Store: db, Classifier: rules, Policy: loaded.Active, Location: loaded.Location})
		if err != nil {
			return fail(err)
		}
		src.Tickets, src.History = svc, db
	} else {
		progress("没有工单库 no ticket database at " + path)
	}
	if path := filepath.Join(dir, "inspections.db"); exists(path) {
		st, err := inspect.OpenStore(path)
		if err != nil {
			return fail(fmt.Errorf("inspections: %w", err))
		}
		closers = append(closers, st.Close)
		src.Inspections = st
	} else {
		progress("没有巡检记录 no inspection records at " + path)
	}
	if ts, err := inspect.LoadDir(cfg.Inspections.TemplatesDir()); err == nil {
		src.Templates = ts
	} else {
		progress(fmt.Sprintf("巡检模板不可用，不计应巡检次数 inspection templates unavailable (%v)", err))
	}
	if path := filepath.Join(dir, "agents.json"); exists(path) {
		reg, err := registry.Open(registry.Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return fail(err)
		}
		src.Agents = reg
	}
	if url == "" {
		url = cfg.Inspections.PrometheusURL
	}
	tsdbDir := cfg.TSDBDir()
	switch {
	case url != "":
		q, err := store.NewHTTPQuerier(url, nil)
		if err != nil {
			return fail(err)
		}
		progress("指标查询 metrics from " + url)
		src.Metrics = q
	case exists(tsdbDir):
		st, err := store.Open(store.Options{Dir: tsdbDir, Retention: cfg.Storage.Retention.Std()})
		if err != nil {
			if !store.IsLocked(err) {
				return fail(fmt.Errorf("metrics: %w", err))
			}
			api := "http://" + loopback(cfg.Web.ListenAddress)
			progress(fmt.Sprintf("时序库被运行中的采集器占用，改用其查询接口 TSDB %s is held by a running collector; querying %s (use --url to choose)", tsdbDir, api))
			q, qerr := store.NewHTTPQuerier(api, nil)
			if qerr != nil {
				return fail(errors.Join(err, qerr))
			}
			src.Metrics = q
			break
		}
		closers = append(closers, st.Close)
		progress("指标 metrics from " + tsdbDir)
		src.Metrics, src.Series = st.PromQL(), st
	default:
		progress("没有时序库，可用率与资产信息缺失 no TSDB at " + tsdbDir)
	}
	return src, closeAll, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// loopback turns a listen address (":9120", "0.0.0.0:9120") into one to dial.
func loopback(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
