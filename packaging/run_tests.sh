#!/usr/bin/env bash
# The whole suite as `dev.sh test` runs it with no arguments: the Qt-free tests in one pytest
# process, then each UI test module in a process of its own. Meant to run under
# with_keyring.sh (a private D-Bus session with gnome-keyring).
#
# Why one process per UI module: full runs crashed (SIGSEGV inside Qt's event processing, in
# a different place each time) after many UI tests had created and destroyed windows, event
# loops and charts in the same process, which the app itself never does (one window, one
# loop). A module alone has never crashed. Each pytest call still fails the run on a failure,
# and a call that ran no test (pytest's exit 5) fails it too.
set -uo pipefail
PYTHON="$1"
shift
rc=0
run() {
    "$PYTHON" -m pytest "$@"
    local code=$?
    if [ "$code" -ne 0 ]; then rc=$code; fi
    return 0
}
run --ignore=tests/ui "$@"
for module in tests/ui/test_*.py; do
    [ "$rc" -eq 0 ] || break
    run -q "$module" "$@"
done
exit "$rc"
