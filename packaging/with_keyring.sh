#!/usr/bin/env bash
# Runs a command with a real, unlocked Secret Service keyring: gnome-keyring-daemon started
# inside the current (private) D-Bus session, its keyrings kept in a throwaway directory so a
# developer's own keyring is never touched. Meant to be called under `dbus-run-session`.
set -euo pipefail
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "with_keyring.sh: run me under dbus-run-session" >&2; exit 1; }

SANDBOX="$(mktemp -d -t wallet-perps-keyring.XXXXXX)"
export XDG_DATA_HOME="$SANDBOX/data"
export XDG_RUNTIME_DIR="$SANDBOX/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

# --unlock reads the login keyring's password from stdin and creates it unlocked.
eval "$(printf 'wallet-perps-test-session' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
cleanup() {
    [ -n "${GNOME_KEYRING_PID:-}" ] && kill "$GNOME_KEYRING_PID" 2>/dev/null || true
    rm -rf "$SANDBOX"
}
trap cleanup EXIT

set +e
"$@"
rc=$?
set -e
exit "$rc"
