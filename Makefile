# Portcullis. Quick start: `make run` (dashboard at http://127.0.0.1:3000), `make test` (everything).
# Each target installs what it needs first (scripts/setup.sh, idempotent, into $PORTCULLIS_TOOLS).

SHELL := /bin/bash
ENV := source scripts/env.sh &&
# The Debian rustc-web route builds the wasm std from source.
LEPTOS_LIB_ARGS = $$( [ "$$PORTCULLIS_WASM_ROUTE" = debian ] && echo "--lib-cargo-args=-Zbuild-std=std,panic_abort" )
PORT ?= 3000

.PHONY: setup build run test test-unit test-e2e lint fmt bundle-size clean bench-policy bench-dns bench-ingest bench-views bench-hostile bench-cluster bench-dns-server fuzz

setup:
	@bash scripts/setup.sh

# Release build: wasm first, then the server (cargo-leptos would run both at once, which only
# slows two cores down). The binary and site end up in ./target as scripts expect.
build: setup
	@$(ENV) cargo leptos build --release --frontend-only $(LEPTOS_LIB_ARGS)
	@$(ENV) cargo leptos build --release --server-only
	@$(ENV) scripts/collect-build.sh

run: build
	@mkdir -p data
	LEPTOS_SITE_ROOT=target/site PORTCULLIS_HTTP_ADDR=$${PORTCULLIS_HTTP_ADDR:-127.0.0.1:$(PORT)} ./target/release/portcullis serve

# Unit, router and storage tests (SQLite and PostgreSQL), then the browser tests.
test: build test-unit test-e2e

test-unit: setup
	@$(ENV) scripts/ensure-postgres.sh
	@$(ENV) cargo test --workspace --exclude frontend --no-fail-fast 2>&1 | tee target/.test-unit.log; exit $${PIPESTATUS[0]}

test-e2e: build
	@$(ENV) cargo build --quiet -p portcullis-dnscheck --features testing --bin portcullis-test-dns
	@$(ENV) cd end2end && PORTCULLIS_BIN=../target/release/portcullis LEPTOS_SITE_ROOT=../target/site \
		PORTCULLIS_TEST_DNS_BIN="$$CARGO_TARGET_DIR/debug/portcullis-test-dns" node --test --test-concurrency=1 tests/

lint: setup
	@$(ENV) cargo fmt --all -- --check
	@$(ENV) leptosfmt --quiet --check app/src
	@$(ENV) cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
	@# The browser half: app's islands as the hydrate build compiles them (host target).
	@$(ENV) cargo clippy -p app --no-default-features --features hydrate -- -D warnings

fmt: setup
	@$(ENV) leptosfmt --quiet app/src
	@$(ENV) cargo fmt --all

bundle-size: build
	@$(ENV) scripts/bundle-size.sh

clean:
	rm -rf target data

# Policy GETs over TLS: Portcullis with 10,000 hosted domains against nginx, same load, one run.
bench-policy: build
	@bash scripts/bench-policy.sh

# Full live DNS check (records, sender-perspective policy fetch, MX STARTTLS probe, DANE) of
# 1,000 domains against loopback DNS, HTTPS and SMTP peers. Target: under 10 s.
bench-dns: setup
	@$(ENV) cargo run --quiet --release -p portcullis-dnscheck --features testing --example bench_dns -- $${DOMAINS:-1000} $${CONCURRENCY:-64}

bench-ingest: setup
	@$(ENV) bash scripts/bench-ingest.sh

# Report views over 100 domains and 1,000,000 failure rows (a year), on SQLite and PostgreSQL:
# page render time and each aggregate against the same SQL in sqlite3 / psql.
bench-views: setup
	@$(ENV) cargo run --quiet --release -p server --example bench_views -- $${DB:-both} $${ROWS:-1000000}

# Policy fetches over TLS alone, then while hostile clients hit every public listener (slow
# headers, stalled handshakes, SMTP DATA without newlines and NOOP idlers, 100k-entry zips,
# 100k-domain reports, 100 concurrent 10 MiB POSTs) and a sender delivers 1,000 reports.
# Targets: >= 90 % of the unloaded req/s, no non-2xx, RSS < 300 MB, every report stored once.
bench-hostile: build
	@bash scripts/bench-hostile.sh

# 1 and then 3 instances on one PostgreSQL behind HAProxy (5,000 domains): the monitor's time to
# check them all against DNS answering 50 ms late, and policy fetches through the balancer.
# Target: the monitor >= 2.5x faster with 3 instances.
bench-cluster: build
	@bash scripts/bench-cluster.sh

bench-dns-server: setup
	@bash scripts/bench-dns-server.sh

# Every parser of outside input under libFuzzer (cargo-fuzz, rustup nightly), seeded from the
# fixtures: FUZZ_SECONDS per target (default 60), FUZZ_RUNS, FUZZ_TARGETS. Not part of `make test`.
fuzz:
	@bash scripts/fuzz.sh
