#!/usr/bin/env bash
# Ticket intake throughput: 32 concurrent senders post 8,000 Alertmanager
# webhooks (half of them repeats) over loopback HTTP into the SQLite store
# (WAL, synchronous=FULL, group commit). Target: >= 2,000 alerts/s, p99 <= 50 ms.
# Use the default 1x: with more iterations the later ones post only repeats into
# the same database and flatter the figures.
# Prints alerts/s and p50/p99/max latency (send to 2xx, i.e. to commit).
set -euo pipefail
cd "$(dirname "$0")/../.."
go test -run '^$' -bench BenchmarkIngestHTTP -benchtime "${BENCHTIME:-1x}" ./internal/tickets/api/ | grep -E '^Benchmark' |
  awk '{for(i=1;i<=NF;i++){if($i=="alerts/s")a=$(i-1);if($i=="p50-ms")p=$(i-1);if($i=="p99-ms")q=$(i-1);if($i=="max-ms")m=$(i-1)}
       printf "%-12s %10s %8s %8s %8s %14s\n","run","alerts/s","p50 ms","p99 ms","max ms","vs 2000/s"; printf "%-12s %10s %8s %8s %8s %14.2f\n","tickets",a,p,q,m,a/2000}'
