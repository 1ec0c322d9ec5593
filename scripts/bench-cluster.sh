#!/usr/bin/env bash
# make bench-cluster: 1 and then 3 instances on one PostgreSQL database (N domains with policies
# and certificates, default 5,000), behind HAProxy. For each: the time for the monitor to check
# every domain against a loopback DNS server answering 50 ms late (as a distant one would), then
# policy fetches per second over TLS through the balancer. Prints both ratios (3 ÷ 1).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/scripts/env.sh"
N=${BENCH_DOMAINS:-5000}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
LATENCY_MS=${BENCH_DNS_LATENCY_MS:-50}
ADMIN_URL=${PORTCULLIS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
DB=portcullis_bench_cluster
URL="${ADMIN_URL%/*}/$DB"
export BENCH_DOMAINS=$N
for tool in wrk haproxy; do
  command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
done
work=$(mktemp -d)
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
trap 'stop_all; kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

cargo build --quiet --release -p server --example bench_setup
cargo build --quiet --release -p portcullis-dnscheck --features testing --bin portcullis-test-dns
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
echo "== setting up $N domains with policies and certificates"
"$CARGO_TARGET_DIR/release/examples/bench_setup" "$URL" "$work" "$N"

# The DNS server's first line is its address; it keeps running while its stdin is open.
mkfifo "$work/dns.in"
"$CARGO_TARGET_DIR/release/portcullis-test-dns" --latency-ms "$LATENCY_MS" <"$work/dns.in" >"$work/dns.out" &
dns_pid=$!
exec 3>"$work/dns.in"
for _ in $(seq 100); do [ -s "$work/dns.out" ] && break; sleep 0.1; done
dns_addr=$(head -1 "$work/dns.out")

run() { # instances
  local k=$1 https_ports=() i
  psql "$URL" -qc "DELETE FROM dns_checks" -c "DELETE FROM monitor_claims" -c "UPDATE domains SET monitor_due_at = 0" -c "DELETE FROM job_leases" \
    -c "DELETE FROM alerts" -c "DELETE FROM domain_events"
  local start end cpu0 cpu1
  start=$(date +%s.%N)
  cpu0=$(awk '/^cpu / {print $2+$3+$4+$7+$8, $5+$6}' /proc/stat)
  for i in $(seq 1 "$k"); do
    https_ports+=($((18500 + i)))
    PORTCULLIS_DATABASE_URL="$URL" PORTCULLIS_HTTP_ADDR=127.0.0.1:$((18400 + i)) \
      PORTCULLIS_HTTPS_ADDR=127.0.0.1:$((18500 + i)) PORTCULLIS_DNS_UPSTREAM="$dns_addr" \
      PORTCULLIS_MONITOR_INTERVAL_SECS=3600 PORTCULLIS_ALERT_INTERVAL_SECS=0 \
      PORTCULLIS_LOG=warn "$here/target/release/portcullis" serve &
    pids+=($!)
  done
  local checked=0
  while [ "$checked" -lt "$N" ]; do
    sleep 0.5
    checked=$(psql "$URL" -qAtc "SELECT count(DISTINCT domain_id) FROM dns_checks WHERE origin = 'monitor'")
  done
  end=$(date +%s.%N)
  cpu1=$(awk '/^cpu / {print $2+$3+$4+$7+$8, $5+$6}' /proc/stat)
  monitor=$(echo "$end - $start" | bc)
  # Share of the machine's CPU time that was busy while the monitor ran (the instances, the
  # database and the DNS server together): near 100 % means the checks wait on the CPU.
  busy=$(echo "$cpu0 $cpu1" | awk '{b = $3 - $1; i = $4 - $2; printf "%d", 100 * b / (b + i)}')
  twice=$(psql "$URL" -qAtc "SELECT count(*) - count(DISTINCT domain_id) FROM dns_checks")

  {
    echo "defaults"
    echo "    mode tcp"
    echo "    timeout connect 2s"
    echo "    timeout client 30s"
    echo "    timeout server 30s"
    echo "frontend tls"
    echo "    bind 127.0.0.1:18600"
    echo "    default_backend instances"
    echo "backend instances"
    for i in "${!https_ports[@]}"; do echo "    server i$i 127.0.0.1:${https_ports[$i]} check"; done
  } >"$work/haproxy.cfg"
  haproxy -db -f "$work/haproxy.cfg" &
  local lb=$!
  sleep 1
  wrk -t2 -c"$CONNS" -d"$DURATION" -s "$here/bench/hosts.lua" https://localhost:18600/.well-known/mta-sts.txt >"$work/wrk$k"
  kill "$lb"; wait "$lb" 2>/dev/null || true
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk$k")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk$k")
  stop_all
  printf '%d instance(s): monitor %6.1f s for %d domains (%s checked twice, CPU %s%% busy)   policy fetches %10s req/s   non-2xx %s\n' \
    "$k" "$monitor" "$N" "$twice" "$busy" "$rps" "${non2xx:-0}"
  eval "monitor$k=$monitor rps$k=$rps"
}

echo "== DNS answers $LATENCY_MS ms late; wrk -t2 -c$CONNS -d$DURATION over TLS through HAProxy, Host cycling over $N domains"
run 1
run 3
printf 'monitor: %.2fx faster with 3 instances (target >= 2.5x)\n' "$(echo "$monitor1 / $monitor3" | bc -l)"
printf 'policy fetches: %.2fx with 3 instances (two cores: no scale expected)\n' "$(echo "$rps3 / $rps1" | bc -l)"
exec 3>&-
wait "$dns_pid" 2>/dev/null || true
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
