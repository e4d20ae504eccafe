"""One app per data directory: a second launch raises the first window and exits.

The end-to-end test launches the real app twice (``python -m wallet_perps``, offscreen, a
stored locked wallet in the encrypted-file fallback so no keyring is needed), as a user
double-clicking the launcher would. The others drive the lock and the local server directly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from wallet_perps.ui import single_instance
from wallet_perps.ui.single_instance import InstanceLock, RaiseServer, server_name

ROOT = Path(__file__).resolve().parents[2]
LISTENING = "listening for later launches"
RAISED = "another launch asked for the window"


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_server_names_differ_per_home_and_include_the_uid(tmp_path: Path) -> None:
    a, b = server_name(tmp_path / "a"), server_name(tmp_path / "b")
    assert a != b and a == server_name(tmp_path / "a")
    assert f"wallet-perps-{os.getuid()}-" in a
    assert len(os.fsencode(a)) <= 100  # fits a Unix socket path


def test_the_lock_is_exclusive_and_freed_when_its_process_dies(tmp_path: Path) -> None:
    path = tmp_path / "config" / "instance.lock"
    first = InstanceLock.try_acquire(path)
    assert first is not None
    assert InstanceLock.try_acquire(path) is None
    first.release()
    again = InstanceLock.try_acquire(path)
    assert again is not None
    again.release()

    # A holder killed with SIGKILL leaves its file behind, but not its lock.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from wallet_perps.ui.single_instance import InstanceLock\n"
            f"assert InstanceLock.try_acquire(Path({str(path)!r})) is not None\n"
            "print('held', flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert InstanceLock.try_acquire(path) is None
    finally:
        holder.kill()
        holder.wait()
    assert path.exists()
    after = InstanceLock.try_acquire(path)
    assert after is not None
    after.release()


def test_a_stale_socket_does_not_block_and_a_raise_request_is_answered(
    qtbot: QtBot, tmp_path: Path
) -> None:
    name = server_name(tmp_path / "config")
    if os.path.isabs(name):
        stale_path = name
    else:
        from PySide6.QtCore import QDir

        stale_path = os.path.join(QDir.tempPath(), name)
    # What a crashed instance leaves: a socket file nobody listens on.
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(stale_path)
    leftover.close()
    assert os.path.exists(stale_path)

    raised: list[bool] = []
    server = RaiseServer(lambda: raised.append(True), name)
    try:
        assert server.listening
        # The asking side blocks (it is a process with no window), so it runs in another one.
        asker = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys\n"
                "from wallet_perps.ui.single_instance import ask_running_instance\n"
                f"sys.exit(0 if ask_running_instance({name!r}, 60) else 1)\n",
            ],
            cwd=ROOT,
        )
        qtbot.waitUntil(lambda: asker.poll() is not None, timeout=90_000)
        assert asker.returncode == 0
        assert raised == [True]
    finally:
        server.close()


def test_raise_window_brings_back_a_minimised_window(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(300, 200)
    window.showMinimized()
    qtbot.waitUntil(window.isMinimized)
    single_instance.raise_window(window)
    assert not window.isMinimized() and window.isVisible()


def make_home(home: Path, env: dict[str, str]) -> None:
    """One stored, locked wallet (encrypted-file fallback), as after onboarding."""
    code = (
        "from wallet_perps.wallet.keystore import Keystore\n"
        "from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT\n"
        "Keystore(scrypt=TEST_ONLY_FAST_SCRYPT, allow_file_fallback=True)"
        ".create_demo_wallet('single-instance-1')\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT, timeout=120)


@pytest.mark.timeout(400)
def test_a_second_launch_raises_the_first_and_exits(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        **os.environ,
        "WALLET_PERPS_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "QT_QPA_PLATFORM": "offscreen",
    }
    make_home(home, env)
    app = [sys.executable, "-m", "wallet_perps", "--network", "local"]

    def launch(log: Path) -> subprocess.Popen[bytes]:
        with open(log, "wb") as out:
            return subprocess.Popen(app, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    # The app logs INFO lines to its log file (the console shows warnings only).
    app_log = home / "log" / "wallet-perps.log"

    def logged(text: str) -> int:
        return app_log.read_text(errors="replace").count(text) if app_log.exists() else 0

    first_log = tmp_path / "first.log"
    first = launch(first_log)
    try:
        wait_for(lambda: logged(LISTENING) == 1, "the first app")
        second = subprocess.run(app, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stdout + second.stderr
        assert second.stdout.strip() == (
            "Wallet Perps is already running: its window was brought to the front."
        )
        # It stopped before starting anything: no venue, no window of its own.
        assert "venue" not in second.stderr and LISTENING not in second.stderr
        wait_for(lambda: logged(RAISED) == 1, "the raise request")
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGKILL)  # a crash: its socket file stays behind
        first.wait(timeout=60)

    # The crashed app's leftovers (socket file, lock file) do not stop a new start.
    third_log = tmp_path / "third.log"
    third = launch(third_log)
    try:
        wait_for(lambda: logged(LISTENING) == 2, "a new start")
        assert third.poll() is None
    finally:
        third.terminate()
        third.wait(timeout=60)
