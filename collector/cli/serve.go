package cli

import (
	"context"
	"fmt"
)

// runServe is replaced by the collector core (issue 5).
func runServe(ctx context.Context, env Env, args []string) int {
	fmt.Fprintln(env.Stderr, "roomwatch-collector: serve is not built yet")
	return 1
}
