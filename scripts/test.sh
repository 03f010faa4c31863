#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: installs what is missing (apt
# packages, the s3s-fs S3 test server), starts PostgreSQL and s3s-fs on loopback, checks
# formatting and lints (the desktop shell included, so its build is checked too), and runs
# every test — the API suite on SQLite + local files and on PostgreSQL + S3. Services stop
# when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

require_rust
apt_ensure build-essential pkg-config libssl-dev curl ca-certificates postgresql qpdf \
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev

SERVICES_DIR=$(mktemp -d /tmp/clinicdocs-test.XXXXXX)
trap stop_services EXIT INT TERM
[ -n "${CLINICDOCS_KEEP_SERVICE_LOGS:-}" ] && trap 'cp "$SERVICES_DIR"/s3.log /tmp/clinicdocs-s3.log 2>/dev/null; stop_services' EXIT
log "starting PostgreSQL and s3s-fs on loopback"
start_postgres
start_s3
echo "PostgreSQL $PG_URL, S3 $S3_ENDPOINT" >&2

# Extra arguments go to `cargo test` (e.g. a test-name filter while developing).
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
log "cargo test (SQLite + local files, PostgreSQL + S3)"
CLINICDOCS_TEST_REQUIRE_ALL=1 \
CLINICDOCS_TEST_PG="$PG_URL" \
CLINICDOCS_TEST_S3_ENDPOINT="$S3_ENDPOINT" \
CLINICDOCS_TEST_S3_ROOT="$S3_ROOT" \
CLINICDOCS_TEST_S3_ACCESS_KEY="$S3_ACCESS_KEY" \
CLINICDOCS_TEST_S3_SECRET_KEY="$S3_SECRET_KEY" \
  cargo test --workspace --locked "$@" 2>&1 | tee "$SERVICES_DIR/cargo-test.log"
# One closing line for the whole run.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$SERVICES_DIR/cargo-test.log"
