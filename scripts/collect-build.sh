#!/usr/bin/env bash
# After `cargo leptos build --release`: put the binary at ./target/release/portcullis and the site
# at ./target/site, whatever CARGO_TARGET_DIR is, so scripts and `make run` find them.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/release
if [ "$(realpath -m "$CARGO_TARGET_DIR")" != "$(realpath -m target)" ]; then
  cp -f "$CARGO_TARGET_DIR/release/portcullis" target/release/portcullis
  if [ -d "$CARGO_TARGET_DIR/site" ] && [ ! target/site -ef "$CARGO_TARGET_DIR/site" ]; then
    rm -rf target/site && cp -r "$CARGO_TARGET_DIR/site" target/site
  fi
fi
test -f target/site/pkg/portcullis.wasm || { echo "build: target/site/pkg/portcullis.wasm is missing" >&2; exit 1; }
