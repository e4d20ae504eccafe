#!/usr/bin/env bash
# The project's two commands (and a few helpers), each setting up what it needs by itself:
#
#   bash packaging/dev.sh run [app args]     run the app (on the built-in local venue by default)
#   bash packaging/dev.sh test [pytest args] lint, type-check and run the whole test suite
#   bash packaging/dev.sh venue [venue args] run the local venue alone
#   bash packaging/dev.sh bench              run every benchmark in benchmarks/
#   bash packaging/dev.sh bundle             build the desktop bundle in dist/ (PyInstaller)
#   bash packaging/dev.sh install-desktop    add the app to the desktop's menu (--bundle, --exec P)
#   bash packaging/dev.sh uninstall-desktop  remove what install-desktop added
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
    # apt's chatter (debconf notes and the like) is shown only if the install fails.
    local out
    out="$(as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "$@" 2>&1)" \
        || { printf '%s\n' "$out" | tail -n 20 >&2; die "could not install: $*"; }
}

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        # Silenced: a pyenv shim of a version that is not installed complains on stderr.
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
            >/dev/null 2>&1; then
            echo "$candidate"; return 0
        fi
    done
    die "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)"
}

ensure_venv() {
    # $1: the pip extras to install ("", "test" or "bundle"). Reinstalls only when
    # pyproject.toml changed. pip's output goes to a log shown only when it fails.
    local extras="$1" spec="." stamp want py log
    [ -n "$extras" ] && spec=".[$extras]"
    if [ ! -x "$VENV/bin/python" ]; then
        py="$(find_python)"
        say "creating virtual environment in $VENV"
        if ! "$py" -m venv "$VENV" >/dev/null 2>&1; then
            rm -rf "$VENV"
            apt_install python3-venv
            "$py" -m venv "$VENV" || die "could not create a virtual environment with $py"
        fi
    fi
    stamp="$VENV/.wallet-perps-installed"
    want="$(sha256sum pyproject.toml | cut -c1-16) $extras"
    if [ ! -f "$stamp" ] || ! grep -qxF "$want" "$stamp"; then
        say "installing wallet-perps ($spec) into $VENV (a minute or two the first time)"
        log="$VENV/pip-install.log"
        if ! { "$VENV/bin/python" -m pip install -q --upgrade pip \
                && "$VENV/bin/python" -m pip install -q -e "$spec"; } >"$log" 2>&1; then
            tail -n 20 "$log" >&2
            die "pip could not install wallet-perps (full log: $log)"
        fi
        echo "$want" >>"$stamp"
    fi
}

ensure_qt_runtime() {
    # PySide6 wheels bring Qt but not the system libraries it links against (GL, fontconfig,
    # xkbcommon, dbus, and the xcb libraries a real X display needs). This checks the
    # offscreen platform the tests and benchmarks use; the app checks its display's platform
    # (ensure_qt_display below).
    if QT_QPA_PLATFORM=offscreen "$VENV/bin/python" -c \
        'from PySide6.QtWidgets import QApplication; QApplication([])' >/dev/null 2>&1; then
        return 0
    fi
    apt_install libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
        libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
        libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 \
        fonts-dejavu-core
}

