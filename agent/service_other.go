//go:build !windows

package agent

import (
	"context"
	"log/slog"
)

// runPlatform runs the agent in the foreground; systemd (see
// deploy/systemd/roomwatch-agent.service) stops it with SIGTERM, which main
// turns into ctx cancellation.
func runPlatform(ctx context.Context, _ *slog.Logger, run func(context.Context) error) error {
	return run(ctx)
}
