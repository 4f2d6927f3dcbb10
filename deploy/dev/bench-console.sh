#!/usr/bin/env bash
# What the web console adds to roomwatch-collector: the collector serving
# $DEVICES inventory devices (tcp checks against closed loopback ports, so
# probes run at their normal rhythm), its RSS before any console request,
# then an admin browsing every page and $WALLS wall displays refreshing
# their panel every 10 s for $DURATION; the panel's server time gives the
# wall's update latency. A control minute without console requests comes
# first: the TSDB head keeps growing meanwhile, and the console's share is
# what the load phase adds beyond that. Run: deploy/dev/bench-console.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
devices=${DEVICES:-5000}
walls=${WALLS:-50}
duration=${DURATION:-60s}
settle=${SETTLE:-90}
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && tail -5 "$work/collector.log"; [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
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
{
  echo "global: {data_dir: $work/data, bureau: 某县公安局}"
  echo "inspections: {templates: $work/inspections}"
  echo "tickets: {rules: $PWD/rules/fault-levels.yml, audit_file: $work/audit.jsonl}"
  echo "sla: {dir: $PWD/rules/sla, holidays: $PWD/rules/calendars/cn-holidays.yml}"
  echo "inventory:"
  echo "  sites: [{name: central, display_name: 情指中心机房}, {name: east, display_name: 城东派出所}]"
  echo "  devices:"
  for i in $(seq 1 "$devices"); do
    site=central; [ $((i % 2)) = 0 ] && site=east
    echo "    - {name: dev$i, class: camera, address: 127.0.$((i / 250)).$((i % 250 + 1)), site: $site, checks: [tcp], probe: {tcp_ports: [1]}, interval: 60s}"
  done
} > "$work/collector.yml"
printf 'Initial-Pass-2024\n' | "$work/roomwatch-collector" user add admin --role admin --password-stdin --config "$work/collector.yml" > /dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$work/roomwatch-collector" --config "$work/collector.yml" --web.listen-address "127.0.0.1:$port" > "$work/collector.log" 2>&1 &
pid=$!
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/-/ready" > /dev/null && break; sleep 0.2; done
echo "machine: $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg); $devices devices, $walls wall displays"
sleep "$settle" # every device probed at least once (60 s interval) before the control
"$work/benchconsole" -url "http://127.0.0.1:$port" -pid "$pid" -initial Initial-Pass-2024 -password Bench-Pass-2024x \
  -walls "$walls" -duration "$duration"
