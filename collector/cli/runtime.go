package cli

import (
	"os"
	"runtime/debug"
)

// serveGCPercent is serve's GC target (GOGC) unless GOGC is set. The live
// heap of a collector is mostly the TSDB head (about 650 bytes a series:
// 100,000 series for 10,000 pinged cameras), and Go's resident memory
// follows the heap goal, live × (1 + GOGC/100). Serve over that fleet,
// side by side (docs/benchmarks.md): GOGC 100 222 MB RSS, 50 190 MB at
// 1.02 s CPU per sweep, 25 169 MB at 1.23–1.42 s, 15 160 MB at 1.75 s,
// 10 157 MB at 2.43 s. 25 keeps the CPU within the target of 3× fping's per
// sweep; below it the CPU grows faster than the memory shrinks. The one-shot
// commands keep Go's default.
const serveGCPercent = 25

// tuneServeRuntime sets serve's GC target unless the environment sets GOGC.
func tuneServeRuntime() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(serveGCPercent)
	}
}
