package agent

import (
	"os"
	"runtime"
	"runtime/debug"
)

// tuneRuntime keeps the agent's footprint small on servers that run real
// work: the live heap is about 3 MB, so a lower GC target keeps RSS down by
// about 2 MB for a little more GC CPU (see docs/benchmarks.md). A soft memory
// limit was tried and dropped: with the runtime's total near it, the GC ran
// far more often for no RSS gain.
//
// The agent also runs on one P: a scrape fans out to one goroutine per source,
// and with several Ps the scheduler spins idle threads (futex and nanosleep
// storms) handing those goroutines around, which cost more CPU than the sources
// themselves (11.5 ms against 7.2 ms per scrape here, see docs/benchmarks.md).
// A source stuck in a system call (statfs on a hung NFS mount) still cannot
// stall the others: the runtime hands the P to another thread while a goroutine
// blocks in a syscall. GOGC and GOMAXPROCS in the environment still win.
func tuneRuntime() {
	if !envSet("GOGC") {
		debug.SetGCPercent(50)
	}
	if !envSet("GOMAXPROCS") {
		runtime.GOMAXPROCS(1)
	}
}

func envSet(name string) bool {
	_, ok := os.LookupEnv(name)
	return ok
}
