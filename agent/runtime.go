package agent

import (
	"os"
	"runtime/debug"
)

// tuneRuntime keeps the agent's footprint small on servers that run real
// work: the live heap is about 3 MB, so a lower GC target keeps RSS down by
// about 2 MB for a little more GC CPU (see docs/benchmarks.md). A soft memory
// limit was tried and dropped: with the runtime's total near it, the GC ran
// far more often for no RSS gain. GOGC in the environment still wins.
func tuneRuntime() {
	if !envSet("GOGC") {
		debug.SetGCPercent(50)
	}
}

func envSet(name string) bool {
	_, ok := os.LookupEnv(name)
	return ok
}
