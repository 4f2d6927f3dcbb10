package agent

import (
	"os"
	"runtime/debug"
)

// tuneRuntime keeps the agent's footprint small on servers that run real
// work: the heap is a few MB, so a lower GC target costs little CPU and keeps
// RSS down (see docs/benchmarks.md). GOGC and GOMEMLIMIT in the environment
// still win.
func tuneRuntime() {
	if !envSet("GOGC") {
		debug.SetGCPercent(50)
	}
	if !envSet("GOMEMLIMIT") {
		debug.SetMemoryLimit(16 << 20)
	}
}

func envSet(name string) bool {
	_, ok := os.LookupEnv(name)
	return ok
}