qt_soname_package() {
    # The Debian/Ubuntu package that ships a shared library Qt's platform plugins link against.
    case "$1" in
        libxcb-icccm.so.*) echo libxcb-icccm4 ;;
        libxcb-keysyms.so.*) echo libxcb-keysyms1 ;;
        libxcb-image.so.*) echo libxcb-image0 ;;
        libxcb-render-util.so.*) echo libxcb-render-util0 ;;
        libxcb-cursor.so.*) echo libxcb-cursor0 ;;
        libxcb-xkb.so.*) echo libxcb-xkb1 ;;
        libxcb-shape.so.*) echo libxcb-shape0 ;;
        libxcb-randr.so.*) echo libxcb-randr0 ;;
        libxcb-xinerama.so.*) echo libxcb-xinerama0 ;;
        libxcb-xinput.so.*) echo libxcb-xinput0 ;;
        libxcb-xfixes.so.*) echo libxcb-xfixes0 ;;
        libxcb-shm.so.*) echo libxcb-shm0 ;;
        libxcb-sync.so.*) echo libxcb-sync1 ;;
        libxcb-render.so.*) echo libxcb-render0 ;;
        libxcb-glx.so.*) echo libxcb-glx0 ;;
        libxcb-util.so.*) echo libxcb-util1 ;;
        libxcb.so.*) echo libxcb1 ;;
        libxkbcommon-x11.so.*) echo libxkbcommon-x11-0 ;;
        libxkbcommon.so.*) echo libxkbcommon0 ;;
        libX11-xcb.so.*) echo libx11-xcb1 ;;
        libX11.so.*) echo libx11-6 ;;
        libSM.so.*) echo libsm6 ;;
        libICE.so.*) echo libice6 ;;
        libEGL.so.*) echo libegl1 ;;
        libGL.so.* | libGLX.so.* | libOpenGL.so.*) echo libgl1 ;;
        libfontconfig.so.*) echo libfontconfig1 ;;
        libfreetype.so.*) echo libfreetype6 ;;
        libdbus-1.so.*) echo libdbus-1-3 ;;
        libglib-2.0.so.* | libgthread-2.0.so.* | libgobject-2.0.so.*) echo libglib2.0-0 ;;
        libwayland-client.so.*) echo libwayland-client0 ;;
        libwayland-cursor.so.*) echo libwayland-cursor0 ;;
        libwayland-egl.so.*) echo libwayland-egl1 ;;
        *) return 1 ;;
    esac
}

ensure_qt_platform_libs() {
    # $1: a Qt platform plugin (xcb, wayland, ...). Installs the system libraries that the
    # plugin, and the Qt libraries it loads, need and the dynamic linker cannot find.
    local platform="$1" qt so pkg libs=() packages=() unknown=()
    qt="$(ls -d "$VENV"/lib/python3*/site-packages/PySide6/Qt 2>/dev/null | head -n 1)"
    [ -n "$qt" ] || die "PySide6 is missing from $VENV: delete that folder and run this again"
    case "$platform" in
        xcb) libs=("$qt/plugins/platforms/libqxcb.so" "$qt/lib/libQt6XcbQpa.so.6"
                   "$qt"/plugins/xcbglintegrations/*.so) ;;
        wayland*) libs=("$qt"/plugins/platforms/libqwayland*.so
                        "$qt/lib/libQt6WaylandClient.so.6") ;;
        *) libs=("$qt/plugins/platforms/libq$platform.so") ;;
    esac
    while read -r so; do
        [ -n "$so" ] || continue
        if pkg="$(qt_soname_package "$so")"; then packages+=("$pkg"); else unknown+=("$so"); fi
    done < <({ for so in "${libs[@]}"; do
                   [ -f "$so" ] && ldd "$so" 2>/dev/null | awk '/=> not found/ {print $1}'
               done
               # Some Qt builds dlopen xcb-cursor instead of linking it: ldd cannot see it.
               if [ "$platform" = xcb ] && ! { ldconfig -p 2>/dev/null \
                       || /sbin/ldconfig -p 2>/dev/null; } \
                       | grep -F 'libxcb-cursor.so.0 (' >/dev/null; then  # no -q: pipefail
                   echo libxcb-cursor.so.0
               fi; } | sort -u)
    [ ${#unknown[@]} -eq 0 ] \
        || die "Qt's $platform platform needs these libraries; please install them: ${unknown[*]}"
    if [ ${#packages[@]} -gt 0 ]; then
        say "Qt's $platform platform needs system libraries that are missing"
        mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)
        apt_install "${packages[@]}"
    fi
}

ensure_qt_display() {
    # The app opens a real window, so check the platform Qt will really use (not offscreen):
    # QT_QPA_PLATFORM if set, else Wayland and/or X11 (Qt falls back to XWayland's xcb).
    if [ -n "${QT_QPA_PLATFORM:-}" ]; then
        ensure_qt_platform_libs "$(printf '%s' "$QT_QPA_PLATFORM" | cut -d';' -f1 | cut -d: -f1)"
    elif [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        [ -z "${WAYLAND_DISPLAY:-}" ] || ensure_qt_platform_libs wayland
        [ -z "${DISPLAY:-}" ] || ensure_qt_platform_libs xcb
    else
        die "no display to open the window on: run this from a desktop session," \
            "or set DISPLAY to your X server (e.g. DISPLAY=:0)"
    fi
    if ! compgen -G "/usr/share/fonts/*/*" >/dev/null \
        && ! compgen -G "/usr/share/fonts/*/*/*" >/dev/null; then
        apt_install fonts-dejavu-core  # a minimal system: without any font, text is boxes
    fi
    local out
    if ! out="$("$VENV/bin/python" -c \
        'from PySide6.QtWidgets import QApplication; QApplication([])' 2>&1)"; then
        case "$out" in
            *"could not connect to display"*)
                die "cannot connect to the X display ${DISPLAY:-}: is it running, and may" \
                    "this user open windows on it (XAUTHORITY)?" ;;
        esac
        printf '%s\n' "$out" >&2
        die "Qt cannot open a window on this display (Qt's reason is above)"
    fi
}

