#!/usr/bin/env bash
# `make bench-ingest`: Portcullis's parse and parse+store throughput against parsedmarc's on the
# same generated reports, in one run. Sourced environment: scripts/env.sh.
set -euo pipefail
count="${REPORTS:-10000}"
dir="$CARGO_TARGET_DIR/bench-ingest/reports-$count"
venv="$PORTCULLIS_TOOLS/parsedmarc-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import parsedmarc' 2>/dev/null; then
  echo "bench-ingest: installing parsedmarc from PyPI into $venv (once)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet parsedmarc
fi
if [ ! -d "$dir" ] || [ "$(ls "$dir" | wc -l)" != "$count" ]; then
  rm -rf "$dir"
  python3 scripts/gen-reports.py "$dir" "$count"
fi
cargo build --quiet --release -p portcullis-service --example bench_ingest
ours="$("$CARGO_TARGET_DIR/release/examples/bench_ingest" "$dir" | tee /dev/stderr | grep '^RESULT')"
theirs="$("$venv/bin/python" scripts/bench_parsedmarc.py "$dir" | tee /dev/stderr | grep '^RESULT')"
python3 - "$ours" "$theirs" <<'PY'
import sys
vals = {}
for line in sys.argv[1:]:
    for kv in line.split()[1:]:
        k, v = kv.split("=")
        vals[k] = float(v)
print()
for ours, label in (("parse_1core", "Portcullis parse, 1 core"), ("parse_all", "Portcullis parse, all cores"), ("stored", "Portcullis parse + store")):
    for theirs, tlabel in (("parsedmarc_cli", "command"), ("parsedmarc_file", "parse_report_file"), ("parsedmarc_json", "parse_smtp_tls_report_json")):
        print(f"{label:32} / parsedmarc {tlabel:28} = {vals[ours] / vals[theirs]:7.1f}x")
print(f"stored: {vals['stored']:.0f} reports/s (target >= 2000)")
PY
