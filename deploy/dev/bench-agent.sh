#!/usr/bin/env bash
# Side-by-side: roomwatch-agent vs Debian's prometheus-node-exporter on this
# machine, in one run. Both serve on free loopback ports, both are scraped N
# times the way Prometheus scrapes (gzip), then for each: series count, RSS
# (VmRSS) and peak RSS (VmHWM) after the scrapes, CPU per scrape from
# /proc/PID/stat utime+stime delta / N, and agent/node_exporter ratios.
# Usage: deploy/dev/bench-agent.sh [N]   (default 200)
#        PUSH=1 deploy/dev/bench-agent.sh [N]   also runs roomwatch-collector on
#        loopback and has the agent push to it every PUSH_INTERVAL (default 1s)
#        with its on-disk buffer, during the scrapes.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-${N:-200}}
NE=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
[ -x "$NE" ] || { echo "node_exporter not found at $NE (apt-get install prometheus-node-exporter)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/roomwatch-agent" ./agent/cmd/roomwatch-agent
cat > "$work/agent.yml" <<YML
watch:
  - name: sshd
    process: sshd
  - name: cron
    process: cron
YML

# Three distinct free ports at once (picked one by one, the collector's could
# repeat the agent's, which is not bound yet).
read -r pa pn pc < <(python3 -c 'import socket
ss=[socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1",0))
print(*[s.getsockname()[1] for s in ss])')
if [ "${PUSH:-0}" = 1 ]; then
  CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/roomwatch-collector" ./collector/cmd/roomwatch-collector
  printf 'rules: {files: []}\nscrape: []\ntickets: {enabled: false}\n' > "$work/collector.yml"
  "$work/roomwatch-collector" --config "$work/collector.yml" --data-dir "$work/cdata" --web.listen-address "127.0.0.1:$pc" 2>"$work/collector.log" & pids+=($!)
  for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$pc/-/ready" && break; sleep 0.1; done
  cat >> "$work/agent.yml" <<YML
remote_write:
  url: http://127.0.0.1:$pc/api/v1/write
  buffer_dir: $work/buffer
  interval: ${PUSH_INTERVAL:-1s}
YML
fi
"$work/roomwatch-agent" --config "$work/agent.yml" --web.listen-address "127.0.0.1:$pa" 2>"$work/agent.log" & pids+=($!); apid=$!
"$NE" --web.listen-address "127.0.0.1:$pn" 2>"$work/ne.log" & pids+=($!); npid=$!
for p in $pa $pn; do
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$p/metrics" && break; sleep 0.1; done
done

alive() { kill -0 "$1" 2>/dev/null || { echo "$2 exited early; its log:" >&2; cat "$3" >&2; exit 1; }; }
alive $apid roomwatch-agent "$work/agent.log"; alive $npid node_exporter "$work/ne.log"
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
declare -A series rss hwm cpu anon file
for side in agent node_exporter; do
  if [ $side = agent ]; then pid=$apid; port=$pa; else pid=$npid; port=$pn; fi
  url="http://127.0.0.1:$port/metrics"
  series[$side]=$(curl -s "$url" | grep -vc '^#')
  t0=$(ticks $pid)
  for _ in $(seq "$N"); do curl -s --compressed -o /dev/null "$url"; done
  alive $pid $side "$work/$([ $side = agent ] && echo agent || echo ne).log"
  t1=$(ticks $pid)
  cpu[$side]=$(awk -v d=$((t1 - t0)) -v n="$N" -v hz="$hz" 'BEGIN{printf "%.2f", d*1000/hz/n}')
  rss[$side]=$(awk '/VmRSS/{printf "%.1f", $2/1024}' /proc/$pid/status)
  hwm[$side]=$(awk '/VmHWM/{printf "%.1f", $2/1024}' /proc/$pid/status)
  anon[$side]=$(awk '/^Anonymous:/{printf "%.1f", $2/1024}' /proc/$pid/smaps_rollup)
  file[$side]=$(awk '/^Rss:/{r=$2} /^Anonymous:/{a=$2} END{printf "%.1f", (r-a)/1024}' /proc/$pid/smaps_rollup)
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }'; }
size=$(stat -c %s "$work/roomwatch-agent")
printf 'agent vs node_exporter, %d scrapes each (gzip), %d CPUs, load %s\n' "$N" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %12s %14s %10s\n' metric roomwatch-agent node_exporter ratio
printf '%-22s %12s %14s %10s\n' series "${series[agent]}" "${series[node_exporter]}" "$(ratio "${series[agent]}" "${series[node_exporter]}")"
printf '%-22s %12s %14s %10s\n' "RSS MB (VmRSS)" "${rss[agent]}" "${rss[node_exporter]}" "$(ratio "${rss[agent]}" "${rss[node_exporter]}")"
printf '%-22s %12s %14s %10s\n' "  anon MB" "${anon[agent]}" "${anon[node_exporter]}" "$(ratio "${anon[agent]}" "${anon[node_exporter]}")"
printf '%-22s %12s %14s %10s\n' "  file-backed MB" "${file[agent]}" "${file[node_exporter]}" "$(ratio "${file[agent]}" "${file[node_exporter]}")"
printf '%-22s %12s %14s %10s\n' "peak RSS MB (VmHWM)" "${hwm[agent]}" "${hwm[node_exporter]}" "$(ratio "${hwm[agent]}" "${hwm[node_exporter]}")"
printf '%-22s %12s %14s %10s\n' "CPU ms per scrape" "${cpu[agent]}" "${cpu[node_exporter]}" "$(ratio "${cpu[agent]}" "${cpu[node_exporter]}")"
if [ "${PUSH:-0}" = 1 ]; then
  printf 'agent pushing every %s: %s gathers sent, %s pending\n' "${PUSH_INTERVAL:-1s}" \
    "$(curl -s "http://127.0.0.1:$pa/metrics" | awk '/^roomwatch_push_sent_records_total/{print $2}')" \
    "$(curl -s "http://127.0.0.1:$pa/metrics" | awk '/^roomwatch_pushbuf_pending_records/{print $2}')"
fi
printf 'agent binary: %.1f MB (CGO_ENABLED=0 -trimpath -ldflags "-s -w")\n' "$(awk -v s="$size" 'BEGIN{print s/1048576}')"