ensure_test_services() {
    # The keystore tests use the real Secret Service (gnome-keyring inside a private D-Bus
    # session), the same backend a Linux desktop uses; screenshots need Xvfb.
    local missing=()
    command -v dbus-run-session >/dev/null 2>&1 || missing+=(dbus dbus-daemon)
    command -v gnome-keyring-daemon >/dev/null 2>&1 || missing+=(gnome-keyring)
    command -v xvfb-run >/dev/null 2>&1 || missing+=(xvfb xauth)
    # tests/packaging/test_desktop.py validates the launcher and the AppStream metadata.
    command -v desktop-file-validate >/dev/null 2>&1 || missing+=(desktop-file-utils)
    command -v appstreamcli >/dev/null 2>&1 || missing+=(appstream)
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
    if [ $# -eq 0 ]; then  # the whole suite: UI modules each in their own process
        exec dbus-run-session -- bash "$ROOT/packaging/with_keyring.sh" \
            bash "$ROOT/packaging/run_tests.sh" "$VENV/bin/python"
    fi
    exec dbus-run-session -- bash "$ROOT/packaging/with_keyring.sh" \
        "$VENV/bin/python" -m pytest "$@"
}

cmd_run() {
    ensure_venv ""
    local arg need=display
    for arg in "$@"; do
        case "$arg" in
            -h | --help | --version) need="" ;;  # answered before Qt is imported
            --self-test) need=offscreen ;;      # runs offscreen unless QT_QPA_PLATFORM is set
        esac
    done
    case "$need" in
        display) ensure_qt_display ;;
        offscreen) ensure_qt_runtime ;;
    esac
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
        case "$script" in
            benchmarks/stream_*.py) continue ;;  # modules of ui_stream.py and soak.py
            benchmarks/soak.py) say "benchmark $script (5 min; --minutes 60 for the soak)"
                "$VENV/bin/python" "$script" --minutes 5; continue ;;
        esac
        say "benchmark $script"
        "$VENV/bin/python" "$script"
    done
}

