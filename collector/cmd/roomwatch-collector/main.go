// Command roomwatch-collector is the centre of roomwatch: probes, storage, alert
// rules, tickets with SLA timers, inspections and reports. See collector/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Asia/Shanghai on hosts without a zoneinfo database

	"github.com/roomwatch/roomwatch/collector/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.Env{Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
