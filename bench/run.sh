#!/usr/bin/env bash
# Server benchmark (prints figures and ratios; not a test). Starts PostgreSQL and s3s-fs on
# loopback, then the release server on each database, and runs the load generator against
# it. Usage: [BENCH_ARGS="--list-limit 10"] bench/run.sh [sqlite|postgres ...]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
require_rust
apt_ensure "${BUILD_APT[@]}" postgresql
cargo build --release --locked -p clinicdocs-server -p clinicdocs-bench
SERVICES_DIR=$(mktemp -d /tmp/clinicdocs-bench.XXXXXX)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; stop_services; }
trap cleanup EXIT INT TERM
start_postgres
start_s3
for db in "${@:-sqlite postgres}"; do
  for which in $db; do
    bucket=$(printf 'b%02d' $((RANDOM % 100))); mkdir -p "$S3_ROOT/$bucket"
    data="$SERVICES_DIR/data-$which"
    if [ "$which" = postgres ]; then
      name="bench_$RANDOM$RANDOM"
      psql "$PG_URL/postgres" -qc "CREATE DATABASE $name" >/dev/null
      url="$PG_URL/$name"
    else
      url="sqlite://$data/clinicdocs.db?mode=rwc"
    fi
    echo; echo "### database: $which, storage: S3 (s3s-fs), release build, loopback"
    DATABASE_URL="$url" STORAGE_TYPE=s3 S3_ENDPOINT="$S3_ENDPOINT" S3_BUCKET="$bucket" S3_REGION=us-east-1 \
      S3_ACCESS_KEY_ID="$S3_ACCESS_KEY" S3_SECRET_ACCESS_KEY="$S3_SECRET_KEY" RUST_LOG=error \
      "${CARGO_TARGET_DIR:-target}"/release/clinicdocs-server serve --demo --listen 127.0.0.1:0 --data-dir "$data" >"$SERVICES_DIR/server.out" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do grep -q '^listening on' "$SERVICES_DIR/server.out" && break; sleep 0.1; done
    server=$(sed -n 's/^listening on //p' "$SERVICES_DIR/server.out")
    "${CARGO_TARGET_DIR:-target}"/release/clinicdocs-bench --server "$server" --database-url "$url" --s3-endpoint "$S3_ENDPOINT" \
      --s3-bucket "$bucket" --s3-access-key "$S3_ACCESS_KEY" --s3-secret-key "$S3_SECRET_KEY" ${BENCH_ARGS:-}
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
  done
done
