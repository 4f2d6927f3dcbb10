#!/usr/bin/env bash
# Installs the real servers that roomwatch's tests start on loopback, from Debian's
# packages: snmpsim, net-snmp, Prometheus, Alertmanager, node_exporter, snmp_exporter,
# blackbox_exporter (bench-fleet.sh's anchor), fping, VictoriaMetrics, Chromium. Idempotent: does nothing when all are present.
# Without root it only reports what is missing (those tests then skip).
set -euo pipefail

packages=(snmpsim snmpd snmp prometheus prometheus-alertmanager prometheus-node-exporter
  prometheus-snmp-exporter prometheus-blackbox-exporter fping victoria-metrics chromium iproute2 procps poppler-utils time fonts-wqy-zenhei)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "test peers missing (tests that need them will skip): ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 0
fi
echo "installing test peers: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's packages start their daemons; tests start their own on other ports.
for svc in prometheus prometheus-alertmanager prometheus-node-exporter prometheus-snmp-exporter prometheus-blackbox-exporter snmpd victoria-metrics; do
  systemctl stop "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
done
id snmpsim >/dev/null 2>&1 || useradd -r snmpsim
