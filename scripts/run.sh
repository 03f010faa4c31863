#!/usr/bin/env bash
# The main job, from a fresh Debian/Ubuntu machine: builds the Clinic Documents API server and
# starts it on loopback with demo clinics, staff and patients, printing the logins. Until the
# desktop app lands (it will be started against this server), this is the working clinic.
# Data lives in ./clinicdocs-data (override with CLINICDOCS_DATA_DIR); Ctrl+C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

require_rust
apt_ensure build-essential pkg-config libssl-dev ca-certificates
log "building the server (the first build takes a few minutes)"
cargo build --release --locked -p clinicdocs-server
exec ./target/release/clinicdocs-server serve --demo \
  --listen "${CLINICDOCS_LISTEN:-127.0.0.1:8080}" \
  --data-dir "${CLINICDOCS_DATA_DIR:-clinicdocs-data}"
