#!/usr/bin/env bash
# Installs everything Portcullis needs to build and test, idempotently, into $PORTCULLIS_TOOLS.
# Safe to run again: each step checks first and skips what is already there.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/scripts/env.sh"
mkdir -p "$PORTCULLIS_TOOLS/bin" "$PORTCULLIS_TOOLS/npm"
log() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }

apt_pkgs=()
[ -x /usr/bin/chromium ] || apt_pkgs+=(chromium)
# A real ACME server for the certificate tests.
[ -x /usr/bin/pebble ] || apt_pkgs+=(pebble)
# A real IMAP server for the IMAP polling tests (run privately on loopback; never started as a service).
[ -x /usr/sbin/dovecot ] || apt_pkgs+=(dovecot-imapd)
# The load balancer of the cluster test (several instances on one database).
[ -x /usr/sbin/haproxy ] || apt_pkgs+=(haproxy)
# Real DNS peers for the delegated-zone tests: dig (UDP and TCP), a recursive resolver (unbound)
# and a primary taking signed dynamic updates (bind9), each run privately on loopback.
[ -x /usr/bin/dig ] || apt_pkgs+=(dnsutils)
[ -x /usr/sbin/unbound ] || apt_pkgs+=(unbound)
[ -x /usr/sbin/named ] || apt_pkgs+=(bind9)
# Push mode's dns-update crate pulls reqwest with native TLS: OpenSSL's headers to build it.
[ -f /usr/include/openssl/ssl.h ] || apt_pkgs+=(libssl-dev)
command -v pkg-config >/dev/null || apt_pkgs+=(pkg-config)
if [ "$PORTCULLIS_WASM_ROUTE" = debian ]; then
  [ -x /usr/bin/rustc ] || apt_pkgs+=(rustc-web)
  [ -x /usr/bin/cargo ] || apt_pkgs+=(cargo-web)
  [ -d /usr/lib/rustlib/src/rust/library ] || apt_pkgs+=(rust-web-src)
  [ -x /usr/bin/clippy-driver ] || apt_pkgs+=(rust-web-clippy)
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  log "apt-get install ${apt_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
fi

# wasm-opt from npm: Debian's binaryen 108 silently breaks hydration.
if [ ! -x "$PORTCULLIS_TOOLS/npm/node_modules/.bin/wasm-opt" ]; then
  log "npm install binaryen@132"
  npm install --prefix "$PORTCULLIS_TOOLS/npm" --no-audit --no-fund binaryen@132 >/dev/null
fi

cargo_install() { # name version binary [extra cargo-install flags]
  local name=$1 version=$2 bin=$3; shift 3
  if [ -x "$PORTCULLIS_TOOLS/bin/$bin" ] && "$PORTCULLIS_TOOLS/bin/$bin" --version 2>/dev/null | grep -q "$version"; then
    return
  fi
  log "cargo install $name $version (once; takes a while)"
  # LTO off and more codegen units: roughly a third faster to install on 2 cores.
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_TARGET_DIR="$PORTCULLIS_TOOLS/build-$name" \
    cargo install --quiet "$name" --version "$version" --root "$PORTCULLIS_TOOLS" "$@"
  rm -rf "$PORTCULLIS_TOOLS/build-$name"
}

# --locked: its newest dependencies need a newer rustc than Debian's 1.96.
cargo_install cargo-leptos 0.3.11 cargo-leptos --locked
# The view! blocks' formatter (make fmt; make lint checks it).
cargo_install leptosfmt 0.1.33 leptosfmt --locked
# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly.
wb_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$here/Cargo.lock")
cargo_install wasm-bindgen-cli "$wb_version" wasm-bindgen

# Browser-test driver (playwright-core only: the browser is Debian's chromium) and the
# screenshot comparison (pngjs, pixelmatch); installed again when package-lock.json changes.
if ! cmp -s "$here/end2end/package-lock.json" "$here/end2end/node_modules/.portcullis-lock"; then
  log "npm ci in end2end/"
  (cd "$here/end2end" && npm ci --no-audit --no-fund >/dev/null)
  cp "$here/end2end/package-lock.json" "$here/end2end/node_modules/.portcullis-lock"
fi
log "tools ready in $PORTCULLIS_TOOLS (wasm route: $PORTCULLIS_WASM_ROUTE)"
