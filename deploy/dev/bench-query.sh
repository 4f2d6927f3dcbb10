#!/usr/bin/env bash
# Query latency of the wall display's PromQL over a synthetic month for a county
# estate (5,000 devices, 24,700 series, 2-minute samples, 30 one-day blocks):
# roomwatch's embedded store and query API vs Debian's prometheus 2.42 opening a
# copy of the same blocks. Prints p50/p99 per query and the ratio.
# The blocks are generated once (about 6 minutes on 2 cores) into $BENCH_QUERY_DIR
# (default /tmp/roomwatch-bench-query) and reused. RUNS=30 sets runs per query.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${BENCH_QUERY_DIR:-/tmp/roomwatch-bench-query}
runs=${RUNS:-30}
work=$(mktemp -d)
prom_pid=
cleanup() { [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/benchquery" ./internal/devtools/bench/query
if [ ! -f "$data/bench.json" ]; then
  rm -rf "$data"
  "$work/benchquery" -generate -dir "$data"
fi
# Each side gets its own copy: both write a WAL and a lock file.
cp -r "$data" "$work/ours"
cp -r "$data" "$work/prom"
rm -f "$work/prom/bench.json"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# max-block-duration=1d keeps Prometheus from compacting the blocks during the run.
prometheus --config.file=/dev/null --storage.tsdb.path="$work/prom" --storage.tsdb.retention.time=60d \
  --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=1d \
  --web.listen-address="127.0.0.1:$port" > "$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/-/ready" > /dev/null && break; sleep 0.2; done
"$work/benchquery" -dir "$work/ours" -prometheus "http://127.0.0.1:$port" -runs "$runs"
