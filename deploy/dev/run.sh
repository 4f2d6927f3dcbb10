#!/usr/bin/env bash
# make run: starts bin/roomwatch-agent in the background and bin/roomwatch-collector in
# the foreground, both on their embedded defaults. The collector scrapes the agent on
# 127.0.0.1:9110, evaluates rules/alerts, and keeps its data under ./data.
# Open http://127.0.0.1:9120/ (Prometheus API for Grafana at the same address).
# Ctrl-C stops both. Extra arguments go to the collector.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p data
bin/roomwatch-agent --web.listen-address 127.0.0.1:9110 2> data/agent.log &
agent=$!
trap 'kill $agent 2>/dev/null || true' EXIT
echo "roomwatch-agent on http://127.0.0.1:9110/metrics (log: data/agent.log)"
echo "roomwatch-collector on http://127.0.0.1:9120/ — Ctrl-C to stop / 按 Ctrl-C 停止"
bin/roomwatch-collector --web.listen-address 127.0.0.1:9120 "$@"
