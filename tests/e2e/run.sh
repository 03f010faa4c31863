#!/usr/bin/env bash
# Runs a command (default: the desktop end-to-end story, desktop.e2e.mjs) the way the app runs
# on a workstation: a private D-Bus session with an unlocked GNOME Keyring login collection (the
# Secret Service the app keeps its token in) and an X display (Xvfb). Keyring files and sockets
# live in a temp folder; nothing outlives the command and nothing is written under $HOME.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || set -- node tests/e2e/desktop.e2e.mjs
SESSION_DIR=$(mktemp -d /tmp/clinicdocs-session.XXXXXX)
trap 'rm -rf "$SESSION_DIR"' EXIT
chmod 700 "$SESSION_DIR"
export NO_AT_BRIDGE=1 XDG_RUNTIME_DIR="$SESSION_DIR" XDG_DATA_HOME="$SESSION_DIR/share"
dbus-run-session -- bash -c '
  printf "e2e-login" | gnome-keyring-daemon --login >/dev/null 2>&1
  eval "$(gnome-keyring-daemon --start --components=secrets 2>/dev/null)"
  export GNOME_KEYRING_CONTROL
  exec xvfb-run -a -s "-screen 0 1280x860x24" "$@"
' bash "$@"
