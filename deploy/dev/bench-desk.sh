#!/usr/bin/env bash
# Duty desk and ticket list at county scale (internal/console/desk_bench_test.go):
# 5,000 devices, 1,000 open tickets and 30 days of closed tickets (200 a day).
# Target: desk and ticket list server time p95 under 200 ms. Prints p50/p95,
# CPU per request and page size per page, the 50-desk fan-out, and the load
# average before and after (other jobs on the machine move the wall times).
# BENCHTIME (default 100x) is the requests per page.
set -euo pipefail
cd "$(dirname "$0")/../.."
before=$(cut -d' ' -f1-3 /proc/loadavg)
out=$(go test -run '^$' -bench BenchmarkDeskPages -benchtime "${BENCHTIME:-100x}" ./internal/console/ 2>&1) || { echo "$out" >&2; exit 1; }
after=$(cut -d' ' -f1-3 /proc/loadavg)
echo "$out" | grep -E '^BenchmarkDeskPages/' |
  awk 'BEGIN{printf "%-32s %9s %9s %8s %9s\n","page","p50 ms","p95 ms","cpu ms","bytes"}
       {n=$1; sub(/^BenchmarkDeskPages\//,"",n); sub(/-[0-9]+$/,"",n); p="";q="";c="-";s="-";m=""
        for(i=1;i<=NF;i++){if($i=="p50-ms"||$i=="p50-last-desk-ms")p=$(i-1);if($i=="p95-ms"||$i=="p95-last-desk-ms")q=$(i-1)
          if($i=="cpu-ms/op")c=$(i-1);if($i=="bytes")s=$(i-1);if($i=="max-last-desk-ms")m=" (max "$(i-1)")"}
        printf "%-32s %9s %9s %8s %9s%s\n",n,p,q,c,s,m}'
echo "load average before: $before; after: $after ($(date -u +%H:%M) UTC)"
echo "$out" | grep -E '^(ok|FAIL|---)' || true
