package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/roomwatch/roomwatch/internal/buildinfo"
	"github.com/roomwatch/roomwatch/internal/web"
)

// Env is what the command line may use from the process, so that tests can
// run Main in-process.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
}

// Main is roomwatch-agent's command line; it returns the exit code.
//
//	--config FILE                the YAML file (default: embedded defaults)
//	--web.listen-address ADDR    overrides web.listen_address
//	--web.config.file FILE       TLS and basic-auth users (exporter-toolkit format)
//	--check-config               validate the config and exit (1 on error)
//	--version                    print the version and exit
//	--log.level LEVEL            debug, info, warn or error
func Main(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("roomwatch-agent", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	configPath := fs.String("config", "", "YAML configuration file (default: the embedded defaults) / 配置文件")
	listen := fs.String("web.listen-address", "", "HOST:PORT to serve /metrics on (overrides the config; default "+DefaultListenAddress+") / 监听地址")
	webConfig := fs.String("web.config.file", "", "exporter-toolkit web config: TLS, client CA, basic-auth users (overrides web.config_file) / TLS 与认证配置文件")
	check := fs.Bool("check-config", false, "check the configuration and exit; non-zero on error / 检查配置后退出")
	version := fs.Bool("version", false, "print the version and exit / 显示版本")
	logLevel := fs.String("log.level", "info", "log level: debug, info, warn, error / 日志级别")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "roomwatch-agent: host metrics for Prometheus (node_exporter names) / 主机监控代理")
		fmt.Fprintln(env.Stderr, "\nUsage: roomwatch-agent [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "roomwatch-agent: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *version {
		i := buildinfo.Get()
		fmt.Fprintf(env.Stdout, "roomwatch-agent %s (revision %s, %s)\n", i.Version, i.Revision, i.GoVersion)
		return 0
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(env.Stderr, "roomwatch-agent: --log.level: %v\n", err)
		return 2
	}
	cfg, err := LoadConfig(*configPath)
	if err == nil && *listen != "" {
		if err = checkAddress(*listen); err != nil {
			err = fmt.Errorf("--web.listen-address: %w", err)
		}
		cfg.Web.ListenAddress = Address(*listen)
	}
	if err == nil && *webConfig != "" {
		cfg.Web.ConfigFile = *webConfig
	}
	if err == nil && cfg.Web.ConfigFile != "" {
		_, err = web.LoadWebConfig(cfg.Web.ConfigFile)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "roomwatch-agent: %v\n", err)
		return 1
	}
	if *check {
		name := *configPath
		if name == "" {
			name = "embedded defaults"
		}
		push := ""
		if rw := cfg.RemoteWrite; rw != nil {
			push = fmt.Sprintf("; push to %s every %s, buffer %s", rw.URL, rw.Interval.Std(), rw.BufferDir)
		}
		fmt.Fprintf(env.Stdout, "config OK: %s (sources: %s%s)\n", name, strings.Join(enabledSources(&cfg), ", "), push)
		return 0
	}
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	tuneRuntime()
	err = runPlatform(ctx, logger, func(ctx context.Context) error {
		return Run(ctx, Options{Config: cfg, Logger: logger, ReleaseStartupPages: true})
	})
	if err != nil {
		logger.Error("roomwatch-agent stopped", "err", err)
		return 1
	}
	return 0
}

func enabledSources(cfg *Config) []string {
	var out []string
	for _, n := range SourceNames() {
		if cfg.sourceEnabled(n) {
			out = append(out, n)
		}
	}
	return out
}
