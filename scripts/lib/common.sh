# Shared helpers for the project's scripts: installing what is missing, finding free ports,
# and starting the loopback test services (PostgreSQL, s3s-fs). Sourced, not run.

CLINICDOCS_CACHE="${CLINICDOCS_CACHE:-$HOME/.cache/clinicdocs}"
CLINICDOCS_TOOLS="$CLINICDOCS_CACHE/tools"
S3S_FS_VERSION=0.14.1

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi
}

# Installs the Debian/Ubuntu packages that are not installed yet.
apt_ensure() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null || true
  as_root apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

require_rust() {
  command -v cargo >/dev/null || die "Rust is needed (1.85 or newer): install it with rustup (https://rustup.rs), then run this again."
}

# The S3-compatible test server that verifies SigV4 (header and presigned) signatures.
s3s_fs_bin() {
  local bin="$CLINICDOCS_TOOLS/bin/s3s-fs"
  if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -q "$S3S_FS_VERSION"; then
    log "building s3s-fs $S3S_FS_VERSION (once; cached in $CLINICDOCS_TOOLS)"
    cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked --root "$CLINICDOCS_TOOLS" >&2
  fi
  echo "$bin"
}

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port found"
}

wait_port() {
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  die "nothing listens on 127.0.0.1:$1 ($2)"
}

