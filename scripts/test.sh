#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: installs what is missing (apt
# packages, npm packages, libpdfium, the s3s-fs S3 test server, tauri-driver, the OpenAPI
# validator, pydicom for the DICOM corpus and its reference renders), starts PostgreSQL and
# s3s-fs on loopback, checks formatting, lints, module cycles and types (rustfmt, clippy,
# scripts/lib/module_cycles.py, svelte-check, the generated TypeScript bindings), and runs
# every test: Rust unit tests, the DICOM corpus against its references, the API suite on
# SQLite + local files and on PostgreSQL + S3 (then the OpenAPI contract: the served document
# validated, and every status the suite saw documented for its route), Vitest, every screen in
# Chromium with the IPC mocked (with axe-core), the sharing portal in Chromium against a real
# server (tests/portal), the desktop app end to end in a real window
# under Xvfb over WebDriver, and the .deb from scripts/package.sh installed with dpkg and
# signed in. Services stop when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

require_rust
ROOT=$(pwd)
# chromium: the UI screen tests (playwright-core drives the Debian build); systemd: its
# systemd-analyze checks the unit in deploy/; libheif-dev: HEIC photos (its encoder makes the
# tests' photos), libheif-examples: heif-enc for the end-to-end test's photo.
apt_ensure "${BUILD_APT[@]}" libheif-examples openssl curl ca-certificates postgresql qpdf chromium systemd python3-aiosmtpd
prepare_desktop "$ROOT"
TAURI_DRIVER=$(tauri_driver_bin)

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
# Clippy (-D warnings) lints every workspace crate as it is compiled for the tests, by running
# as cargo's workspace wrapper, exactly as `cargo clippy` runs it: the ~490 dependencies are
# then compiled once, for the tests, instead of once more in check mode for the lint (that
# second pass was a quarter of a cold run). Set only here, after the tools above were built:
# `cargo install` of s3s-fs and tauri-driver must not be linted. Cargo tracks both variables,
# so a crate built without them is compiled (and linted) again.
export RUSTC_WORKSPACE_WRAPPER
RUSTC_WORKSPACE_WRAPPER=$(clippy_driver_bin)
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
log "module cycles (scripts/lib/module_cycles.py)"
python3 scripts/lib/module_cycles.py
log "svelte-check and Vitest"
(cd ui && npx svelte-check --tsconfig ./tsconfig.json --fail-on-warnings --output machine >&2 && NO_COLOR=1 npx vitest run) \
  | tee "$SERVICES_DIR/ui-test.log"
log "UI screen tests (Chromium, Tauri IPC mocked, axe-core)"
(cd ui && node --test --test-reporter=tap tests/screens/) | grep -v -e '^ *duration_ms' -e '^ *\.\.\.$' -e '^ *---$' \
  | tee "$SERVICES_DIR/screens.log"
log "cargo test, linted by clippy -D warnings (SQLite + local files, PostgreSQL + S3; bindings.ts must be current)"
# The suite's servers record every answer's route and status, and one test saves the served
# OpenAPI document: the contract check after the tests compares the two.
OPENAPI_PY=$(openapi_validator_path)
DICOM_CORPUS=$(dicom_corpus_dir "$ROOT")
PDF_ENCRYPTION_CORPUS=$(pdf_encryption_corpus_dir)
CLINICDOCS_RECORD_ANSWERS="$SERVICES_DIR/answers.log" \
CLINICDOCS_OPENAPI_OUT="$SERVICES_DIR/openapi.json" \
CLINICDOCS_TEST_REQUIRE_ALL=1 \
CLINICDOCS_DICOM_CORPUS="$DICOM_CORPUS" \
CLINICDOCS_PDF_ENCRYPTION_CORPUS="$PDF_ENCRYPTION_CORPUS" \
CLINICDOCS_TEST_PG="$PG_URL" \
CLINICDOCS_TEST_S3_ENDPOINT="$S3_ENDPOINT" \
CLINICDOCS_TEST_S3_ROOT="$S3_ROOT" \
CLINICDOCS_TEST_S3_ACCESS_KEY="$S3_ACCESS_KEY" \
CLINICDOCS_TEST_S3_SECRET_KEY="$S3_SECRET_KEY" \
  cargo test --workspace --locked "$@" 2>&1 | tee "$SERVICES_DIR/cargo-test.log"
