// Command roomwatch-agent serves a server's host metrics for Prometheus under
// node_exporter's names, plus watched processes and the host's description for
// roomwatch's asset inventory. See package agent and docs/agent.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/roomwatch/roomwatch/agent"
)

// The agent sends Unix times only and never loads a named time zone, so it
// does without time/tzdata (450 KB of binary, and so of resident memory);
// the collector embeds it.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := agent.Main(ctx, agent.Env{Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
