#!/usr/bin/env bash
# Remote-write ingest throughput: roomwatch's receiver + embedded TSDB vs Debian's
# prometheus 2.42 (--web.enable-remote-write-receiver), the same pre-built payloads
# (WriteRequests of SERIES samples, SENDERS concurrent senders x REQUESTS each), one run.
# Prints samples/s for both and the ratio. Needs prometheus (make test-peers).
set -euo pipefail
cd "$(dirname "$0")/../.."
SENDERS=${SENDERS:-4} REQUESTS=${REQUESTS:-250} SERIES=${SERIES:-2000}
PROM=$(command -v prometheus || echo /usr/bin/prometheus)
[ -x "$PROM" ] || { echo "prometheus not installed (make test-peers)" >&2; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "$1 not ready" >&2; exit 1; }

go build -o "$tmp/rwbench" ./internal/devtools/bench/remotewrite
rw_port=$(free_port); prom_port=$(free_port)
"$tmp/rwbench" serve -dir "$tmp/rw-tsdb" -addr "127.0.0.1:$rw_port" 2>"$tmp/rw.log" & pids+=($!)
printf 'global: {}\n' >"$tmp/prometheus.yml"
"$PROM" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom-tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --web.enable-remote-write-receiver --log.level=warn 2>"$tmp/prom.log" & pids+=($!)
wait_ready "http://127.0.0.1:$rw_port/-/ready"
wait_ready "http://127.0.0.1:$prom_port/-/ready"

args=(-senders "$SENDERS" -requests "$REQUESTS" -series "$SERIES")
read -r rw_n rw_s rw_rate < <("$tmp/rwbench" load -url "http://127.0.0.1:$rw_port/api/v1/write" "${args[@]}")
read -r pr_n pr_s pr_rate < <("$tmp/rwbench" load -url "http://127.0.0.1:$prom_port/api/v1/write" "${args[@]}")

echo "remote-write ingest: $SENDERS senders x $REQUESTS requests x $SERIES samples, $(nproc) CPUs"
printf '%-34s %12s %10s %14s\n' side samples seconds samples/s
printf '%-34s %12s %10s %14s\n' "roomwatch receiver + TSDB" "$rw_n" "$rw_s" "$rw_rate"
printf '%-34s %12s %10s %14s\n' "prometheus $("$PROM" --version 2>&1 | awk 'NR==1{print $3}') receiver" "$pr_n" "$pr_s" "$pr_rate"
awk -v a="$rw_rate" -v b="$pr_rate" 'BEGIN { printf "ratio roomwatch/prometheus: %.2f\n", a/b }'
