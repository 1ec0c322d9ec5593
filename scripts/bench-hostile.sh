#!/usr/bin/env bash
# make bench-hostile: policy fetches over TLS (wrk, keep-alive, Host cycling over the hosted
# domains) first alone, then while hostile clients hit every public listener at once and a
# well-behaved sender delivers 1,000 reports by HTTPS and SMTP (server/examples/bench_hostile.rs
# says what each client does). Passes when the loaded run keeps at least 90 % of the unloaded
# requests/s with no non-2xx answer, the server's resident memory stays under 300 MB, all 1,000
# reports are stored exactly once, and the server process is the same one throughout.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/scripts/env.sh"
N=${BENCH_DOMAINS:-1000}
DURATION=${BENCH_DURATION:-30}
CONNS=${BENCH_CONNECTIONS:-64}
export BENCH_DOMAINS=$N
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

cargo build --quiet --release -p server --example bench_setup --example bench_hostile
echo "== setting up $N domains with policies and certificates"
"$CARGO_TARGET_DIR/release/examples/bench_setup" "sqlite://$work/bench.db" "$work" "$N"

export PORTCULLIS_DATABASE_URL="sqlite://$work/bench.db"
PORTCULLIS_HTTP_ADDR=127.0.0.1:18080 PORTCULLIS_PUBLIC_HTTP_ADDR=127.0.0.1:18081 \
  PORTCULLIS_HTTPS_ADDR=127.0.0.1:18443 PORTCULLIS_SMTP_ADDR=127.0.0.1:18025 \
  PORTCULLIS_PUBLIC_HOST=reports.bench PORTCULLIS_REPORT_MAILTO=tlsrpt@bench.example \
  PORTCULLIS_MONITOR_INTERVAL_SECS=0 PORTCULLIS_ALERT_INTERVAL_SECS=0 \
  PORTCULLIS_LOG=warn "${PORTCULLIS_BIN:-$here/target/release/portcullis}" serve 2>"$work/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.2; done
curl -sf --cacert "$work/ca.crt" --resolve localhost:18443:127.0.0.1 -H "Host: mta-sts.d1.bench" \
  https://localhost:18443/.well-known/mta-sts.txt >/dev/null || { echo "Portcullis does not serve over TLS"; exit 1; }

# Resident memory, sampled every half second while the clients run.
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
(peak=0; while kill -0 "$pid" 2>/dev/null; do r=$(rss_kib || echo 0); [ "${r:-0}" -gt "$peak" ] && peak=$r && echo "$peak" >"$work/rss.peak"; sleep 0.5; done) &

