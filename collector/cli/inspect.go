package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/internal/inspect"
	"github.com/roomwatch/roomwatch/internal/store"
)

// runInspect is `roomwatch-collector inspect run TEMPLATE | verify | list`.
func runInspect(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgPath := fs.String("config", "", "collector config file")
	usage := func() int {
		fmt.Fprintln(env.Stderr, "usage: roomwatch-collector inspect run TEMPLATE | verify | list [--config F]")
		return 2
	}
	if len(args) == 0 {
		return usage()
	}
	sub, rest := args[0], args[1:]
	var pos []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		rest = fs.Args()
		if len(rest) > 0 {
			pos, rest = append(pos, rest[0]), rest[1:]
		}
	}
	cfg, err := collector.LoadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	if err := os.MkdirAll(cfg.Global.DataDir, 0o750); err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	recs, err := inspect.OpenStore(filepath.Join(cfg.Global.DataDir, "inspections.db"))
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	defer recs.Close()
	out := json.NewEncoder(env.Stdout)
	out.SetIndent("", "  ")
	switch sub {
	case "verify":
		res, err := recs.Verify(ctx)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return 1
		}
		_ = out.Encode(res)
		if !res.OK {
			fmt.Fprintf(env.Stderr, "巡检记录校验失败 chain broken at record %d (inspection %d, %s): %s\n", res.BadSeq, res.BadInspection, res.BadKind, res.Reason)
			return 1
		}
		fmt.Fprintf(env.Stderr, "巡检记录完整 %d records verified, head %s\n", res.Entries, res.Head)
		return 0
	case "list":
		l, err := recs.List(ctx, inspect.Filter{})
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return 1
		}
		_ = out.Encode(l)
		return 0
	case "run":
		if len(pos) != 1 {
			return usage()
		}
	default:
		return usage()
	}
	templates, err := inspect.LoadDir(cfg.Inspections.TemplatesDir())
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	var tmpl *inspect.Template
	for _, t := range templates {
		if t.Name == pos[0] {
			tmpl = t
		}
	}
	if tmpl == nil {
		fmt.Fprintf(env.Stderr, "no template %q in %s\n", pos[0], cfg.Inspections.TemplatesDir())
		return 1
	}
	var q inspect.Querier
	if u := cfg.Inspections.PrometheusURL; u != "" {
		hq, err := store.NewHTTPQuerier(u, nil)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return 1
		}
		q = hq
	} else {
		st, err := store.Open(store.Options{Dir: filepath.Join(cfg.Global.DataDir, "tsdb")})
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return 1
		}
		defer st.Close()
		q = st.PromQL()
	}
	loc, _ := cfg.Location()
	runner, err := inspect.NewRunner(inspect.Options{
		Querier: q, Inventory: &cfg.Inventory, Store: recs, Location: loc,
		Logger: slog.New(slog.NewTextHandler(env.Stderr, nil)),
		Progress: func(name string, done, total int) {
			fmt.Fprintf(env.Stderr, "巡检 %s: %d/%d 项\n", name, done, total)
		},
	})
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	in, err := runner.Run(ctx, tmpl, inspect.RunOptions{Trigger: "cli", Actor: os.Getenv("USER")})
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	_ = out.Encode(map[string]any{"id": in.ID, "template": in.Template, "status": in.Status, "totals": in.Totals})
	return 0
}
