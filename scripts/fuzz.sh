#!/usr/bin/env bash
# `make fuzz`: runs every fuzz target (fuzz/fuzz_targets) with libFuzzer through cargo-fuzz on
# the nightly toolchain, seeded from the project's fixtures (and ../shared/fixtures when there).
#   FUZZ_SECONDS  time per target (default 60)      FUZZ_RUNS  executions per target (0: no cap)
#   FUZZ_TARGETS  which targets (default: all)       FUZZ_JOBS  parallel jobs per target (1)
# Prints executions and time per target; exits 1 when a target crashed, panicked or went over
# its memory limits (the input is kept under fuzz/artifacts/<target>/: make it a regression test).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/scripts/env.sh"
# cargo-fuzz needs rustup's nightly (sanitizer flags), not the Debian route's rustc.
unset RUSTC CARGO RUSTC_BOOTSTRAP
export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: needs rustup's nightly toolchain (rustup toolchain install nightly)" >&2
  exit 2
fi
if ! "$PORTCULLIS_TOOLS/bin/cargo-fuzz" --version 2>/dev/null | grep -q "0.13.2"; then
  echo "fuzz: cargo install cargo-fuzz 0.13.2 (once)" >&2
  CARGO_TARGET_DIR="$PORTCULLIS_TOOLS/build-cargo-fuzz" \
    cargo install --quiet cargo-fuzz --version 0.13.2 --locked --root "$PORTCULLIS_TOOLS"
  rm -rf "$PORTCULLIS_TOOLS/build-cargo-fuzz"
fi
seconds="${FUZZ_SECONDS:-60}"
runs="${FUZZ_RUNS:-0}"
jobs="${FUZZ_JOBS:-1}"
targets="${FUZZ_TARGETS:-report_payload report_mail policy_text dns_records smtp_command names}"
export CARGO_TARGET_DIR="$PORTCULLIS_TOOLS/fuzz-target"
cd "$here/fuzz"

# Seeds: real reports (plain and gzip), real report mail, and small hand-written inputs.
seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$seeds"/{report_payload,report_mail,policy_text,dns_records,smtp_command,names}
shared="$here/../shared/fixtures/tlsrpt"
find "$here/fixtures/tlsrpt" "$shared" -name '*.json' 2>/dev/null | while read -r f; do
  n=$(basename "$f")
  cp "$f" "$seeds/report_payload/$n"
  gzip -c "$f" >"$seeds/report_payload/$n.gz"
done
find "$shared" -name '*.eml' 2>/dev/null | while read -r f; do cp "$f" "$seeds/report_mail/"; done
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.mx.example.com\r\nmax_age: 604800\r\n' >"$seeds/policy_text/enforce"
printf 'version: STSv1\nmode: none\nmax_age: 86400\n' >"$seeds/policy_text/none"
printf 'v=STSv1; id=20261201T000000' >"$seeds/dns_records/sts"
printf 'v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://r.example.com/tlsrpt' >"$seeds/dns_records/tlsrpt"
printf 'MAIL FROM:<a@example.com> SIZE=2048 BODY=8BITMIME' >"$seeds/smtp_command/mail"
printf 'RCPT TO:<tlsrpt@example.com>' >"$seeds/smtp_command/rcpt"
printf 'EHLO mx.example.com' >"$seeds/smtp_command/ehlo"
printf 'b\xc3\xbccher.example' >"$seeds/names/idn"
printf '*.mail.protection.outlook.com' >"$seeds/names/wildcard"

failed=0
summary=""
for t in $targets; do
  mkdir -p "corpus/$t"
  log="$(mktemp)"
  echo "fuzz: $t for ${seconds}s" >&2
  limit=(-max_total_time="$seconds")
  [ "$runs" != 0 ] && limit+=(-runs="$runs")
  # -rss_limit_mb and -malloc_limit_mb turn an allocation past the budget into a failure.
  if ! cargo +nightly fuzz run --jobs "$jobs" "$t" "corpus/$t" "$seeds/$t" -- \
      "${limit[@]}" -rss_limit_mb=1024 -malloc_limit_mb=256 -max_len=1048576 -print_final_stats=1 \
      >"$log" 2>&1; then
    failed=1
    tail -40 "$log" >&2
  fi
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
  secs=$(grep -E '^Done [0-9]+ runs in' "$log" | tail -1 | sed -E 's/.* in ([0-9]+) second.*/\1/')
  line="$(printf '%-16s %12s executions in %s s' "$t" "${execs:-?}" "${secs:-?}")"
  # Printed as each target ends too: a long run stopped half-way keeps the figures it reached.
  echo "fuzz: done: $line" >&2
  summary+="$line"$'\n'
  rm -f "$log"
done
printf '%s' "$summary"
exit "$failed"
