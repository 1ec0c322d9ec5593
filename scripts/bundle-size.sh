#!/usr/bin/env bash
# Reports the hydrate bundle's size, raw and gzipped, and fails above the budget (200 KB gzipped).
set -euo pipefail
cd "$(dirname "$0")/.."
budget=$((200 * 1024))
total_gz=0
for f in target/site/pkg/portcullis.wasm target/site/pkg/portcullis.js; do
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c); total_gz=$((total_gz + gz))
  printf '%-36s %8d bytes raw %8d bytes gzipped\n' "$f" "$raw" "$gz"
done
printf 'hydrate bundle: %d bytes gzipped (budget %d)\n' "$total_gz" "$budget"
[ "$total_gz" -le "$budget" ] || { echo "over budget" >&2; exit 1; }