if [ -s "$SERVICES_DIR/openapi.json" ]; then
  log "OpenAPI contract (openapi-spec-validator; every status the suite saw is documented)"
  PYTHONPATH="$OPENAPI_PY" python3 scripts/lib/openapi_contract.py "$SERVICES_DIR/openapi.json" "$SERVICES_DIR/answers.log"
elif [ $# -eq 0 ]; then
  die "the API suite did not save the OpenAPI document"
fi
log "sharing portal in Chromium (real server, SMTP and SMS sinks; playwright-core, axe-core)"
TARGET="${CARGO_TARGET_DIR:-target}/debug"
CLINICDOCS_SERVER_BIN="$TARGET/clinicdocs-server" PORTAL_OUT="${PORTAL_OUT:-$ROOT/tests/portal/out}" \
  node --test --test-reporter=tap tests/portal/ | grep -v -e '^ *duration_ms' -e '^ *\.\.\.$' -e '^ *---$' \
  | tee "$SERVICES_DIR/portal.log"
log "desktop app end to end (Xvfb, tauri-driver + WebKitWebDriver, real server)"
# The app under test is the build for the end-to-end tests (its dialogs answered from files,
# the drop's seam); `cargo test` above checked that the staff build carries none of that.
# Built as `cargo test` above built everything (same packages, same dependency features), so
# only the desktop crate is compiled again (and linted with its seams), not its hundreds of
# dependencies.
cargo test --workspace --locked --no-run --features clinicdocs-desktop/e2e
CLINICDOCS_SERVER_BIN="$TARGET/clinicdocs-server" CLINICDOCS_DESKTOP_BIN="$TARGET/clinicdocs-desktop" \
CLINICDOCS_TAURI_DRIVER="$TAURI_DRIVER" E2E_OUT="${E2E_OUT:-$ROOT/tests/e2e/out}" \
CLINICDOCS_DICOM_CORPUS="$DICOM_CORPUS" \
  tests/e2e/run.sh sh -c 'cargo test --workspace --locked --features clinicdocs-desktop/e2e --lib -- --ignored token_store && node tests/e2e/desktop.e2e.mjs && node tests/e2e/clinic.e2e.mjs' \
  2>&1 | grep -v -e '^dbus-daemon' -e 'SpiRegistry' | tee "$SERVICES_DIR/e2e.log"
log "desktop package (scripts/package.sh --debug: the .deb, installed with dpkg -i, its app signed in under Xvfb)"
# The debug profile reuses the crates compiled above; the package is otherwise the one staff
# install (same bundler, layout, dependencies and libpdfium). It is removed again afterwards.
DEB=$(scripts/package.sh --debug)
as_root dpkg -i "$DEB" >/dev/null
CLINICDOCS_SERVER_BIN="$TARGET/clinicdocs-server" CLINICDOCS_TAURI_DRIVER="$TAURI_DRIVER" \
E2E_OUT="${E2E_OUT:-$ROOT/tests/e2e/out}" tests/e2e/run.sh node tests/e2e/package.e2e.mjs \
  2>&1 | grep -v -e '^dbus-daemon' -e 'SpiRegistry' | tee "$SERVICES_DIR/package.log"
as_root dpkg -r clinic-documents >/dev/null

# One closing line for the whole run.
rust=$(cat "$SERVICES_DIR/cargo-test.log" "$SERVICES_DIR/e2e.log" | awk '/^test result:/ { p += $4; f += $6 } END { print p+0, f+0 }')
ui=$(sed -n 's/.*Tests  *\([0-9]*\) passed.*/\1/p' "$SERVICES_DIR/ui-test.log" | tail -n 1)
screens=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$SERVICES_DIR/screens.log")
portal=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$SERVICES_DIR/portal.log")
e2e=$(sed -n 's/^\(clinic \)\{0,1\}e2e: \([0-9]*\) passed.*/\2/p' "$SERVICES_DIR/e2e.log" | awk '{ n += $1 } END { print n + 0 }')
package=$(sed -n 's/^package: \([0-9]*\) passed.*/\1/p' "$SERVICES_DIR/package.log")
set -- $rust
echo "tests: $(( $1 + ${ui:-0} + ${screens:-0} + ${portal:-0} + ${e2e:-0} + ${package:-0} )) passed, $2 failed (rust $1, vitest ${ui:-0}, screens ${screens:-0}, portal ${portal:-0}, e2e ${e2e:-0}, package ${package:-0})"
