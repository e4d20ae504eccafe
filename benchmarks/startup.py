"""Benchmark: seconds from process start to the first live BTC price painted.

Run with ``.venv/bin/python benchmarks/startup.py`` (``--runs N``). Each run launches
``python -m wallet_perps --network local`` as a user would, with a fresh home holding one
(locked) wallet, so the app opens on the Trade page, starts its local venue child process,
connects, and paints BTC's price. The app's startup probe (``wallet_perps/ui/startup_probe.py``)
writes the seconds from the launch time this script passes in to the paint event of the price
label, then closes the window; the app exits after stopping its venue.

Baseline, in the same run: a bare PySide6 process that shows a window with one price label
and reports its first paint the same way. Goal: at most 1.5 s and at most 3x the baseline.

Also in the same run, for the reading of the result, the floor of the stack the app is built
on: a process that imports only what a live price needs (Qt, qasync, and ``websockets``, the
library of the app's WebSocket client), subscribes to ``allMids`` on an already running local
venue and paints the BTC mid. No app can paint a live price sooner on this stack; the distance
from the floor to the app is what the app's own code costs.
Last, where the app's own time goes: the median length of each stretch between the
milestones its probe reports (entry module loaded, imports done, window built, market session
live and Trade page built, price painted).
Qt runs offscreen (``QT_QPA_PLATFORM=offscreen``) unless a display is set, so it works on a
machine without a screen; the wallet is stored in the encrypted-file fallback of a throwaway
home, so no keyring is needed or touched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wallet_perps.services.venue_launcher import VenueChild  # noqa: E402

GOAL_S = 1.5
GOAL_RATIO = 3.0

#: What both reference processes share: a 1280x800 window with one price label, whose first
#: paint showing a dollar price is reported (seconds since launch and the process's CPU) the
#: way the app's startup probe reports its own; ``FIRST_TEXT`` is the label's first text.
_PAINT_PROBE = r"""
import os, sys, time
from pathlib import Path
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel

t0 = float(os.environ["WALLET_PERPS_STARTUP_T0"])
report = Path(os.environ["WALLET_PERPS_STARTUP_REPORT"])
app = QApplication(sys.argv[:1])
label = QLabel(FIRST_TEXT)
label.resize(1280, 800)

class Watch(QObject):
    def eventFilter(self, obj, event):
        if (
            event.type() == QEvent.Type.Paint
            and label.text().startswith("$")
            and not report.exists()
        ):
            report.write_text(f"{time.time() - t0:.4f} {time.process_time():.4f}\n")
            QTimer.singleShot(0, app.quit)
        return False

watch = Watch()
label.installEventFilter(watch)
label.show()
"""

#: The baseline: a bare PySide6 window painting a price it already has.
BARE_WINDOW = _PAINT_PROBE.replace("FIRST_TEXT", '"$97,123.5"') + "app.exec()\n"

#: The stack's floor: the same window painting the first ``allMids`` push of a running venue.
STACK_FLOOR = (
    _PAINT_PROBE.replace("FIRST_TEXT", '"..."')
    + r"""
import asyncio
import json
import qasync
from websockets.asyncio.client import connect

async def main():
    async with connect(sys.argv[1], compression=None, ping_interval=None, proxy=None) as ws:
        await ws.send(json.dumps({"method": "subscribe", "subscription": {"type": "allMids"}}))
        async for message in ws:
            if not message.startswith("{"):
                continue  # "Websocket connection established.", as the venue greets
            data = json.loads(message)
            if data.get("channel") == "allMids":
                label.setText("$" + data["data"]["mids"]["BTC"])
                break
        await asyncio.sleep(5)

try:
    qasync.run(main())
except RuntimeError:
    pass  # app.quit() ends the loop before main() does
