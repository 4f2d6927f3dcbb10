#!/usr/bin/env bash
# What the web console adds to roomwatch-collector, and how fast a ticket
# change reaches the wall displays and duty desks. The collector serves
# $DEVICES inventory devices (tcp checks against closed loopback ports, so
# probes run at their normal rhythm) and is run twice on a fresh data
# directory each time, under the same probe load and the same timetable
# ($SETTLE s to settle, a control of $IDLE, then $DURATION):
#   1. console.enabled: false: its RSS alone (the APIs and probes);
#   2. console on: its RSS in the control, then while an admin browses
#      every page and $WALLS wall displays and $DESKS duty desks hold their
#      event streams and re-read their panel on each change, and $CHANGES
#      alerts posted to the webhook (one every $GAP) each open a ticket:
#      the update latency is from the post to a display holding a panel
#      that shows the ticket.
# The console's RSS share is run 2 minus run 1 over the same minutes.
# Run: deploy/dev/bench-console.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
devices=${DEVICES:-5000}
walls=${WALLS:-50}
desks=${DESKS:-10}
changes=${CHANGES:-10}
gap=${GAP:-5s}
duration=${DURATION:-60s}
settle=${SETTLE:-90}
idle=${IDLE:-60s}
work=$(mktemp -d)
pid=
stop_collector() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi; }
cleanup() { [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && tail -5 "$work/collector.log"; stop_collector; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/roomwatch-collector" ./collector/cmd/roomwatch-collector
go build -o "$work/benchconsole" ./internal/devtools/bench/console
mkdir -p "$work/inspections"
cat > "$work/inspections/daily.yml" <<'T'
name: daily
title: 每日巡检检查表
rhythm: daily
schedule: "0 3 1 1 *"
items:
  - id: room_walk
    name: 机房巡视
    name_en: Machine room walk-through
    scope: site
    manual: {hint: 查看指示灯}
T
# config ENABLED writes the collector's configuration, console on or off.
config() {
  echo "global: {data_dir: $work/data, bureau: 某县公安局}"
  echo "console: {enabled: $1}"
  echo "auth: {intake: {open_on_loopback: true}}"
  echo "inspections: {templates: $work/inspections}"
  echo "tickets: {rules: $PWD/rules/fault-levels.yml, audit_file: $work/audit.jsonl}"
  echo "sla: {dir: $PWD/rules/sla, holidays: $PWD/rules/calendars/cn-holidays.yml}"
  echo "inventory:"
  echo "  sites: [{name: central, display_name: 情指中心机房}, {name: east, display_name: 城东派出所}]"
  echo "  devices:"
  for i in $(seq 1 "$devices"); do
    site=central; [ $((i % 2)) = 0 ] && site=east
    echo "    - {name: dev$i, class: camera, address: 127.0.$((i / 250)).$((i % 250 + 1)), site: $site, probes: [tcp], probe_options: {tcp_ports: [1]}, interval: 60s}"
  done
}
# start ENABLED starts a collector on a fresh data directory.
start() {
  rm -rf "$work/data" "$work/audit.jsonl"
  config "$1" > "$work/collector.yml"
  printf 'Initial-Pass-2024\n' | "$work/roomwatch-collector" user add admin --role admin --password-stdin --config "$work/collector.yml" > /dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$work/roomwatch-collector" --config "$work/collector.yml" --web.listen-address "127.0.0.1:$port" > "$work/collector.log" 2>&1 &
  pid=$!
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/-/ready" > /dev/null && break; sleep 0.2; done
  sleep "$settle" # every device probed at least once (60 s interval) before the control
}
echo "machine: $(nproc) cores; $devices devices, $walls wall displays, $desks duty desks, $changes ticket changes"
echo "== run 1: console.enabled false; uptime: $(uptime)"
start false
"$work/benchconsole" -url "http://127.0.0.1:$port" -pid "$pid" -rss-only -idle "$idle" -duration "$duration" > "$work/off.txt"
cat "$work/off.txt"
off=$(grep '^SUMMARY' "$work/off.txt")
stop_collector
echo "== run 2: console on; uptime: $(uptime)"
start true
"$work/benchconsole" -url "http://127.0.0.1:$port" -pid "$pid" -initial Initial-Pass-2024 -password Bench-Pass-2024x \
  -idle "$idle" -walls "$walls" -desks "$desks" -changes "$changes" -gap "$gap" -duration "$duration" > "$work/on.txt"
cat "$work/on.txt"
on=$(grep '^SUMMARY' "$work/on.txt")
stop_collector
echo "== uptime at the end: $(uptime)"
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<< "$2"; }
for f in idle_mean_mb load_mean_mb load_peak_mb; do
  a=$(field "$f" "$off"); b=$(field "$f" "$on")
  echo "console RSS share ($f): off $a MB, on $b MB, difference $(python3 -c "print(f'{$b-$a:+.1f}')") MB (target: under 20 MB)"
done
