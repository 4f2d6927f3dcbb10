package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/roomwatch/roomwatch/collector"
	"github.com/roomwatch/roomwatch/internal/buildinfo"
)

// runServe runs the collector until ctx ends (SIGINT/SIGTERM), then shuts
// down gracefully, flushing the TSDB. Exit codes: 0 clean stop, 1 runtime
// failure, 2 usage or configuration error.
func runServe(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgPath := fs.String("config", "", "configuration file; embedded defaults when empty / 配置文件（为空时使用内置默认值）")
	listen := fs.String("web.listen-address", "", "HTTP listen address (default from config, :9120) / 监听地址")
	webConfig := fs.String("web.config.file", "", "exporter-toolkit web config: TLS, client CA, basic-auth users (overrides web.config_file) / TLS 与认证配置文件")
	storagePath := fs.String("storage.path", "", "TSDB directory (default <data_dir>/tsdb) / 时序数据库目录")
	dataDir := fs.String("data-dir", "", "data directory for the TSDB, tickets and reports (default ./data) / 数据目录")
	check := fs.Bool("check-config", false, "check the configuration and rule files, then exit / 仅检查配置与规则文件")
	version := fs.Bool("version", false, "print the version and exit / 显示版本")
	logLevel := fs.String("log.level", "info", "debug, info, warn or error / 日志级别")
	var samples []string
	fs.Func("sla-sample", "with --check-config: show the SLA profile a sample device gets, e.g. device=rt1 or site=看守所,class=switch (repeatable) / 示例设备的时限合同",
		func(v string) error { samples = append(samples, v); return nil })
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *version {
		i := buildinfo.Get()
		fmt.Fprintf(env.Stdout, "roomwatch-collector %s (revision %s, %s)\n", i.Version, i.Revision, i.GoVersion)
		return 0
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(env.Stderr, "roomwatch-collector: --log.level %q: %v\n", *logLevel, err)
		return 2
	}
	cfg, err := collector.LoadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(env.Stderr, "配置错误 / configuration error: %v\n", err)
		return 2
	}
	if !*check {
		tuneServeRuntime()
	}
	if *dataDir != "" {
		cfg.Global.DataDir = *dataDir
	}
	if *webConfig != "" {
		cfg.Web.ConfigFile = *webConfig
	}
	if *check {
		if err := collector.CheckWebConfig(&cfg); err != nil {
			fmt.Fprintf(env.Stderr, "配置错误 / configuration error: %v\n", err)
			return 2
		}
		// The embedded data files are checked from a scratch copy, so that
		// checking writes nothing next to the config or under the data dir.
		n := 0
		cleanup, err := collector.UseEmbeddedRulesTemp(&cfg)
		defer cleanup()
		if err == nil {
			n, err = collector.CheckFiles(&cfg)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "规则错误 / rule error: %v\n", err)
			return 2
		}
		fmt.Fprintf(env.Stdout, "配置正确 / configuration OK: %s, %d rule files\n", nameOr(*cfgPath), n)
		for _, d := range cfg.ProbeDeprecations() {
			fmt.Fprintln(env.Stdout, "警告 / warning:", d)
		}
		if cfg.Tickets.On() {
			if l, err := cfg.SLA.Load(); err == nil {
				if ys := collector.HolidayYearsToWarn(l, env.clock().Now()); len(ys) > 0 {
					fmt.Fprintln(env.Stdout, "警告 / warning:", collector.HolidayWarning(ys, cfg.SLA.Holidays))
				}
			}
			lines, err := collector.SLAProfileLines(&cfg, samples)
			if err != nil {
				fmt.Fprintf(env.Stderr, "规则错误 / rule error: %v\n", err)
				return 2
			}
			for _, l := range lines {
				fmt.Fprintln(env.Stdout, l)
			}
		}
		return 0
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	srv, err := collector.NewServe(ctx, collector.Options{Config: cfg, ListenAddress: *listen, StoragePath: *storagePath, Logger: log,
		ReleaseStartupPages: true})
	if err != nil {
		fmt.Fprintf(env.Stderr, "roomwatch-collector: %v\n", err)
		return 1
	}
	if err := srv.Run(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "roomwatch-collector: %v\n", err)
		return 1
	}
	return 0
}

func nameOr(p string) string {
	if p == "" {
		return "embedded defaults / 内置默认配置"
	}
	return p
}
