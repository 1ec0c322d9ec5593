#!/usr/bin/env bash
# make bench-dns-server: the built-in DNS server holding N delegated domains (default 10,000) on
# PostgreSQL, then NSD serving the same records from a zone file, on this machine with the same
# query mix (each domain's _mta-sts TXT, _smtp._tls TXT and mta-sts A, plus one name in twenty
# that does not exist). For each: queries per second at full load (dnsperf, UDP) with lost
# queries, then latencies at a fixed rate with p50 and p99. Not part of `make test`.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/scripts/env.sh"
N=${BENCH_DOMAINS:-10000}
DURATION=${BENCH_DURATION:-10}
RATE=${BENCH_LATENCY_QPS:-5000}
ADMIN_URL=${PORTCULLIS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
DB=portcullis_bench_dns
URL="${ADMIN_URL%/*}/$DB"
ZONE=sts.bench
OURS=18654
NSD_PORT=18653
for tool in dnsperf nsd dig; do
  command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsperf nsd dnsutils >/dev/null
done
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

cargo build --quiet --release -p server --bin portcullis --example bench_setup
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
echo "== setting up $N proven domains with policies"
"$CARGO_TARGET_DIR/release/examples/bench_setup" "$URL" "$work" "$N" >/dev/null
psql "$URL" -qAtF' ' -c "SELECT d.proof_token, v.policy_id FROM domains d JOIN policy_versions v \
  ON v.id = (SELECT MAX(id) FROM policy_versions WHERE domain_id = d.id) WHERE d.proven_at IS NOT NULL" >"$work/tokens"
echo "$(wc -l <"$work/tokens") delegated domains"

# The query mix, shuffled once so both servers get the same order.
awk -v z="$ZONE" '{
  print "_mta-sts." $1 "." z " TXT"; print "_smtp._tls." $1 "." z " TXT"; print "mta-sts." $1 "." z " A";
  if (NR % 7 == 0) print "_mta-sts.missing" NR "." z " TXT"
}' "$work/tokens" | shuf --random-source=<(yes) >"$work/queries"

# The same records as a zone file for NSD.
rua="v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.bench,https://portcullis.bench/tlsrpt"
{
  echo "\$ORIGIN $ZONE."
  echo "@ 3600 IN SOA portcullis.bench. hostmaster.$ZONE. 1 3600 600 1209600 60"
  echo "@ 3600 IN NS portcullis.bench."
  awk -v rua="$rua" '{
    print "_mta-sts." $1 " 60 IN TXT \"v=STSv1; id=" $2 "\""
    print "_smtp._tls." $1 " 60 IN TXT \"" rua "\""
    print "mta-sts." $1 " 300 IN CNAME portcullis.bench."
  }' "$work/tokens"
} >"$work/zone"
cat >"$work/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$NSD_PORT
  username: ""
  chroot: ""
  database: ""
  zonelistfile: "$work/zone.list"
  xfrdfile: "$work/xfrd.state"
  pidfile: "$work/nsd.pid"
  logfile: "$work/nsd.log"
  server-count: 2
  verbosity: 0
  # Every query comes from 127.0.0.1: NSD's response-rate limit (on by default) would drop most.
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "$ZONE"
  zonefile: "$work/zone"
EOF
nsd -d -c "$work/nsd.conf" &
pids+=($!)
PORTCULLIS_DATABASE_URL="$URL" PORTCULLIS_HTTP_ADDR=127.0.0.1:18655 \
  PORTCULLIS_DNS_ADDR=127.0.0.1:$OURS PORTCULLIS_DNS_ZONE=$ZONE PORTCULLIS_PUBLIC_HOST=portcullis.bench \
  PORTCULLIS_DNS_RATE_LIMIT=0 PORTCULLIS_MONITOR_INTERVAL_SECS=0 PORTCULLIS_ALERT_INTERVAL_SECS=0 \
  PORTCULLIS_LOG=warn "$CARGO_TARGET_DIR/release/portcullis" serve &
pids+=($!)
first=$(head -1 "$work/tokens" | cut -d' ' -f1)
for port in $OURS $NSD_PORT; do
  for _ in $(seq 100); do
    dig +short +time=1 +tries=1 -p "$port" @127.0.0.1 "_mta-sts.$first.$ZONE" TXT | grep -q STSv1 && break
    sleep 0.2
  done
done

run() { # name port
  local name=$1 port=$2 out qps lost
  out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$DURATION" -c 8 -T 2 -q 200 2>&1)
  qps=$(echo "$out" | awk '/Queries per second/ {print $4}')
  lost=$(echo "$out" | awk '/Queries lost/ {print $3}')
  # Latency at a fixed rate: every answer's time, from dnsperf's verbose report.
  dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l 5 -Q "$RATE" -c 4 -v 2>/dev/null |
    awk '$1 == ">" {print $NF}' | sort -g >"$work/lat.$name"
  local n p50 p99
  n=$(wc -l <"$work/lat.$name")
  p50=$(awk -v n="$n" 'NR == int(n * 0.50) + 1 {printf "%.3f", $1 * 1000}' "$work/lat.$name")
  p99=$(awk -v n="$n" 'NR == int(n * 0.99) + 1 {printf "%.3f", $1 * 1000}' "$work/lat.$name")
  printf '%-10s %10s queries/s at full load (lost %s)   at %s/s: p50 %s ms, p99 %s ms (%s answers)\n' \
    "$name" "$qps" "$lost" "$RATE" "$p50" "$p99" "$n"
  echo "$qps" >"$work/qps.$name"
}
echo "== dnsperf, UDP, $DURATION s at full load, then 5 s at $RATE queries/s"
run portcullis $OURS
run nsd $NSD_PORT
awk -v a="$(cat "$work/qps.portcullis")" -v b="$(cat "$work/qps.nsd")" \
  'BEGIN {printf "portcullis / nsd: %.2f (target >= 0.5)\n", a / b}'
