#!/usr/bin/env bash
# Side-by-side, in one run: the whole probe path of roomwatch-collector over a
# fleet of N loopback cameras (one inventory range, check icmp, 3 echoes 1 s
# apart) against fping 5.1 pinging the same addresses the same way
# (`fping -C 3 -p 1000 -i 0`):
#   1. `roomwatch-collector probe` (config, inventory, ICMP, text output) at
#      its default pace and unpaced (--icmp.rate -1, fping's -i 0) vs fping:
#      wall, CPU user+sys, max RSS from GNU time, median of RUNS runs
#      alternated; lost echoes on both sides.
#   2. `roomwatch-collector serve` sweeping the fleet every 60 s into its TSDB:
#      after WARMUP seconds (the first sweep creates the series), CPU per sweep
#      (utime+stime over SWEEPS × 60 s from /proc/PID/stat, divided by SWEEPS),
#      RSS (VmRSS) and peak (VmHWM) at the end, against fping's CPU per sweep
#      from part 1.
#   3. The issue's anchor, in the same window as part 2 (ANCHOR=1, the
#      default when both are installed): Prometheus 2.42 scraping
#      blackbox_exporter 0.23's icmp module for every camera every 60 s (one
#      echo per target), the same CPU and RSS figures summed over both
#      processes.
# Ratios are roomwatch/fping. Targets (issue 11): probe CPU ≤ 1.5× fping and
# wall ≤ fping; serve CPU per sweep ≤ 3× fping; serve RSS < 100 MB.
# Needs root (raw ICMP sockets for both), fping, /usr/bin/time, curl.
#   N=10000 RUNS=3 SWEEPS=3 WARMUP=75 ANCHOR=1 (SWEEPS=0 skips serve and the anchor)
# Bounded: serve runs WARMUP + SWEEPS×60 s, then is stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-10000}
RUNS=${RUNS:-3}
SWEEPS=${SWEEPS:-3}
WARMUP=${WARMUP:-75}
ANCHOR=${ANCHOR:-1}
if [ "$ANCHOR" = 1 ] && ! { command -v prometheus && command -v prometheus-blackbox-exporter; } >/dev/null; then
  echo "bench-fleet: prometheus or prometheus-blackbox-exporter missing (make test-peers): no anchor" >&2
  ANCHOR=0
fi
if [ "$(id -u)" -ne 0 ]; then echo "bench-fleet: needs root (raw ICMP)" >&2; exit 1; fi
for b in fping /usr/bin/time curl; do
  command -v "$b" >/dev/null || { echo "bench-fleet: $b missing (make test-peers)" >&2; exit 1; }
done
work=$(mktemp -d)
spid=
apids=()
cleanup() {
  [ -n "$spid" ] && kill "$spid" 2>/dev/null
  for p in "${apids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/roomwatch-collector" ./collector/cmd/roomwatch-collector

# The fleet: N consecutive addresses from 127.0.0.1 (all of 127/8 answers on
# loopback), as one inventory range and as fping's target file.
last=$(awk -v n="$N" 'BEGIN { printf "127.%d.%d.%d", int(n / 65536), int(n / 256) % 256, n % 256 }')
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "127.%d.%d.%d\n", int(i / 65536), int(i / 256) % 256, i % 256 }' >"$work/targets"
cat >"$work/collector.yml" <<YML
global:
  site: hq
inventory:
  sites: [{name: hq, display_name: 指挥中心}]
  devices:
    - name: cams
      class: camera
      range: 127.0.0.1-$last
      site: hq
      probes: [icmp]
probes:
  intervals: {camera: 60s}
rules: {files: []}
scrape: []
tickets: {enabled: false}
YML

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { if (x > 0) printf "%.2f", y / x; else print "-" }'; }

# measure NAME CMD...: appends "wall cpu rss_kb lost" to $work/NAME.
measure() {
  local name=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || true
  read -r wall user sys rss < <(tail -n 1 "$work/time")
  local lost
  case $name in
    fping) lost=$( (grep -o ' -' "$work/err" || true) | wc -l) ;;  # -C prints "-" per lost echo
    # loss ratio × 3 echoes per target, summed over targets
    *) lost=$(awk '/^roomwatch_ping_loss_ratio/ { s += $NF * 3 } END { printf "%d", s + 0.5 }' "$work/out") ;;
  esac
  echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}') $rss $lost" >>"$work/$name"
}

