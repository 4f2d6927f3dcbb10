#!/usr/bin/env bash
# make run: starts bin/roomwatch-agent in the background and bin/roomwatch-collector in
# the foreground, both on their embedded defaults. The collector scrapes the agent on
# 127.0.0.1:9110, evaluates rules/alerts, keeps its data under ./data and serves the
# console at http://127.0.0.1:9120/ (Prometheus API for Grafana at the same address).
# On the first run it creates the console account "admin" with a random initial
# password kept in data/initial-admin-password (changed at first login).
# Ctrl-C stops both. Extra arguments go to the collector.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p data
pwfile=data/initial-admin-password
# (No early-exiting reader in these pipelines: with pipefail a writer killed by SIGPIPE
# would fail the script.)
if ! bin/roomwatch-collector user list --data-dir data 2>/dev/null | grep '^admin\b' >/dev/null; then
  # 16 random letters and digits, plus one of each class the password policy asks for.
  pw="$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-16)Aa1"
  printf '%s\n' "$pw" | bin/roomwatch-collector user add admin --role admin --display-name 管理员 \
    --password-stdin --data-dir data >/dev/null
  (umask 077 && printf '%s\n' "$pw" >"$pwfile")
fi
bin/roomwatch-agent --web.listen-address 127.0.0.1:9110 2> data/agent.log &
agent=$!
trap 'kill $agent 2>/dev/null || true' EXIT
echo "roomwatch-agent on http://127.0.0.1:9110/metrics (log: data/agent.log)"
echo
echo "控制台 console: http://127.0.0.1:9120/"
if [ -s "$pwfile" ]; then
  echo "  登录 log in as: admin / $(cat "$pwfile")   (首次登录须修改密码 you choose a new password at first login)"
else
  echo "  登录 log in with your account (roomwatch-collector user add NAME --role admin --password-stdin --data-dir data)"
fi
echo "Ctrl-C to stop / 按 Ctrl-C 停止"
echo
bin/roomwatch-collector --web.listen-address 127.0.0.1:9120 "$@"
