#!/usr/bin/env bash
# make bench-policy: policy GETs over TLS with keep-alive against Portcullis holding N hosted
# domains (default 10,000, each with its own certificate), then against nginx serving the same
# policy file over TLS, with the same load generator (wrk) and settings, in one run.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/scripts/env.sh"
N=${BENCH_DOMAINS:-10000}
DURATION=${BENCH_DURATION:-15s}
CONNS=${BENCH_CONNECTIONS:-64}
export BENCH_DOMAINS=$N
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >/dev/null; break; }
done
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT

cargo build --quiet --release -p server --example bench_setup
echo "== setting up $N domains with policies and certificates"
"$CARGO_TARGET_DIR/release/examples/bench_setup" "sqlite://$work/bench.db" "$work" "$N"

PORTCULLIS_DATABASE_URL="sqlite://$work/bench.db" PORTCULLIS_HTTP_ADDR=127.0.0.1:18080 \
  PORTCULLIS_HTTPS_ADDR=127.0.0.1:18443 \
  PORTCULLIS_LOG=warn "$here/target/release/portcullis" serve &
pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18080/healthz >/dev/null && break; sleep 0.2; done
curl -sf -k --resolve localhost:18443:127.0.0.1 -H "Host: mta-sts.d1.bench" https://localhost:18443/.well-known/mta-sts.txt >/dev/null \
  || { echo "Portcullis does not serve over TLS"; exit 1; }

cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:18444 ssl default_server;
    ssl_certificate $work/localhost.crt;
    ssl_certificate_key $work/localhost.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /.well-known/mta-sts.txt {
      default_type "text/plain; charset=utf-8";
      add_header Cache-Control no-cache;
      alias $work/policy.txt;
    }
  }
}
NGINX
# nginx workers run unprivileged: let them read the policy file.
chmod 755 "$work" && chmod 644 "$work/policy.txt"
nginx -c "$work/nginx.conf" -p "$work"
curl -sf -k --resolve localhost:18444:127.0.0.1 https://localhost:18444/.well-known/mta-sts.txt | cmp -s - "$work/policy.txt" \
  || { echo "nginx does not serve the policy"; exit 1; }

run() { # name url
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$here/bench/hosts.lua" "$2" >"$work/$1.wrk"
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$1.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$1.wrk")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/$1.wrk")
  printf '%-12s %12s req/s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p99" "${non2xx:-0}"
  [ -z "$non2xx" ] || { echo "$1 answered errors: the comparison is void"; exit 1; }
}
echo "== wrk -t2 -c$CONNS -d$DURATION, keep-alive, TLS, Host cycling over $N domains"
run warmup https://localhost:18443/.well-known/mta-sts.txt >/dev/null
run portcullis https://localhost:18443/.well-known/mta-sts.txt
run nginx https://localhost:18444/.well-known/mta-sts.txt
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "portcullis resident memory with $N domains: $((rss / 1024)) MB"