cmd_bundle() {
    # The one-folder desktop app dist/wallet-perps/ (packaging/wallet-perps.spec) and a tarball
    # of it, then its self-test. Signed, reproducible releases: packaging/RELEASE.md.
    ensure_venv bundle
    # PyInstaller copies the xcb libraries Qt's plugin links against from this machine into
    # the bundle, so they must be here (the bundle then runs where they are not).
    ensure_qt_platform_libs xcb
    local version arch tarball log start epoch
    version="$("$VENV/bin/python" -c \
        'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
    arch="$(uname -m)"
    tarball="dist/wallet-perps-$version-linux-$arch.tar.gz"
    log="build/bundle.log"
    mkdir -p build
    rm -rf dist/wallet-perps "$tarball"
    say "building dist/wallet-perps/ with PyInstaller (a minute or two; log: $log)"
    start=$SECONDS
    # A fixed hash seed and timestamp: the same sources and wheels give the same bytes.
    epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
    PYTHONHASHSEED=1 SOURCE_DATE_EPOCH="$epoch" "$VENV/bin/python" -m PyInstaller --noconfirm \
        --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
        packaging/wallet-perps.spec >"$log" 2>&1 \
        || { tail -n 30 "$log" >&2; die "PyInstaller failed (full log: $log)"; }
    # Fixed order, owner, times and gzip header: the tarball's bytes depend only on the files.
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
        -C dist -cf - wallet-perps \
        | gzip -n -6 >"$tarball"
    say "built dist/wallet-perps/ ($(du -sh dist/wallet-perps | cut -f1)) and $tarball" \
        "($(du -h "$tarball" | cut -f1)) in $((SECONDS - start)) s"
    say "self-test of the bundle"
    QT_QPA_PLATFORM=offscreen dist/wallet-perps/wallet-perps --self-test \
        || die "the bundle failed its self-test (above)"
}

# ---- desktop integration: the launcher, icons and AppStream metadata of packaging/linux/,
# installed for this user under $XDG_DATA_HOME (~/.local/share) with an absolute Exec path.

APP_ID="io.github.walletperps.WalletPerps"
DESKTOP_ICON_SIZES=(16 24 32 48 64 128 256 512)

desktop_data_home() { printf '%s\n' "${XDG_DATA_HOME:-$HOME/.local/share}"; }

desktop_files() {
    # Every file install-desktop writes, relative to the data home: uninstall removes these.
    local size
    echo "applications/$APP_ID.desktop"
    echo "metainfo/$APP_ID.metainfo.xml"
    echo "icons/hicolor/scalable/apps/$APP_ID.svg"
    for size in "${DESKTOP_ICON_SIZES[@]}"; do
        echo "icons/hicolor/${size}x${size}/apps/$APP_ID.png"
    done
}

