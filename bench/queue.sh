#!/usr/bin/env bash
# Upload queue benchmark (prints figures and ratios; not a test). In one invocation:
#   1. queueing 1,000 scanned-page JPEGs (~300 KB each) with `clinicdocs-queue add` (copy,
#      fsync, rename, fsync folder, SQLite commit per file) vs `cp` of the same files into one
#      folder;
#   2. draining 500 of them from the queue to a release server on loopback vs `curl` sending
#      the same files straight to the batch endpoint, 50 per request (the no-client floor);
#   3. from a drop: a folder of 500 of them through `clinicdocs-queue import` (the drop's own
#      code: walk, content check of every file, copy into the queue, batches of 50) and the
#      drain, end to end, vs the same curl floor. The review sheet's human pause is left out.
# Usage: bench/queue.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh
ROOT=$(pwd)
require_rust
apt_ensure "${BUILD_APT[@]}" curl imagemagick fonts-dejavu-core python3 jq
prepare_desktop "$ROOT"
cargo build --release --locked -p clinicdocs-server -p clinicdocs-desktop --bin clinicdocs-server --bin clinicdocs-queue
REL="${CARGO_TARGET_DIR:-target}/release"
IN="$ROOT/bench/out/queue"
WORK=$(mktemp -d /tmp/clinicdocs-bench-queue.XXXXXX)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

if [ ! -s "$IN/page-0999.jpg" ]; then
  log "making 1,000 scanned-page JPEGs of about 300 KB (one page, a unique comment in each)"
  mkdir -p "$IN"
  convert -size 1240x1754 xc:'#f7f5f0' -fill '#222' -font DejaVu-Sans -pointsize 22 -annotate +80+120 "$(seq -f 'Line %g: results within the reference range, see attached.' 1 55)" \
    -attenuate 0.2 +noise Gaussian -quality 75 "$WORK/page.jpg"
  python3 - "$WORK/page.jpg" "$IN" <<'EOF'
import sys, os
src, out = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
for i in range(1000):
    text = f'clinicdocs bench page {i:04d}'.encode()
    com = b'\xff\xfe' + (len(text) + 2).to_bytes(2, 'big') + text
    open(os.path.join(out, f'page-{i:04d}.jpg'), 'wb').write(data[:2] + com + data[2:])
EOF
fi
size=$(du -sk "$IN" | cut -f1)
echo
echo "### upload queue: 1,000 files, $((size / 1000)) MB in all, $(nproc) CPUs, $(df -T "$WORK" | awk 'NR==2 {print $2}') temp folder"

log "starting the release server"
"$REL/clinicdocs-server" serve --demo --listen 127.0.0.1:0 --data-dir "$WORK/server" >"$WORK/server.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do grep -q '^listening on' "$WORK/server.out" && break; sleep 0.1; done
server=$(sed -n 's/^listening on //p' "$WORK/server.out")
login=$(curl -sf -H 'content-type: application/json' -d '{"email":"reception@demo.clinic","password":"demo"}' "$server/api/v1/auth/login")
token=$(jq -r .token <<<"$login")
user=$(jq -r .user.id <<<"$login")
patient=$(curl -sf -H "authorization: Bearer $token" "$server/api/v1/patients?q=Maria" | jq -r '.[0].id')

secs() { python3 -c 'import time; print(time.time())'; }
ms_since() { python3 -c "import time; print(round((time.time() - $1) * 1000))"; }

# 1. Queueing vs cp.
mkdir "$WORK/cp"
cat "$IN"/page-*.jpg >/dev/null # both sides read from the page cache, not one cold and one warm
sync
t=$(secs); cp "$IN"/page-*.jpg "$WORK/cp/"; sync -f "$WORK/cp"; cp_ms=$(ms_since "$t")
t=$(secs)
"$REL/clinicdocs-queue" add --dir "$WORK/q1" --server "$server" --user "$user" --patient "$patient" --category insurance "$IN"/page-*.jpg >/dev/null
q_ms=$(ms_since "$t")
echo "queue 1,000 files: clinicdocs-queue add $q_ms ms (durable: fsync per file)   cp + sync $cp_ms ms   speed ratio $(python3 -c "print(f'{$cp_ms / $q_ms:.2f}')")×   target ≥ 0.5×"

# 2. Drain 500 vs curl batches of 50 (different files so the server stores both sets).
files=("$IN"/page-*.jpg)
first=("${files[@]:0:500}")
second=("${files[@]:500:500}")
"$REL/clinicdocs-queue" add --dir "$WORK/q2" --server "$server" --user "$user" --patient "$patient" --category insurance "${first[@]}" >/dev/null
t=$(secs)
CLINICDOCS_TOKEN="$token" "$REL/clinicdocs-queue" drain --dir "$WORK/q2" --server "$server" --user "$user" >"$WORK/drain.out"
drain_ms=$(ms_since "$t")
sent=$(grep -c '^sent ' "$WORK/drain.out" || true)
t=$(secs)
for ((b = 0; b < 500; b += 50)); do
  args=()
  manifest="["
  for ((i = b; i < b + 50; i++)); do
    [ "$i" -gt "$b" ] && manifest+=","
    manifest+="{\"patient_id\":\"$patient\",\"category\":\"insurance\",\"title\":\"curl $i\"}"
    args+=(-F "file=@${second[$i]};type=image/jpeg")
  done
  manifest+="]"
  curl -sf -o /dev/null -H "authorization: Bearer $token" -F "manifest=$manifest" "${args[@]}" "$server/api/v1/documents/batch"
done
curl_ms=$(ms_since "$t")
echo "send 500 files: queue drain $drain_ms ms ($sent sent, one request each)   curl batch ×10 $curl_ms ms   speed ratio $(python3 -c "print(f'{$curl_ms / $drain_ms:.2f}')")×"

# 3. From a drop to all stored.
mkdir "$WORK/drop"
cp "${first[@]}" "$WORK/drop/"
sync
t=$(secs)
CLINICDOCS_TOKEN="$token" "$REL/clinicdocs-queue" import --dir "$WORK/q3" --server "$server" --user "$user" --patient "$patient" --category insurance "$WORK/drop" >"$WORK/import.out"
import_ms=$(ms_since "$t")
CLINICDOCS_TOKEN="$token" "$REL/clinicdocs-queue" drain --dir "$WORK/q3" --server "$server" --user "$user" >"$WORK/drain3.out"
drop_ms=$(ms_since "$t")
sent3=$(grep -c '^sent ' "$WORK/drain3.out" || true)
echo "from a drop, 500 files: $(cat "$WORK/import.out"): import $import_ms ms + drain = $drop_ms ms ($sent3 sent)   curl batch ×10 $curl_ms ms   speed ratio $(python3 -c "print(f'{$curl_ms / $drop_ms:.2f}')")×   target ≥ 0.8×"
