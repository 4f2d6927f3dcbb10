// Package cli is roomwatch-collector's command line: `serve` (the default) runs
// the collector; the other subcommands (probe, tickets, inspect, report) are
// tools for engineers, each in a file of its own. main stays a one-liner.
package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/jonboulle/clockwork"

	"github.com/roomwatch/roomwatch/collector"
)

// Env is what a subcommand may use from the process: arguments are passed
// separately so that tests can run commands in-process.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	// Clock is what "now" is for the commands (the real clock when nil;
	// tests pass a fake one).
	Clock clockwork.Clock
	// Stdin is where --password-stdin reads (os.Stdin when nil).
	Stdin io.Reader
}

// clock returns the Env's clock, the real one when none is set.
func (e Env) clock() clockwork.Clock {
	if e.Clock == nil {
		return clockwork.NewRealClock()
	}
	return e.Clock
}

// command is one subcommand; run returns the process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) int
}

// commands lists the subcommands. Each lives in its own file.
func commands() map[string]command {
	return map[string]command{
		"serve":   {summary: "run the collector (default when the first argument is a flag)", run: runServe},
		"probe":   {summary: "probe devices once and print what they answer (Prometheus text) / 探测设备", run: runProbe},
		"tickets": {summary: "list, show and act on tickets through a collector's API / 工单", run: runTickets},
		"inspect": {summary: "run an inspection (here or on a collector), list, show, complete, sign, verify / 巡检", run: runInspect},
		"report":  {summary: "write the daily, monthly, quarterly or asset report (HTML, Excel) / 报表", run: runReport},
		"silence": {summary: "add, list and expire maintenance windows through a collector's API / 计划维护（屏蔽）", run: runSilence},
		"roster":  {summary: "show the duty roster and add, list and remove its overrides through a collector's API / 值班表", run: runRoster},
		"user":    {summary: "add, list, reset, disable and enable console accounts / 用户账户", run: runUser},
		"backup":  {summary: "take a consistent copy of the data directory, also while serving / 备份", run: runBackup},
		"restore": {summary: "put a backup into a new, empty data directory / 恢复", run: runRestore},
		"verify":  {summary: "verify the hash chains of inspections, ticket events and the audit log, and stated heads / 记录完整性校验", run: runVerify},
	}
}

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, env Env, args []string) int {
	cmds := commands()
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage(env.Stdout, cmds)
		return 0
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "roomwatch-collector: unknown command %q\n\n", name)
		usage(env.Stderr, cmds)
		return 2
	}
	return cmd.run(ctx, env, args)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "roomwatch-collector: monitoring, alerts, tickets and inspections for police machine rooms")
	fmt.Fprintln(w, "roomwatch-collector 机房监控、告警、工单与巡检中心")
	fmt.Fprintln(w, "\nUsage: roomwatch-collector [command] [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'roomwatch-collector COMMAND --help' for a command's flags.")
}

// loadConfig reads the config file (the embedded defaults when path is
// empty) and points the data-file paths it leaves at their defaults at the
// binary's embedded copies, in a scratch directory that cleanup removes.
// A non-zero code is the exit code to return: 2, a configuration error,
// already reported on stderr.
func loadConfig(env Env, path string) (cfg *collector.Config, cleanup func(), code int) {
	c, err := collector.LoadConfig(path)
	if err != nil {
		fmt.Fprintf(env.Stderr, "配置错误 / configuration error: %v\n", err)
		return nil, func() {}, 2
	}
	cleanup, err = collector.UseEmbeddedRulesTemp(&c)
	if err != nil {
		fmt.Fprintf(env.Stderr, "配置错误 / configuration error: %v\n", err)
		return nil, cleanup, 2
	}
	return &c, cleanup, 0
}
