#!/usr/bin/env bash
# A daily inspection at county scale: 5,000 devices × 20 metric items (100,000
# rows) over one day of 2-minute samples (40,000 series, 28.8 M samples), run
# by roomwatch's inspection Runner on the embedded store and stored in the
# hash-chained record database; as the anchor, in the same run, the same 20
# PromQL queries sent to Debian's prometheus 2.42 opening a copy of the same
# block. Prints wall, CPU and RSS of both sides and the ratios.
# The block is generated once (about 20 s) into $BENCH_INSPECT_DIR (default
# /tmp/roomwatch-bench-inspect) and reused. RUNS=3 sets runs per side.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${BENCH_INSPECT_DIR:-/tmp/roomwatch-bench-inspect}
runs=${RUNS:-3}
work=$(mktemp -d)
prom_pid=
cleanup() { [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/benchinspect" ./internal/devtools/bench/inspect
if [ ! -f "$data/bench.json" ]; then
  rm -rf "$data"
  "$work/benchinspect" -generate -dir "$data"
fi
# Each side gets its own copy: both write a WAL and a lock file.
cp -r "$data" "$work/ours"
cp -r "$data" "$work/prom"
rm -f "$work/prom/bench.json"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prometheus --config.file=/dev/null --storage.tsdb.path="$work/prom" --storage.tsdb.retention.time=60d \
  --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=1d \
  --web.listen-address="127.0.0.1:$port" > "$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/-/ready" > /dev/null && break; sleep 0.2; done
echo "machine: $(nproc) cores; load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/benchinspect" -dir "$work/ours" -prometheus "http://127.0.0.1:$port" -prometheus-pid "$prom_pid" -runs "$runs"
