#!/usr/bin/env bash
# Side-by-side benchmark of the SLA calendar arithmetic (internal/calendar):
# roomwatch's day-skipping Add/Elapsed against the obvious minute-stepping
# implementation (the anchor) on the same inputs, in one run. Prints a table with
# both sides and the ratio. BENCHTIME (default 1s) is passed to go test.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(go test -run '^$' -bench '^BenchmarkCalendar$' -benchtime "${BENCHTIME:-1s}" ./internal/calendar/)
echo "$out" | grep -E '^Benchmark' >&2 || { echo "$out" >&2; exit 1; }
echo "$out" | awk '
  /^BenchmarkCalendar\// {
    split($1, p, "/"); side = p[3]; sub(/-[0-9]+$/, "", side); name = p[2]
    ns[name, side] = $3; names[name] = 1
  }
  END {
    printf "%-22s %16s %16s %10s\n", "case", "roomwatch ns/op", "minute-step ns/op", "speed-up"
    for (n in names) printf "%-22s %16.0f %16.0f %9.0fx\n", n, ns[n, "roomwatch"], ns[n, "minute-step"], ns[n, "minute-step"] / ns[n, "roomwatch"]
  }'