echo "fleet: $N loopback cameras x 3 echoes 1 s apart; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$RUNS"); do
  measure fping fping -C 3 -p 1000 -i 0 -q -f "$work/targets"
  measure probe "$work/roomwatch-collector" probe --config "$work/collector.yml"
  measure unpaced "$work/roomwatch-collector" probe --config "$work/collector.yml" --icmp.rate -1
done
echo
echo "roomwatch-collector probe (default pace 50,000 echoes/s; unpaced: --icmp.rate -1, as fping -i 0)"
echo "vs fping -C 3 -p 1000 -i 0 (median of $RUNS runs alternated); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %12s %12s %8s %12s %8s\n' metric fping probe ratio unpaced ratio
for f in 1 2 3 4; do
  label=$(echo "wall_s cpu_s maxrss_kb lost_echoes" | cut -d' ' -f$f)
  va=$(cut -d' ' -f$f "$work/fping" | median)
  vb=$(cut -d' ' -f$f "$work/probe" | median)
  vc=$(cut -d' ' -f$f "$work/unpaced" | median)
  printf '%-14s %12s %12s %8s %12s %8s\n' "$label" "$va" "$vb" "$(ratio "$va" "$vb")" "$vc" "$(ratio "$va" "$vc")"
done
fcpu=$(cut -d' ' -f2 "$work/fping" | median)

[ "$SWEEPS" -gt 0 ] || exit 0
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(freeport)
if [ "$ANCHOR" = 1 ]; then
  bport=$(freeport)
  pport=$(freeport)
  cat >"$work/blackbox.yml" <<YML
modules:
  icmp:
    prober: icmp
    timeout: 5s
    icmp: {preferred_ip_protocol: ip4}
YML
  {
    echo "global: {scrape_interval: 60s, scrape_timeout: 10s}"
    echo "scrape_configs:"
    echo "  - job_name: blackbox_icmp"
    echo "    metrics_path: /probe"
    echo "    params: {module: [icmp]}"
    echo "    static_configs:"
    echo "      - targets:"
    sed 's/^/          - /' "$work/targets"
    echo "    relabel_configs:"
    echo "      - {source_labels: [__address__], target_label: __param_target}"
    echo "      - {source_labels: [__param_target], target_label: instance}"
    echo "      - {target_label: __address__, replacement: '127.0.0.1:$bport'}"
  } >"$work/prometheus.yml"
  prometheus-blackbox-exporter --config.file "$work/blackbox.yml" --web.listen-address "127.0.0.1:$bport" \
    --log.level warn 2>"$work/blackbox.log" &
  apids+=($!)
  prometheus --config.file "$work/prometheus.yml" --storage.tsdb.path "$work/prom" \
    --web.listen-address "127.0.0.1:$pport" --log.level warn 2>"$work/prometheus.log" &
  apids+=($!)
fi
"$work/roomwatch-collector" serve --config "$work/collector.yml" --data-dir "$work/data" \
  --web.listen-address "127.0.0.1:$port" --log.level warn 2>"$work/serve.log" &
