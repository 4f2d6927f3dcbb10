#!/usr/bin/env bash
# Side-by-side: roomwatch's ICMP pinger (internal/probe/icmp, via its pingbench
# command) against fping 5.1 on the same loopback targets, 3 echoes each.
# Prints wall time, CPU (user+sys) and max RSS (from GNU time) and loss, the
# median of RUNS alternating runs (default 3), with the ratio roomwatch/fping.
# Needs root (raw sockets; fping -i 0), fping and /usr/bin/time.
#   N=10000 (targets) N2=100000 (the large case; 0 skips it) RUNS=3
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-10000}
N2=${N2:-100000}
RUNS=${RUNS:-3}
if [ "$(id -u)" -ne 0 ]; then echo "bench-icmp: needs root (raw ICMP, fping -i 0)" >&2; exit 1; fi
for b in fping /usr/bin/time; do
  command -v "$b" >/dev/null || { echo "bench-icmp: $b missing (make test-peers)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/pingbench" ./internal/devtools/bench/ping

# targets FILE N: N loopback addresses from 127.0.0.1, skipping .0 and .255,
# the same sequence pingbench -n uses.
targets() {
  awk -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "127.%d.%d.%d\n", int(i / (254 * 256)), int(i / 254) % 256, i % 254 + 1 }' >"$1"
}

# measure NAME CMD...: runs CMD under GNU time; appends "wall cpu rss_kb lost" to $tmp/NAME.
measure() {
  local name=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || true
  # GNU time puts "Command exited with non-zero status N" first when it does.
  read -r wall user sys rss < <(tail -n 1 "$tmp/time")
  local lost
  case $name in
    fping*) lost=$( (grep -o ' -' "$tmp/err" || true) | wc -l) ;;  # -C prints "-" per lost echo
    *) lost=$(sed -n 's/.* sent=\([0-9]*\) received=\([0-9]*\) .*/\1 \2/p' "$tmp/out" | awk '{print $1-$2}') ;;
  esac
  echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}') $rss ${lost:-?}" >>"$tmp/$name"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# row LABEL A B: the median of field F of runs A and B, and B/A.
table() {
  local a=$1 b=$2 title=$3
  echo
  echo "$title"
  printf '%-14s %12s %12s %8s\n' metric "$a" "$b" ratio
  local f label
  for f in 1 2 3 4; do
    label=$(echo "wall_s cpu_s maxrss_kb lost_echoes" | cut -d' ' -f$f)
    local va vb
    va=$(cut -d' ' -f$f "$tmp/$a" | median)
    vb=$(cut -d' ' -f$f "$tmp/$b" | median)
    printf '%-14s %12s %12s %8s\n' "$label" "$va" "$vb" "$(awk -v x="$va" -v y="$vb" 'BEGIN{ if (x > 0) printf "%.2f", y/x; else print "-" }')"
  done
}

targets "$tmp/t1" "$N"
for _ in $(seq "$RUNS"); do
  measure fping "fping" -C 3 -q -i 0 -p 10 -f "$tmp/t1"
  measure roomwatch "$tmp/pingbench" -f "$tmp/t1" -count 3 -interval 10ms -timeout 1s -rate -1
  measure roomwatch-paced "$tmp/pingbench" -f "$tmp/t1" -count 3 -interval 10ms -timeout 1s
done
echo "ICMP: $N loopback targets x 3 echoes, median of $RUNS runs (fping -C 3 -q -i 0 -p 10 vs pingbench -rate -1 / default rate)"
table fping roomwatch "unpaced (like fping -i 0)"
table fping roomwatch-paced "roomwatch at its default pace (50,000 echoes/s)"

if [ "$N2" -gt 0 ]; then
  targets "$tmp/t2" "$N2"
  # fping 5.1 keeps one 16-bit sequence space for all targets: past 65,535
  # echoes in flight it stops with "not enough sequence numbers available".
  fping -C 3 -q -i 0 -p 10 -f "$tmp/t2" >/dev/null 2>"$tmp/fping-large.err" || true
  if grep -q 'fping error' "$tmp/fping-large.err"; then
    echo
    echo "fping on $N2 targets: $(grep -m1 'fping error' "$tmp/fping-large.err")"
  fi
  for _ in $(seq "$RUNS"); do
    measure roomwatch-large "$tmp/pingbench" -f "$tmp/t2" -count 3 -interval 10ms -timeout 1s -rate -1
    measure roomwatch-large-paced "$tmp/pingbench" -f "$tmp/t2" -count 3 -interval 10ms -timeout 1s
  done
  table roomwatch-large-paced roomwatch-large "$N2 targets x 3 echoes, roomwatch only: default pace vs unpaced (target: under 10 s)"
fi
