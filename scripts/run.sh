#!/usr/bin/env bash
# The main job, from a fresh Debian/Ubuntu machine: builds the Clinic Documents API server and
# the desktop app, starts the server on loopback with demo clinics, staff and patients, and
# opens the app signed-out with the server address filled in (sign in as doctor@demo.clinic,
# password demo). Closing the window stops the server. Server data lives in ./clinicdocs-data
# (override with CLINICDOCS_DATA_DIR); so that sharing works in the demo, its emails and text
# messages go to a mail server on loopback and a folder, both in clinicdocs-data/outbox/
# (read the share links and codes there). Without a display it says how to run it headless.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. scripts/lib/common.sh

require_rust
apt_ensure "${BUILD_APT[@]}" ca-certificates python3-aiosmtpd
prepare_desktop "$ROOT"
log "building the server and the desktop app (the first build takes several minutes)"
cargo build --locked -p clinicdocs-server -p clinicdocs-desktop
TARGET="${CARGO_TARGET_DIR:-target}/debug"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  die "no display: run this from a desktop session, or headless as: xvfb-run -a ./scripts/run.sh"
fi

DATA_DIR="${CLINICDOCS_DATA_DIR:-clinicdocs-data}"
OUTBOX="$DATA_DIR/outbox"
mkdir -p "$OUTBOX/mail" "$OUTBOX/sms"
# The demo's mail server (a real SMTP server on loopback, writing each message it takes to
# outbox/mail/NNNN.json); it stops when this script ends and its input closes.
coproc SMTP { exec /usr/bin/python3 scripts/lib/smtp_sink.py "$OUTBOX/mail"; }
read -r -t 20 SMTP_PORT <&"${SMTP[0]}" || die "the demo mail server did not start"
LOG=$(mktemp /tmp/clinicdocs-server.XXXXXX.log)
CLINICDOCS_SMTP_URL="${CLINICDOCS_SMTP_URL:-smtp://127.0.0.1:$SMTP_PORT}" \
CLINICDOCS_MAIL_FROM="${CLINICDOCS_MAIL_FROM:-documents@demo.clinic}" \
CLINICDOCS_SMS_FILE="${CLINICDOCS_SMS_FILE:-$OUTBOX/sms}" \
"$TARGET/clinicdocs-server" serve --demo --listen "${CLINICDOCS_LISTEN:-127.0.0.1:0}" \
  --data-dir "$DATA_DIR" >"$LOG" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null; rm -f "$LOG"' EXIT INT TERM
URL=""
for _ in $(seq 1 300); do
  URL=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$LOG" | head -n 1)
  [ -n "$URL" ] && break
  kill -0 $SERVER_PID 2>/dev/null || { cat "$LOG" >&2; die "the server stopped"; }
  sleep 0.1
done
[ -n "$URL" ] || { cat "$LOG" >&2; die "the server did not start"; }
grep -v '^listening on' "$LOG" >&2 || true
log "server at $URL — opening Clinic Documents (sign in as doctor@demo.clinic / demo); share emails and codes land in $OUTBOX"
CLINICDOCS_SERVER_URL="$URL" CLINICDOCS_PDFIUM="$ROOT/src-tauri/resources/libpdfium.so" "$TARGET/clinicdocs-desktop"
