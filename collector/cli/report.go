package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/report"
)

const reportUsage = `usage: roomwatch-collector report daily --date 2026-11-21 | parts --week 2026-W49 | monthly --month 2026-11 | quarterly --quarter 2026Q4 | assets
  [--config F] [--format html|xlsx|both] [--out DIR] [--url http://collector:9120]`

// runReport is `roomwatch-collector report KIND`: it reads the collector's data
// directory and writes the report as HTML and/or Excel into --out.
func runReport(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgPath := fs.String("config", "", "collector config file")
	date := fs.String("date", "", "day of the daily log, YYYY-MM-DD (default yesterday)")
	week := fs.String("week", "", "ISO week of the replaced-parts register, YYYY-Www (default last week)")
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
	k, err := report.ParseKind(kind)
	if err != nil {
		fmt.Fprintf(env.Stderr, "report: %v\n%s\n", err, reportUsage)
		return 2
	}
	cfg, cleanup, code := loadConfig(env, *cfgPath)
	defer cleanup()
	if code != 0 {
		return code
	}
	loc, _ := cfg.Location()
	value := map[report.Kind]string{report.KindDaily: *date, report.KindParts: *week, report.KindMonthly: *month, report.KindQuarterly: *quarter}[k]
	clk := env.clock()
	p, err := report.PeriodOf(k, value, clk.Now(), loc)
	if err != nil {
		fmt.Fprintf(env.Stderr, "report: %v\n", err)
		return 2
	}
	t0 := clk.Now()
	progress := func(msg string) {
		fmt.Fprintf(env.Stderr, "[%5.1fs] %s\n", clk.Since(t0).Seconds(), msg)
	}
	if *url != "" {
		cfg.Inspections.PrometheusURL = *url
	}
	st, err := collector.OpenStores(ctx, cfg, collector.StoresOptions{Mode: collector.ReadOnly, Command: "report", Progress: progress})
	if err != nil {
		fmt.Fprintf(env.Stderr, "report: %v\n", err)
		return 1
	}
	defer st.Close()
	templates, err := inspect.LoadDir(cfg.Inspections.TemplatesDir())
	if err != nil {
		progress(fmt.Sprintf("巡检模板不可用，不计应巡检次数 inspection templates unavailable (%v)", err))
	}
	r, err := report.New(st.ReportSources(cfg, templates), report.Options{Bureau: cfg.Global.Bureau, Location: loc, Clock: clk, Progress: progress})
	if err != nil {
		fmt.Fprintf(env.Stderr, "report: %v\n", err)
		return 1
	}
	doc, err := r.Build(ctx, k, p)
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
