#!/usr/bin/env bash
# Time of `roomwatch-collector report monthly` over a synthetic month for a
# county estate: 5,000 devices with roomwatch_probe_up every 2 minutes for the
# 30 days of 2026-09 (108 M samples in 30 one-day blocks), ~1,500 tickets and
# 30 daily inspection runs of 5,000 rows. Target: under 30 s (aim: under 10 s).
# Then the availability alone, TSDB read directly against PromQL, as a ratio.
# The data is generated once (a few minutes on 2 cores) into $BENCH_REPORT_DIR
# (default /tmp/roomwatch-bench-report) and reused; each run works on a copy.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${BENCH_REPORT_DIR:-/tmp/roomwatch-bench-report}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/benchreport" ./internal/devtools/bench/report
go build -o "$work/roomwatch-collector" ./collector/cmd/roomwatch-collector
if [ ! -f "$data/collector.yml" ]; then
  rm -rf "$data"
  "$work/benchreport" -dir "$data" -root "$PWD"
fi
# The report opens the TSDB (it writes a lock and a WAL): give it a copy.
cp -r "$data" "$work/run"
sed "s|$data/data|$work/run/data|" "$data/collector.yml" > "$work/run/collector.yml"
/usr/bin/time -v "$work/roomwatch-collector" report monthly --month 2026-09 \
  --config "$work/run/collector.yml" --out "$work/out" 2> "$work/stderr" > /dev/null || { cat "$work/stderr"; exit 1; }
grep -E '^\[' "$work/stderr"
wall=$(grep 'Elapsed (wall clock)' "$work/stderr" | awk '{print $NF}')
user=$(grep 'User time' "$work/stderr" | awk '{print $NF}')
sys=$(grep 'System time' "$work/stderr" | awk '{print $NF}')
rss=$(grep 'Maximum resident' "$work/stderr" | awk '{print $NF}')
secs=$(python3 -c "p='$wall'.split(':'); print(sum(float(x)*60**i for i,x in enumerate(reversed(p))))")
printf '\n%-28s %12s %12s %8s\n' "report monthly (5,000 dev)" "measured" "target" "ratio"
printf '%-28s %11.1fs %11ss %8.2f\n' "wall" "$secs" 30 "$(python3 -c "print($secs/30)")"
printf '%-28s %11.1fs\n' "CPU (user+sys)" "$(python3 -c "print($user+$sys)")"
printf '%-28s %10.0fMB\n' "max RSS" "$(python3 -c "print($rss/1024)")"
ls -la "$work/out"
# Availability alone, in one run: PromQL range queries (the --url path) against
# reading the TSDB directly (the default), on the same copy; both must agree.
rm -f "$work/run/data/tsdb/lock"
ROOMWATCH_BENCH_REPORT_DATA="$work/run/data" go test -run '^$' -bench '^BenchmarkAvailability$' -benchtime 1x \
  -timeout 20m ./internal/report/ > "$work/bench" || { cat "$work/bench"; exit 1; }
promql=$(awk '/BenchmarkAvailability\/promql/ {print $3/1e9}' "$work/bench")
tsdb=$(awk '/BenchmarkAvailability\/tsdb/ {print $3/1e9}' "$work/bench")
printf '\n%-28s %12s %12s %8s\n' "availability (5,000 dev)" "TSDB direct" "PromQL" "ratio"
printf '%-28s %11.1fs %11.1fs %8.2f\n' "September 2026" "$tsdb" "$promql" "$(python3 -c "print($tsdb/$promql)")"