"""
)


def make_home(home: Path, base_env: dict[str, str]) -> None:
    """A home with one stored, locked wallet (file fallback, no keyring), as after onboarding."""
    env = {**base_env, "WALLET_PERPS_HOME": str(home)}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    code = (
        "from wallet_perps.wallet.keystore import Keystore\n"
        "from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT\n"
        "ks = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT, allow_file_fallback=True)\n"
        "ks.create_demo_wallet('benchmark-password')\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)


class Run(NamedTuple):
    """One launch: seconds to its first paint, its CPU seconds by then, and (the app only) its
    milestones on the way: (seconds since launch, what was done by then)."""

    wall: float
    cpu: float
    milestones: list[tuple[float, str]]


def timed(cmd: list[str], env: dict[str, str], timeout_s: float = 60) -> Run:
    """Launch ``cmd`` and read what it reports of its first paint."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "first-paint"
        run_env = {
            **env,
            "WALLET_PERPS_STARTUP_REPORT": str(report),
            "WALLET_PERPS_STARTUP_EXIT": "1",
        }
        run_env["WALLET_PERPS_STARTUP_T0"] = repr(time.time())
        proc = subprocess.Popen(
            cmd, env=run_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            _, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise SystemExit(f"{cmd} did not paint within {timeout_s} s") from None
        if not report.exists():
            raise SystemExit(f"{cmd} exited ({proc.returncode}) without painting:\n{err.decode()}")
        first, *rest = report.read_text().splitlines()
        wall, cpu = first.split()
        milestones = [(float(at), what) for at, what in (line.split("\t", 1) for line in rest)]
        return Run(float(wall), float(cpu), milestones)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ)
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    # As a user's machine runs it: Python keeps its compiled bytecode (pip compiles an installed
    # wheel; an editable install compiles on the first run, which the warm-up run below is).
    # Some CI images set PYTHONDONTWRITEBYTECODE, which would make every run compile every
    # module of ours from source and measure the compiler, not the app.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as home:
        make_home(Path(home), env)
        warm_env = {**env, "WALLET_PERPS_HOME": home}
        warm_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        timed([sys.executable, "-m", "wallet_perps", "--network", "local"], warm_env)

    bare: list[Run] = []
    app: list[Run] = []
    floor: list[Run] = []
    with tempfile.TemporaryDirectory() as data:
        venue = VenueChild(["--port", "0", "--data", data], cwd=ROOT)
        try:
            ws_url = venue.wait_ready(60).ws_url
            for _ in range(args.runs):
                floor.append(timed([sys.executable, "-c", STACK_FLOOR, ws_url], env))
        finally:
            venue.stop()
    for _ in range(args.runs):
        bare.append(timed([sys.executable, "-c", BARE_WINDOW], env))
        with tempfile.TemporaryDirectory() as home:
            make_home(Path(home), env)
            app_env = {**env, "WALLET_PERPS_HOME": home}
            app_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
            app.append(timed([sys.executable, "-m", "wallet_perps", "--network", "local"], app_env))
    bare_s = statistics.median(run.wall for run in bare)
    app_s = statistics.median(run.wall for run in app)
    ratio = app_s / bare_s
    print(f"bare PySide6 window, first paint: median {bare_s:.3f} s  (runs: {_fmt(bare)})")
    print(f"wallet-perps, first live BTC price painted: median {app_s:.3f} s  (runs: {_fmt(app)})")
    floor_s = statistics.median(run.wall for run in floor)
    print(
        f"stack floor (Qt + qasync + websockets, one allMids push, venue already up): median "
        f"{floor_s:.3f} s, {floor_s / bare_s:.2f}x the bare window  (runs: {_fmt(floor)})"
    )
    # The process's own CPU up to the paint: what the code costs, whatever else the machine
    # runs meanwhile (the wall clock above is what a person waits, and the goal).
    bare_cpu = statistics.median(run.cpu for run in bare)
    app_cpu = statistics.median(run.cpu for run in app)
    print(
        f"CPU of the process up to that paint: bare {bare_cpu:.3f} s, wallet-perps "
        f"{app_cpu:.3f} s ({app_cpu / bare_cpu:.2f}x)"
    )
    _print_stretches(app)
    verdict = "PASS" if app_s <= GOAL_S and ratio <= GOAL_RATIO else "MISS"
    print(
        f"startup: {app_s:.3f} s, {ratio:.2f}x the bare window "
        f"(goal <= {GOAL_S} s and <= {GOAL_RATIO}x): {verdict}"
    )
    return 0


def _fmt(runs: list[Run]) -> str:
    return ", ".join(f"{run.wall:.3f}" for run in runs)


def _print_stretches(app: list[Run]) -> None:
    """Where the app's time goes: the median length of each stretch between its milestones."""
    labels = [what for _, what in app[0].milestones]
    if not labels or any([what for _, what in run.milestones] != labels for run in app):
        return
    print("where the app's time goes (median seconds of each stretch, from the launch):")
    for i, label in enumerate(labels):
        lengths = [run.milestones[i][0] - (run.milestones[i - 1][0] if i else 0.0) for run in app]
        print(f"  {statistics.median(lengths):.3f}  ... {label}")


if __name__ == "__main__":
    raise SystemExit(main())