# Starts a throw-away PostgreSQL cluster on 127.0.0.1 (as the postgres user when run as root).
# Sets PG_URL and registers cleanup in SERVICES_DIR.
start_postgres() {
  local pgbin dir
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$pgbin" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
  dir="$SERVICES_DIR/pg"
  mkdir -p "$dir"
  local run=()
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres "$dir"
    chmod 755 "$SERVICES_DIR"
    run=(runuser -u postgres --)
  fi
  PG_PORT=$(free_port)
  "${run[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$SERVICES_DIR/pg-initdb.log" 2>&1 \
    || { cat "$SERVICES_DIR/pg-initdb.log" >&2; die "initdb failed"; }
  "${run[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    start >/dev/null || { cat "$dir/log" >&2; die "PostgreSQL did not start"; }
  PG_STOP=("${run[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop)
  PG_URL="postgres://postgres@127.0.0.1:$PG_PORT"
}

start_s3() {
  local bin
  bin=$(s3s_fs_bin)
  S3_ROOT="$SERVICES_DIR/s3"
  mkdir -p "$S3_ROOT"
  S3_PORT=$(free_port)
  S3_ACCESS_KEY=clinicdocs-test
  S3_SECRET_KEY="secret-$RANDOM$RANDOM"
  "$bin" --host 127.0.0.1 --port "$S3_PORT" --access-key "$S3_ACCESS_KEY" --secret-key "$S3_SECRET_KEY" "$S3_ROOT" \
    >"$SERVICES_DIR/s3.log" 2>&1 &
  S3_PID=$!
  wait_port "$S3_PORT" s3s-fs
  S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
}

stop_services() {
  [ -n "${S3_PID:-}" ] && kill "$S3_PID" 2>/dev/null
  [ -n "${PG_STOP:-}" ] && "${PG_STOP[@]}" >/dev/null 2>&1
  [ -n "${SERVICES_DIR:-}" ] && rm -rf "$SERVICES_DIR"
  return 0
}

# What building the Rust workspace needs: a C toolchain, OpenSSL's headers, libheif (HEIC).
BUILD_APT=(build-essential pkg-config libssl-dev libheif-dev)

# The desktop app's build and test dependencies (Tauri on WebKitGTK, libjpeg-turbo's build,
# the keyring backends, the headless window and WebDriver, Chromium for the UI tests).
DESKTOP_APT=(libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev
  libayatana-appindicator3-dev libgtk-3-dev cmake nasm python3 python3-pip unzip
  xvfb xauth dbus-x11 dbus keyutils gnome-keyring webkit2gtk-driver imagemagick python3-xlib x11-utils procps)

# libpdfium from the PyPI wheel pypdfium2 (Debian has none), copied to where the app bundles
# it as a resource: src-tauri/resources/libpdfium.so. Cached across runs.
PDFIUM_WHEEL_VERSION=5.15.2
ensure_pdfium() {
  local root="$1" dest="$1/src-tauri/resources/libpdfium.so"
  local cached="$CLINICDOCS_TOOLS/pdfium-$PDFIUM_WHEEL_VERSION/libpdfium.so"
  if [ ! -s "$cached" ]; then
    log "fetching libpdfium (PyPI pypdfium2 $PDFIUM_WHEEL_VERSION)"
    local tmp
    tmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 \
      --dest "$tmp" "pypdfium2==$PDFIUM_WHEEL_VERSION" >&2 || die "could not download pypdfium2"
    mkdir -p "$(dirname "$cached")"
    unzip -p "$tmp"/pypdfium2-*.whl pypdfium2_raw/libpdfium.so >"$cached.part" || die "libpdfium.so not in the wheel"
    mv "$cached.part" "$cached"
    rm -rf "$tmp"
  fi
  mkdir -p "$(dirname "$dest")"
  cmp -s "$cached" "$dest" 2>/dev/null || cp "$cached" "$dest"
  export CLINICDOCS_PDFIUM="$dest"
}

# Node.js 20 or newer for the UI build (Vite 7). Debian's own nodejs is used when none is there.
require_node() {
  command -v node >/dev/null || apt_ensure nodejs npm
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$major" -ge 20 ] || die "Node.js 20 or newer is needed for the UI build (found $(node --version 2>/dev/null || echo none)). Install it (e.g. from nodesource or nvm), then run this again."
}

# Installs the desktop build dependencies, libpdfium and the UI packages, and builds the UI
# into ui/dist (the desktop crate embeds it at compile time).
prepare_desktop() {
  local root="$1"
  apt_ensure "${DESKTOP_APT[@]}"
  require_node
  ensure_pdfium "$root"
  ensure_ui_deps "$root"
  log "building the UI"
  (cd "$root/ui" && npx vite build --logLevel warn >&2) || die "UI build failed"
}

# The UI's npm packages at the locked versions. `npm install --no-save` rather than `npm ci`:
# with `omit-lockfile-registry-resolved` (set on these machines) `npm ci` wrongly reports the
# lock's optional platform packages as missing.
ensure_ui_deps() {
  local ui="$1/ui"
  if [ ! -d "$ui/node_modules" ] || [ "$ui/package-lock.json" -nt "$ui/node_modules/.package-lock.json" ]; then
    log "installing the UI's npm packages"
    (cd "$ui" && npm install --no-save --no-audit --no-fund --loglevel=error >&2) || die "npm install failed"
  fi
}

# openapi-spec-validator (PyPI) for the OpenAPI contract check, installed once into the cache;
# prints the folder to put on PYTHONPATH.
OPENAPI_VALIDATOR_VERSION=0.7.2
openapi_validator_path() {
  local dir="$CLINICDOCS_TOOLS/py-openapi-$OPENAPI_VALIDATOR_VERSION"
  if [ ! -f "$dir/.complete" ]; then
    log "installing openapi-spec-validator $OPENAPI_VALIDATOR_VERSION (once; cached in $CLINICDOCS_TOOLS)"
    rm -rf "$dir"
    python3 -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --target "$dir" \
      "openapi-spec-validator==$OPENAPI_VALIDATOR_VERSION" >&2 || die "could not install openapi-spec-validator"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# clippy-driver, the compiler clippy runs as (scripts/test.sh lints through it while building):
# the one of the toolchain cargo uses. Prints its path.
clippy_driver_bin() {
  local bin
  if command -v rustup >/dev/null; then
    bin=$(rustup which clippy-driver 2>/dev/null) || rustup component add clippy >&2
    bin=$(rustup which clippy-driver 2>/dev/null) || die "clippy is needed: rustup component add clippy"
  else
    bin=$(command -v clippy-driver) || die "clippy is needed (clippy-driver next to cargo)"
  fi
  echo "$bin"
}

# tauri-driver (WebDriver for the real app window), built once and cached.
tauri_driver_bin() {
  local bin="$CLINICDOCS_TOOLS/bin/tauri-driver"
  if [ ! -x "$bin" ]; then
    log "building tauri-driver (once; cached in $CLINICDOCS_TOOLS)"
    cargo install tauri-driver --locked --root "$CLINICDOCS_TOOLS" >&2
  fi
  echo "$bin"
}

# The encrypted-PDF test set: `resources/encryption/` of pypdf's source release on PyPI (files
# made by qpdf with and without user and owner passwords), checked against its published
# SHA-256 and unpacked once into the cache. Prints the folder.
PYPDF_VERSION=5.1.0
PYPDF_SDIST_SHA256=425a129abb1614183fd1aca6982f650b47f8026867c0ce7c4b9f281c443d2740
pdf_encryption_corpus_dir() {
  local dir="$CLINICDOCS_TOOLS/pdf-encryption-pypdf-$PYPDF_VERSION" sdist="pypdf-$PYPDF_VERSION.tar.gz" tmp
  if [ ! -f "$dir/.complete" ]; then
    log "fetching the encrypted-PDF test set from $sdist (once; cached in $CLINICDOCS_TOOLS)"
    tmp=$(mktemp -d)
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary=:all: \
      -d "$tmp" "pypdf==$PYPDF_VERSION" >&2 || die "could not download $sdist"
    echo "$PYPDF_SDIST_SHA256  $tmp/$sdist" | sha256sum -c --quiet >&2 || die "$sdist does not match its SHA-256"
    rm -rf "$dir" && mkdir -p "$dir"
    tar -xzf "$tmp/$sdist" -C "$dir" --strip-components=3 --wildcards '*/resources/encryption/*.pdf' >&2 \
      || die "could not unpack $sdist"
    rm -rf "$tmp"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# The DICOM test corpus: pydicom's test files (from its PyPI wheel), files derived from them and
# reference renders made with pydicom + numpy (tests/dicom/make_corpus.py). The Python packages
# are installed once into the cache; the corpus is rebuilt when the script changes. Prints the
# corpus folder.
DICOM_PY_PACKAGES=(pydicom==3.0.2 numpy==2.4.6 pylibjpeg==2.1.0 pylibjpeg-libjpeg==2.5.0 pylibjpeg-openjpeg==2.6.0)
dicom_corpus_dir() {
  local root="$1" py="$CLINICDOCS_TOOLS/py-dicom-3.0.2"
  if [ ! -f "$py/.complete" ]; then
    log "installing pydicom and its decoders (once; cached in $CLINICDOCS_TOOLS)"
    rm -rf "$py"
    python3 -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --only-binary=:all: \
      --target "$py" "${DICOM_PY_PACKAGES[@]}" >&2 || die "could not install pydicom"
    touch "$py/.complete"
  fi
  local stamp corpus
  stamp=$(sha256sum "$root/tests/dicom/make_corpus.py" | cut -c1-12)
  corpus="$CLINICDOCS_TOOLS/dicom-corpus-$stamp"
  if [ ! -f "$corpus/manifest.json" ]; then
    log "building the DICOM corpus and its reference renders"
    rm -rf "$corpus"
    PYTHONPATH="$py" python3 -W ignore "$root/tests/dicom/make_corpus.py" "$corpus" >&2 || die "could not build the DICOM corpus"
  fi
  echo "$corpus"
}
