# Sourced by the Makefile and .ci/run: one place that says which toolchain builds Portcullis.
# It never installs anything (scripts/setup.sh does); it only points PATH and cargo at the tools.
PORTCULLIS_TOOLS="${PORTCULLIS_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/portcullis-tools}"
export PORTCULLIS_TOOLS
# One target dir outside the clone, so a fresh clone (CI) reuses earlier builds on this machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PORTCULLIS_TOOLS/target}"
export PATH="$PORTCULLIS_TOOLS/npm/node_modules/.bin:$PORTCULLIS_TOOLS/bin:$PATH"

RUSTUP_STABLE_LIB="$HOME/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/rustlib"
if [ -d "$RUSTUP_STABLE_LIB/wasm32-unknown-unknown" ]; then
  # Real route: rustup has a wasm32 std; nothing special needed.
  export PORTCULLIS_WASM_ROUTE=rustup
else
  # Fallback route: Debian's rustc-web builds both halves (one compiler, one target dir), and the
  # wasm std is built from source with -Zbuild-std.
  export PORTCULLIS_WASM_ROUTE=debian
  export PATH="/usr/bin:$PATH"
  export RUSTC=/usr/bin/rustc
  export CARGO=/usr/bin/cargo
  export RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$RUSTUP_STABLE_LIB/x86_64-unknown-linux-gnu/bin/rust-lld"
fi
