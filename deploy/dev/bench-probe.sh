#!/usr/bin/env bash
# Side-by-side benchmark of the Hikvision ISAPI check (internal/probe/camera):
# roomwatch's check (five digest-authenticated GETs, parsed) against the anchor,
# one `curl --digest` process fetching the same five URLs (no parsing), both
# against the same loopback NVR simulator, in one run. Prints both sides and the
# ratio. BENCHTIME (default 2s) is passed to go test.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(go test -run '^$' -bench '^BenchmarkISAPICheck$' -benchtime "${BENCHTIME:-2s}" ./internal/probe/camera/)
echo "$out" | grep -E '^Benchmark' >&2 || { echo "$out" >&2; exit 1; }
echo "$out" | awk '
  /^BenchmarkISAPICheck\// { split($1, p, "/"); side = p[2]; sub(/-[0-9]+$/, "", side); ns[side] = $3 }
  END {
    printf "%-28s %16s %16s %10s\n", "case", "roomwatch ns/op", "curl ns/op", "speed-up"
    printf "%-28s %16.0f %16.0f %9.1fx\n", "ISAPI check, 5 digest GETs", ns["roomwatch"], ns["curl"], ns["curl"] / ns["roomwatch"]
  }'