spid=$!
for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/-/ready" && break; sleep 0.1; done
kill -0 "$spid" 2>/dev/null || { echo "serve exited early; its log:" >&2; cat "$work/serve.log" >&2; exit 1; }
ticks() { awk '{print $14+$15}' "/proc/$spid/stat"; }
# anchor_ticks, anchor_kb FIELD: summed over Prometheus and blackbox_exporter.
anchor_ticks() { for p in "${apids[@]}"; do awk '{print $14+$15}' "/proc/$p/stat"; done | awk '{s += $1} END {print s + 0}'; }
anchor_kb() { for p in "${apids[@]}"; do awk -v f="$1:" '$1 == f {print $2}' "/proc/$p/status"; done | awk '{s += $1} END {print s + 0}'; }
hz=$(getconf CLK_TCK)
sleep "$WARMUP"
t0=$(ticks)
[ "$ANCHOR" = 1 ] && a0=$(anchor_ticks)
sleep $((SWEEPS * 60))
t1=$(ticks)
[ "$ANCHOR" = 1 ] && a1=$(anchor_ticks)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$spid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$spid/status")
anon=$(awk '/^RssAnon/ {print $2}' "/proc/$spid/status")
file=$(awk '/^RssFile/ {print $2}' "/proc/$spid/status")
if [ "$ANCHOR" = 1 ]; then
  arss=$(anchor_kb VmRSS)
  ahwm=$(anchor_kb VmHWM)
  aup=$(curl -sf "http://127.0.0.1:$pport/api/v1/query" --data-urlencode 'query=count(probe_success == 1)' |
    sed -n 's/.*"value":\[[^,]*,"\([0-9]*\)".*/\1/p')
  aseries=$(curl -sf "http://127.0.0.1:$pport/api/v1/query" --data-urlencode 'query=count({__name__=~".+"})' |
    sed -n 's/.*"value":\[[^,]*,"\([0-9]*\)".*/\1/p')
  for p in "${apids[@]}"; do kill "$p"; done
  wait "${apids[@]}" 2>/dev/null || true
  apids=()
  acpu=$(awk -v d=$((a1 - a0)) -v hz="$hz" -v n="$SWEEPS" 'BEGIN { printf "%.2f", d / hz / n }')
fi
up=$(curl -sf "http://127.0.0.1:$port/api/v1/query" --data-urlencode 'query=count(roomwatch_probe_up{probe="icmp"} == 1)' |
  sed -n 's/.*"value":\[[^,]*,"\([0-9]*\)".*/\1/p')
series=$(curl -sf "http://127.0.0.1:$port/api/v1/query" --data-urlencode 'query=count({__name__=~".+"})' |
  sed -n 's/.*"value":\[[^,]*,"\([0-9]*\)".*/\1/p')
kill "$spid"; wait "$spid" 2>/dev/null || true; spid=
scpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$SWEEPS" 'BEGIN { printf "%.2f", d / hz / n }')
echo
echo "roomwatch-collector serve, every 60 s, $SWEEPS sweeps after ${WARMUP}s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$ANCHOR" = 1 ]; then
  echo "anchor: Prometheus 2.42 + blackbox_exporter 0.23 (icmp, one echo per target) on the same fleet, same window"
  printf '%-22s %12s %12s %8s %12s %8s\n' metric fping serve ratio anchor ratio
  printf '%-22s %12s %12s %8s %12s %8s\n' cpu_s_per_sweep "$fcpu" "$scpu" "$(ratio "$fcpu" "$scpu")" "$acpu" "$(ratio "$acpu" "$scpu")"
  printf '%-22s %12s %12s %8s %12s %8s\n' rss_kb "-" "$rss" "" "$arss" "$(ratio "$arss" "$rss")"
  printf '%-22s %12s %12s %8s %12s %8s\n' peak_rss_kb "-" "$hwm" "" "$ahwm" "$(ratio "$ahwm" "$hwm")"
  printf '%-22s %12s %12s %8s %12s\n' cameras_up "$N" "${up:-?}" "" "${aup:-?}"
  printf '%-22s %12s %12s %8s %12s\n' series_in_tsdb "-" "${series:-?}" "" "${aseries:-?}"
  echo "(anchor ratios are serve/anchor)"
else
  printf '%-22s %12s %12s %8s\n' metric fping serve ratio
  printf '%-22s %12s %12s %8s\n' cpu_s_per_sweep "$fcpu" "$scpu" "$(ratio "$fcpu" "$scpu")"
  printf '%-22s %12s %12s\n' rss_kb "-" "$rss"
  printf '%-22s %12s %12s\n' peak_rss_kb "-" "$hwm"
  printf '%-22s %12s %12s\n' cameras_up "$N" "${up:-?}"
  printf '%-22s %12s %12s\n' series_in_tsdb "-" "${series:-?}"
fi
printf '%-22s %12s %12s\n' rss_anon_kb "-" "$anon"
printf '%-22s %12s %12s\n' rss_file_kb "-" "$file"
grep -iE 'level=(warn|error)' "$work/serve.log" | cut -c1-200 | sort | uniq -c | sort -rn | head -5 || true
