#!/usr/bin/env bash
# Ticket intake throughput: 32 concurrent senders post 8,000 Alertmanager
# webhooks over loopback HTTP into the SQLite store (WAL, synchronous=FULL,
# group commit), in two mixes: half-repeats (each alert sent twice, as
# Alertmanager resends) and unique (every alert opens a ticket).
# Target: >= 2,000 alerts/s, p99 <= 50 ms (send to 2xx, i.e. to commit).
# Prints alerts/s, p50/p99/max latency, the ratio to 2,000/s and the load
# average (other jobs on the machine move the figures).
set -euo pipefail
cd "$(dirname "$0")/../.."
load=$(cut -d' ' -f1-3 /proc/loadavg)
go test -run '^$' -bench BenchmarkIngestHTTP -benchtime "${BENCHTIME:-1x}" ./internal/tickets/api/ | grep -E '^BenchmarkIngestHTTP/' |
  awk -v load="$load" 'BEGIN{printf "%-14s %10s %8s %8s %8s %10s  %s\n","mix","alerts/s","p50 ms","p99 ms","max ms","vs 2000/s","load before"}
       {n=$1; sub(/^BenchmarkIngestHTTP\//,"",n); sub(/-[0-9]+$/,"",n)
        for(i=1;i<=NF;i++){if($i=="alerts/s")a=$(i-1);if($i=="p50-ms")p=$(i-1);if($i=="p99-ms")q=$(i-1);if($i=="max-ms")m=$(i-1)}
        printf "%-14s %10.0f %8s %8s %8s %10.2f  %s\n",n,a,p,q,m,a/2000,load}'
