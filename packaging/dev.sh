#!/usr/bin/env bash
# The project's two commands (and a few helpers), each setting up what it needs by itself:
#
#   bash packaging/dev.sh run [app args]     run the app (on the built-in local venue by default)
#   bash packaging/dev.sh test [pytest args] lint, type-check and run the whole test suite
#   bash packaging/dev.sh venue [venue args] run the local venue alone
#   bash packaging/dev.sh bench              run every benchmark in benchmarks/
#
# Why one script: a fresh Linux machine with Python 3.11+ has neither our virtual environment
# nor the system services the tests use (a D-Bus session and gnome-keyring for the real
# Secret Service keyring, Qt's runtime libraries). Each command installs what is missing, so
# the README's two commands and .ci/run are the same code path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${WALLET_PERPS_VENV:-$ROOT/.venv}"
cd "$ROOT"

say() { printf '[dev.sh] %s\n' "$*" >&2; }
die() { printf '[dev.sh] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else return 1
    fi
}

APT_UPDATED=0
apt_install() {
    # Installs Debian/Ubuntu packages; on other systems says what to install instead.
    command -v apt-get >/dev/null 2>&1 || die "please install these system packages: $*"
    if [ "$APT_UPDATED" -eq 0 ]; then
        say "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
            || die "apt-get update failed (need root or sudo to install: $*)"
        APT_UPDATED=1
    fi
    say "installing system packages: $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
        >/dev/null || die "could not install: $*"
}

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
            echo "$candidate"; return 0
        fi
    done
    die "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)"
}

ensure_venv() {
    # $1: the pip extras to install ("" or "test"). Reinstalls only when pyproject.toml changed.
    local extras="$1" spec="." stamp want py
    [ -n "$extras" ] && spec=".[$extras]"
    if [ ! -x "$VENV/bin/python" ]; then
        py="$(find_python)"
        say "creating virtual environment in $VENV"
        if ! "$py" -m venv "$VENV" 2>/dev/null; then
            rm -rf "$VENV"
            apt_install python3-venv
            "$py" -m venv "$VENV" || die "could not create a virtual environment with $py"
        fi
    fi
    stamp="$VENV/.wallet-perps-installed"
    want="$(sha256sum pyproject.toml | cut -c1-16) $extras"
    if [ ! -f "$stamp" ] || ! grep -qxF "$want" "$stamp"; then
        say "installing wallet-perps ($spec) into $VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e "$spec"
        echo "$want" >>"$stamp"
    fi
}

ensure_qt_runtime() {
    # PySide6 wheels bring Qt but not the system libraries it links against (GL, fontconfig,
    # xkbcommon, dbus, and the xcb libraries a real X display needs).
    if QT_QPA_PLATFORM=offscreen "$VENV/bin/python" -c \
        'from PySide6.QtWidgets import QApplication; QApplication([])' >/dev/null 2>&1; then
        return 0
    fi
    apt_install libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
        libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
        libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 \
        fonts-dejavu-core
}

ensure_test_services() {
    # The keystore tests use the real Secret Service (gnome-keyring inside a private D-Bus
    # session), the same backend a Linux desktop uses; screenshots need Xvfb.
    local missing=()
    command -v dbus-run-session >/dev/null 2>&1 || missing+=(dbus dbus-daemon)
    command -v gnome-keyring-daemon >/dev/null 2>&1 || missing+=(gnome-keyring)
    command -v xvfb-run >/dev/null 2>&1 || missing+=(xvfb xauth)
    if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

cmd_test() {
    ensure_venv test
    ensure_qt_runtime
    ensure_test_services
    say "ruff"
    "$VENV/bin/ruff" check wallet_perps tests benchmarks
    "$VENV/bin/ruff" format --check wallet_perps tests benchmarks
    say "mypy"
    "$VENV/bin/mypy"
    say "pytest (inside a private D-Bus session with gnome-keyring)"
    export QT_QPA_PLATFORM=offscreen
    export WALLET_PERPS_VENV="$VENV"
    exec dbus-run-session -- bash "$ROOT/packaging/with_keyring.sh" \
        "$VENV/bin/python" -m pytest "$@"
}

cmd_run() {
    ensure_venv ""
    ensure_qt_runtime
    exec "$VENV/bin/python" -m wallet_perps "$@"
}

cmd_venue() {
    ensure_venv ""
    exec "$VENV/bin/python" -m wallet_perps.localvenue.cli "$@"
}

cmd_bench() {
    ensure_venv test
    ensure_qt_runtime
    local script
    for script in benchmarks/*.py; do
        say "benchmark $script"
        "$VENV/bin/python" "$script"
    done
}

case "${1:-}" in
    run) shift; cmd_run "$@" ;;
    test) shift; cmd_test "$@" ;;
    venue) shift; cmd_venue "$@" ;;
    bench) shift; cmd_bench "$@" ;;
    *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