# CPU seconds a process has used (user + system).
cpu_secs() { awk -v t="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
fetch() { # name seconds; wrk's own CPU seconds go to $work/name.cpu
  /usr/bin/time -f '%U %S' -o "$work/$1.time" wrk -t2 -c"$CONNS" -d"$2s" --latency -s "$here/bench/hosts.lua" https://localhost:18443/.well-known/mta-sts.txt >"$work/$1.wrk"
  awk '{printf "%.1f", $1 + $2}' "$work/$1.time" >"$work/$1.cpu"
  awk '/Requests\/sec/ {print $2}' "$work/$1.wrk"
}
echo "== policy fetches alone: wrk -t2 -c$CONNS -d${DURATION}s over TLS"
fetch warmup 5 >/dev/null
cpu0=$(cpu_secs "$pid")
unloaded=$(fetch unloaded "$DURATION")
cpu_unloaded=$(awk -v a="$cpu0" -v b="$(cpu_secs "$pid")" 'BEGIN {printf "%.1f", b - a}')
unloaded_non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/unloaded.wrk")
echo "   $unloaded req/s (non-2xx: ${unloaded_non2xx:-0}); server CPU ${cpu_unloaded} s, wrk $(cat "$work/unloaded.cpu") s"

echo "== the same while hostile clients run and the well-behaved sender delivers 1,000 reports"
BENCH_HTTP=127.0.0.1:18081 BENCH_HTTPS=127.0.0.1:18443 BENCH_SMTP=127.0.0.1:18025 BENCH_CA="$work/ca.crt" \
  BENCH_RCPT=tlsrpt@bench.example "$CARGO_TARGET_DIR/release/examples/bench_hostile" run $((DURATION + 20)) \
  >"$work/clients.out" 2>"$work/clients.err" &
clients=$!
# Payloads built (seconds of CPU: not to be measured), then every hostile client connected.
for _ in $(seq 600); do grep -q "clients running" "$work/clients.err" && break; sleep 0.2; done
sleep 3
cpu0=$(cpu_secs "$pid") clients0=$(cpu_secs "$clients")
loaded=$(fetch loaded "$DURATION")
cpu_loaded=$(awk -v a="$cpu0" -v b="$(cpu_secs "$pid")" 'BEGIN {printf "%.1f", b - a}')
cpu_clients=$(awk -v a="$clients0" -v b="$(cpu_secs "$clients")" 'BEGIN {printf "%.1f", b - a}')
loaded_non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/loaded.wrk")
loaded_errors=$(awk '/Socket errors/ {print}' "$work/loaded.wrk")
echo "   $loaded req/s (non-2xx: ${loaded_non2xx:-0}) ${loaded_errors}; server CPU ${cpu_loaded} s, wrk $(cat "$work/loaded.cpu") s, hostile and good clients ${cpu_clients} s"
# What this one machine allows: the attack's clients run on the same cores as the server and
# wrk. Unloaded, each policy fetch cost the server and wrk together some CPU; under attack the
# clients' own CPU is gone before the server does anything, so even a server that spent nothing
# on the attack could serve at most what the remaining CPU pays for.
cores=$(nproc)
read -r ceiling hostile_server <<<"$(awk -v u="$unloaded" -v su="$cpu_unloaded" -v wu="$(cat "$work/unloaded.cpu")" \
  -v sl="$cpu_loaded" -v l="$loaded" -v c="$cpu_clients" -v n="$cores" -v d="$DURATION" 'BEGIN {
    per = (su + wu) / (u * d); best = (n * d - c) / (per * d); if (best > u) best = u
    printf "%.1f %.1f", 100 * best / u, sl - su / u * l }')"
echo "   on $cores cores the clients' ${cpu_clients} s leave room for at most ${ceiling} % of the unloaded rate;" \
  "the server spent about ${hostile_server} CPU s on the attack"
clients_ok=0
wait "$clients" || clients_ok=$?
cat "$work/clients.err" >&2
cat "$work/clients.out"
sleep 1
"$CARGO_TARGET_DIR/release/examples/bench_hostile" verify "sqlite://$work/bench.db" | tee "$work/verify.out" || true

alive=yes
kill -0 "$pid" 2>/dev/null || alive=no
curl -sf http://127.0.0.1:18080/healthz >/dev/null || alive=no
peak=$(cat "$work/rss.peak")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
ratio=$(awk -v l="$loaded" -v u="$unloaded" 'BEGIN {printf "%.1f", 100 * l / u}')

echo
echo "== results"
fail=0
check() { # ok? text
  if [ "$1" = 1 ]; then echo "PASS  $2"; else echo "FAIL  $2"; fail=1; fi
}
check "$(awk -v r="$ratio" 'BEGIN {print (r >= 90)}')" "policy fetches under attack: $loaded of $unloaded req/s ($ratio %, target >= 90 %)"
check "$([ -z "$loaded_non2xx$unloaded_non2xx" ] && echo 1)" "non-2xx policy answers: ${loaded_non2xx:-0} (target 0)"
check "$([ "$hwm" -lt $((300 * 1024)) ] && echo 1)" "server resident memory: peak $((peak / 1024)) MB sampled, $((hwm / 1024)) MB high-water mark (target < 300 MB)"
check "$([ "$clients_ok" = 0 ] && grep -q '^stored: 1000 rows, 1000 distinct' "$work/verify.out" && echo 1)" "well-behaved reports: $(head -1 "$work/verify.out")"
check "$([ "$alive" = yes ] && echo 1)" "server process $pid alive and answering throughout: $alive"
if grep -qi panic "$work/server.log"; then
  echo "the server log shows a panic:"; grep -i panic "$work/server.log" | head -5; fail=1
fi
exit $fail
