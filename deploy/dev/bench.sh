#!/usr/bin/env bash
# make bench: runs every side-by-side benchmark script (deploy/dev/bench-*.sh), each
# comparing a roomwatch part with its anchor in one run, then the Go benchmarks.
# Figures are written up in docs/benchmarks.md. BENCH=agent,icmp limits the set.
set -euo pipefail
cd "$(dirname "$0")/../.."
want=",${BENCH:-},"
status=0
for script in deploy/dev/bench-*.sh; do
  name=$(basename "$script" .sh); name=${name#bench-}
  if [ "$want" != ",," ] && [[ "$want" != *",$name,"* ]]; then continue; fi
  echo "=== bench: $name ($script)"
  bash "$script" || { echo "bench $name failed" >&2; status=1; }
done
if [ "$want" = ",," ] || [[ "$want" == *",go,"* ]]; then
  echo "=== bench: go test -bench"
  go test -run '^$' -bench . -benchtime "${BENCHTIME:-1x}" ./... | grep -E '^(Benchmark|ok|FAIL|---)' || true
fi
exit $status
