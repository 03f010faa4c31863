#!/usr/bin/env bash
# Open-network floods against the release server (prints figures; not a test): password
# guessing, forged 30 KB /files links, sign-ins with 1 MB emails, and slow clients holding
# half-sent requests, each beside a quiet baseline of the same run. Prints the server's peak
# memory, the database's growth, /healthz p50/p99 during the flood, and sign-in attempts per
# minute that reached a password check. Usage: bench/abuse.sh [sqlite|postgres ...] (default: both)
# Env: ABUSE_SECONDS (per phase, default 20), ABUSE_CONCURRENCY (default 64).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
require_rust
apt_ensure "${BUILD_APT[@]}" postgresql
cargo build --release --locked -p clinicdocs-server -p clinicdocs-bench
BIN="${CARGO_TARGET_DIR:-target}/release"
SERVICES_DIR=$(mktemp -d /tmp/clinicdocs-abuse.XXXXXX)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; stop_services; }
trap cleanup EXIT INT TERM
ulimit -n 8192 2>/dev/null || true
for which in ${@:-sqlite postgres}; do
  data="$SERVICES_DIR/data-$which"
  mkdir -p "$data"
  if [ "$which" = postgres ]; then
    [ -n "${PG_URL:-}" ] || start_postgres
    name="abuse_$RANDOM$RANDOM"
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $name" >/dev/null
    url="$PG_URL/$name"; measured="$url"
  else
    url="sqlite://$data/clinicdocs.db?mode=rwc"; measured="$data/clinicdocs.db"
  fi
  echo; echo "### database: $which, local store, release build, loopback"
  DATABASE_URL="$url" RUST_LOG=error "$BIN/clinicdocs-server" serve --demo --listen 127.0.0.1:0 --data-dir "$data" \
    >"$SERVICES_DIR/server.out" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do grep -q '^listening on' "$SERVICES_DIR/server.out" && break; sleep 0.1; done
  server=$(sed -n 's/^listening on //p' "$SERVICES_DIR/server.out")
  "$BIN/abuse" --server "$server" --pid "$SERVER_PID" --database "$measured" \
    --seconds "${ABUSE_SECONDS:-20}" --concurrency "${ABUSE_CONCURRENCY:-64}"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
done
