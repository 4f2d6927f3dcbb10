// Command roomwatch-agent serves a server's host metrics for Prometheus under
// node_exporter's names, plus watched processes and the host's description for
// roomwatch's asset inventory. See package agent and docs/agent.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Asia/Shanghai on hosts without a zoneinfo database

	"github.com/roomwatch/roomwatch/agent"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := agent.Main(ctx, agent.Env{Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