desktop_exec_path() {
    # $1: "bundle", an explicit path, or "" (wallet-perps on PATH, e.g. from pipx; else the
    # bundle in dist/; else this checkout's virtual environment). Prints an absolute path.
    local want="$1" found=""
    case "$want" in
        bundle) found="$ROOT/dist/wallet-perps/wallet-perps"
                [ -x "$found" ] || die "no bundle at $found (build it: bash packaging/dev.sh bundle)" ;;
        "") found="$(command -v wallet-perps 2>/dev/null || true)"
            case "$found" in /*) ;; *) found="" ;; esac
            if [ -z "$found" ] && [ -x "$ROOT/dist/wallet-perps/wallet-perps" ]; then
                found="$ROOT/dist/wallet-perps/wallet-perps"
            elif [ -z "$found" ] && [ -x "$VENV/bin/wallet-perps" ]; then
                found="$VENV/bin/wallet-perps"
            fi
            [ -n "$found" ] || die "wallet-perps is not installed: install it (pipx install .)," \
                "build the bundle (bash packaging/dev.sh bundle), or pass --exec PATH" ;;
        *) found="$want"
           [ -f "$found" ] && [ -x "$found" ] || die "not an executable file: $found" ;;
    esac
    printf '%s/%s\n' "$(cd "$(dirname "$found")" && pwd)" "$(basename "$found")"
}

desktop_exec_value() {
    # A path as the Exec key's program (Desktop Entry spec, "The Exec key"): as is when it has
    # only plain characters, else double-quoted with " ` $ \ escaped, then every \ doubled (the
    # string-value escape, applied first by readers) and % doubled (not a field code).
    local path="$1"
    if [[ "$path" =~ ^[A-Za-z0-9/._+-]+$ ]]; then printf '%s\n' "$path"; return; fi
    path="${path//\\/\\\\}"
    path="${path//\"/\\\"}"
    path="${path//\`/\\\`}"
    path="${path//\$/\\\$}"
    path="${path//\\/\\\\}"
    path="${path//%/%%}"
    printf '"%s"\n' "$path"
}

desktop_refresh_caches() {
    # Quietly, and only with tools that are present. A cache is refreshed where one exists
    # (or, for icons, where the theme has an index, as xdg-icon-resource does), never created
    # from nothing: our launcher declares no MIME types, and a cache nobody refreshes later
    # would hide what other apps add; uninstall then leaves nothing of ours behind.
    local data="$1" theme="$1/icons/hicolor"
    if [ -f "$data/applications/mimeinfo.cache" ] \
        && command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$data/applications" >/dev/null 2>&1 || true
    fi
    [ -d "$theme" ] && touch "$theme"
    if { [ -f "$theme/index.theme" ] || [ -f "$theme/icon-theme.cache" ]; } \
        && command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t -f "$theme" >/dev/null 2>&1 || true
    fi
}

cmd_install_desktop() {
    local want="" data exec_path exec_value line size icons="$ROOT/wallet_perps/resources/icons"
    local linux="$ROOT/packaging/linux"
    while [ $# -gt 0 ]; do
        case "$1" in
            --bundle) want=bundle ;;
            --exec) [ $# -ge 2 ] || die "--exec needs a path"; shift; want="$1" ;;
            --exec=*) want="${1#--exec=}" ;;
            *) die "install-desktop: unknown option $1 (use --bundle or --exec PATH)" ;;
        esac
        shift
    done
    exec_path="$(desktop_exec_path "$want")"
    exec_value="$(desktop_exec_value "$exec_path")"
    data="$(desktop_data_home)"
    mkdir -p "$data/applications" "$data/metainfo" "$data/icons/hicolor/scalable/apps"
    while IFS= read -r line; do
        case "$line" in
            Exec=*) printf 'Exec=%s\n' "$exec_value" ;;
            # TryExec is a plain string: kept only for a path that needs no escaping.
            TryExec=*) [ "$exec_value" != "$exec_path" ] || printf 'TryExec=%s\n' "$exec_path" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done <"$linux/$APP_ID.desktop" >"$data/applications/$APP_ID.desktop.tmp"
    chmod 644 "$data/applications/$APP_ID.desktop.tmp"
    mv -f "$data/applications/$APP_ID.desktop.tmp" "$data/applications/$APP_ID.desktop"
    install -m 644 "$linux/$APP_ID.metainfo.xml" "$data/metainfo/$APP_ID.metainfo.xml"
    install -m 644 "$icons/wallet-perps.svg" "$data/icons/hicolor/scalable/apps/$APP_ID.svg"
    for size in "${DESKTOP_ICON_SIZES[@]}"; do
        install -D -m 644 "$icons/wallet-perps-$size.png" \
            "$data/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
    done
    desktop_refresh_caches "$data"
    say "installed the Wallet Perps launcher in $data (Exec: $exec_path)"
}

cmd_uninstall_desktop() {
    local data rel removed=0
    [ $# -eq 0 ] || die "uninstall-desktop takes no arguments"
    data="$(desktop_data_home)"
    while IFS= read -r rel; do
        if [ -e "$data/$rel" ] || [ -L "$data/$rel" ]; then
            rm -f "$data/$rel"
            removed=$((removed + 1))
        fi
    done < <(desktop_files)
    desktop_refresh_caches "$data"
    say "removed $removed files of the Wallet Perps launcher from $data"
}

case "${1:-}" in
    run) shift; cmd_run "$@" ;;
    test) shift; cmd_test "$@" ;;
    venue) shift; cmd_venue "$@" ;;
    bench) shift; cmd_bench "$@" ;;
    bundle) shift; cmd_bundle "$@" ;;
    install-desktop) shift; cmd_install_desktop "$@" ;;
    uninstall-desktop) shift; cmd_uninstall_desktop "$@" ;;
    *) sed -n '2p; /^#   bash packaging/p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
