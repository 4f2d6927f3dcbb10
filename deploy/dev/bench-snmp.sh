#!/usr/bin/env bash
# SNMP benchmarks, run side by side in one go (see docs/benchmarks.md):
#  1. The 59-port Cisco 3750 recording Debian's snmpsim ships, served by snmpsimd,
#     scraped by prometheus-snmp-exporter 0.21 (IF-MIB module with the same columns
#     as rules/profiles/if-mib.yml) and polled by roomwatch's engine. Both go
#     through one counting UDP relay, so PDUs are counted the same way.
#  2. Scale: 1,000 simulated UPS agents (in-memory responders on 1,000 loopback
#     ports, in their own process) polled once by the engine.
# Needs: snmpsim, prometheus-snmp-exporter, curl, go. Run as root or as a user
# snmpsimd may run as. N=scrapes per side (default 10).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-10}
work=$(mktemp -d /tmp/roomwatch-bench-snmp.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket,random
while True:
    p=random.randint(20000,32000)
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s=socket.socket(socket.AF_INET, kind)
        try: s.bind(("127.0.0.1",p))
        except OSError: s.close(); break
        s.close()
    else: print(p); break'; }

go build -o "$work/snmpbench" ./internal/devtools/bench/snmp

# --- 1. snmp_exporter vs roomwatch on the Cisco 3750 recording -------------
rec=$(dpkg -L snmpsim | grep 'cisco_16_switch.snmprec.gz$' | head -1)
mkdir -p "$work/data" "$work/cache"
gunzip -c "$rec" > "$work/data/cisco_16_switch.snmprec"
chmod -R a+rX "$work/data"
simuser=()
if [ "$(id -u)" = 0 ]; then chown snmpsim "$work/cache"; simuser=(--process-user=snmpsim --process-group=snmpsim); fi
simport=$(freeport)
snmpsimd --data-dir="$work/data" --cache-dir="$work/cache" --agent-udpv4-endpoint=127.0.0.1:$simport \
  "${simuser[@]}" --logging-method=null >"$work/snmpsimd.log" 2>&1 &
pids+=($!)
relayport=$(freeport); relayhttp=$(freeport)
"$work/snmpbench" -mode relay -listen 127.0.0.1:$relayport -to 127.0.0.1:$simport -http 127.0.0.1:$relayhttp >"$work/relay.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do snmpget -v2c -c cisco_16_switch -t 0.3 -r 0 127.0.0.1:$simport 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 && break; sleep 0.2; done
count() { curl -s "http://127.0.0.1:$relayhttp/"; }

# Same columns as rules/profiles/if-mib.yml; ifName/ifDescr/ifAlias/ifType as lookups.
cat >"$work/snmp.yml" <<YML
if_mib:
  version: 2
  max_repetitions: 25
  retries: 1
  timeout: 5s
  auth:
    community: cisco_16_switch
  walk:
  - 1.3.6.1.2.1.2.2.1.2
  - 1.3.6.1.2.1.2.2.1.3
  - 1.3.6.1.2.1.2.2.1.5
  - 1.3.6.1.2.1.2.2.1.7
  - 1.3.6.1.2.1.2.2.1.8
  - 1.3.6.1.2.1.2.2.1.13
  - 1.3.6.1.2.1.2.2.1.14
  - 1.3.6.1.2.1.2.2.1.19
  - 1.3.6.1.2.1.2.2.1.20
  - 1.3.6.1.2.1.31.1.1.1.1
  - 1.3.6.1.2.1.31.1.1.1.6
  - 1.3.6.1.2.1.31.1.1.1.10
  - 1.3.6.1.2.1.31.1.1.1.15
  - 1.3.6.1.2.1.31.1.1.1.18
  metrics:
YML
lookups='    indexes: [{labelname: ifIndex, type: gauge}]
    lookups:
    - {labels: [ifIndex], labelname: ifName, oid: 1.3.6.1.2.1.31.1.1.1.1, type: DisplayString}
    - {labels: [ifIndex], labelname: ifDescr, oid: 1.3.6.1.2.1.2.2.1.2, type: DisplayString}
    - {labels: [ifIndex], labelname: ifAlias, oid: 1.3.6.1.2.1.31.1.1.1.18, type: DisplayString}
    - {labels: [ifIndex], labelname: ifType, oid: 1.3.6.1.2.1.2.2.1.3, type: gauge}'
for m in ifSpeed:1.3.6.1.2.1.2.2.1.5:gauge ifAdminStatus:1.3.6.1.2.1.2.2.1.7:gauge ifOperStatus:1.3.6.1.2.1.2.2.1.8:gauge \
         ifInDiscards:1.3.6.1.2.1.2.2.1.13:counter ifInErrors:1.3.6.1.2.1.2.2.1.14:counter \
         ifOutDiscards:1.3.6.1.2.1.2.2.1.19:counter ifOutErrors:1.3.6.1.2.1.2.2.1.20:counter \
         ifHCInOctets:1.3.6.1.2.1.31.1.1.1.6:counter ifHCOutOctets:1.3.6.1.2.1.31.1.1.1.10:counter \
         ifHighSpeed:1.3.6.1.2.1.31.1.1.1.15:gauge; do
  IFS=: read -r name oid typ <<<"$m"
  printf '  - name: %s\n    oid: %s\n    type: %s\n%s\n' "$name" "$oid" "$typ" "$lookups" >>"$work/snmp.yml"
done
exp=/usr/bin/prometheus-snmp-exporter
expport=$(freeport)
"$exp" --config.file="$work/snmp.yml" --web.listen-address=127.0.0.1:$expport >"$work/exporter.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$expport/metrics" >/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$expport/snmp?target=127.0.0.1:$relayport&module=if_mib"

# Warm up both (snmpsimd indexes the recording on first use).
curl -sf "$url" >"$work/scrape.txt"
"$work/snmpbench" -mode poll -target 127.0.0.1:$relayport -community cisco_16_switch -profile if-mib -n 1 -profiles rules/profiles >/dev/null

c0=$(count); t0=$(date +%s.%N)
for _ in $(seq "$N"); do curl -sf "$url" >"$work/scrape.txt"; done
t1=$(date +%s.%N); c1=$(count)
exp_wall=$(echo "($t1 - $t0) / $N" | bc -l); exp_pdus=$(echo "($c1 - $c0) / $N" | bc -l)
exp_series=$(grep -c '^if' "$work/scrape.txt" || true)
exp_self=$(grep '^snmp_scrape_duration_seconds' "$work/scrape.txt" | awk '{print $2}')

c0=$(count); t0=$(date +%s.%N)
rw=$("$work/snmpbench" -mode poll -target 127.0.0.1:$relayport -community cisco_16_switch -profile if-mib -n "$N" -profiles rules/profiles)
t1=$(date +%s.%N); c1=$(count)
rw_wall=$(echo "$rw" | sed -n 's/.*wall_per_poll_s=\([0-9.]*\).*/\1/p')
rw_pdus=$(echo "($c1 - $c0) / $N" | bc -l)
rw_self=$(echo "$rw" | sed -n 's/.*requests_per_poll=\([0-9.]*\).*/\1/p')
rw_series=$(echo "$rw" | sed -n 's/.*samples=\([0-9]*\).*/\1/p')

echo
echo "## SNMP vs snmp_exporter: Cisco 3750 (59 ports, cisco_16_switch), IF-MIB, $N scrapes each, via a counting relay"
printf '%-28s %14s %14s %8s\n' "" "snmp_exporter" "roomwatch" "ratio"
printf '%-28s %14.4f %14.4f %8.3f\n' "wall time per scrape (s)" "$exp_wall" "$rw_wall" "$(echo "$rw_wall / $exp_wall" | bc -l)"
printf '%-28s %14.1f %14.1f %8.3f\n' "request PDUs per scrape" "$exp_pdus" "$rw_pdus" "$(echo "$rw_pdus / $exp_pdus" | bc -l)"
printf '%-28s %14s %14s\n' "series per scrape" "$exp_series" "$rw_series"
echo "(snmp_exporter's own snmp_scrape_duration_seconds: $exp_self s; roomwatch's own request count: $rw_self; anchor 0.34 s, 2,091 PDUs)"

# --- 2. scale: 1,000 UPS agents --------------------------------------------
base=$(python3 -c 'import random; print(random.randint(10000, 18000))')  # below the ephemeral range
"$work/snmpbench" -mode responder -rec testdata/snmprec/ups-apc-onbattery.snmprec -ports 1000 -base "$base" >"$work/responder.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$work/responder.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/responder.log" || { echo "responder failed:" >&2; cat "$work/responder.log" >&2; exit 1; }
echo
echo "## SNMP scale: 1,000 simulated UPS agents (APC profile + system + IF-MIB), one poll each, 200 at a time, $(nproc) cores"
"$work/snmpbench" -mode scale -base "$base" -ports 1000 -workers 200 -profiles rules/profiles
