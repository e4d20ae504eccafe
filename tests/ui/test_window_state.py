"""The window opens inside the screen and reopens as the user left it.

The app-level tests run the real AppController (its own local venue) in a child process,
because the offscreen platform's screen size is fixed when Qt starts
(``QT_QPA_PLATFORM=offscreen:configfile=…``): the test process's screen is Qt's default
800x800, smaller than the window's minimum size.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from wallet_perps.config import Settings
from wallet_perps.ui.main_window import MainWindow
from wallet_perps.ui.window_state import (
    FRAME_H,
    FRAME_W,
    restore_placement,
    saved_normal_geometry,
    saved_placement,
)

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------- settings and blobs


def test_settings_keep_the_window_and_trade_fields_and_survive_garbage() -> None:
    settings = Settings(
        window_geometry="AdnQywADAAA=",
        window_maximized=True,
        last_market="ETH",
        chart_interval="1h",
    )
    settings.save()
    loaded = Settings.load()
    assert (loaded.window_geometry, loaded.window_maximized) == ("AdnQywADAAA=", True)
    assert (loaded.last_market, loaded.chart_interval) == ("ETH", "1h")

    raw = json.loads(Settings.path().read_text())
    raw.update(window_geometry=12, window_maximized="yes", last_market=None, chart_interval=[])
    Settings.path().write_text(json.dumps(raw))
    damaged = Settings.load()
    assert damaged.window_geometry == "" and damaged.window_maximized is False
    assert damaged.last_market == "" and damaged.chart_interval == ""
    assert damaged.network == "local"  # the rest of the file still counts


def available() -> QRect:
    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    return screen.availableGeometry()


def test_the_saved_blob_is_read_back_and_restored(qtbot: QtBot) -> None:
    window = MainWindow("local")
    qtbot.addWidget(window)
    area = available()
    wanted = QRect(area.x() + 30, area.y() + 40, 640, 520)
    window.setGeometry(wanted)
    geometry, maximized = saved_placement(window)
    assert not maximized
    assert saved_normal_geometry(base64.b64decode(geometry)) == wanted

    again = MainWindow("local")
    qtbot.addWidget(again)
    assert restore_placement(again, geometry, maximized=True)
    again.show()
    qtbot.waitUntil(again.isMaximized)
    assert again.normalGeometry() == wanted  # un-maximising goes back there


def test_an_off_screen_or_damaged_geometry_gives_a_centred_window_that_fits(
    qtbot: QtBot,
) -> None:
    window = MainWindow("local")
    qtbot.addWidget(window)
    area = available()
    # Saved on a monitor to the right that has since been unplugged.
    window.setGeometry(QRect(area.right() + 400, area.y() + 50, 500, 360))
    off_screen, _ = saved_placement(window)
    for saved in (off_screen, "not base64 at all!", base64.b64encode(b"junk").decode(), ""):
        placed = MainWindow("local")
        qtbot.addWidget(placed)
        assert not restore_placement(placed, saved, maximized=False)
        placed.show()
        qtbot.waitUntil(placed.isVisible)
        frame = placed.frameGeometry()
        assert area.contains(frame), (saved, frame, area)
        # Centred: equal room left and right, and above and below (within the frame allowance).
        assert abs((frame.left() - area.left()) - (area.right() - frame.right())) <= FRAME_W
        assert abs((frame.top() - area.top()) - (area.bottom() - frame.bottom())) <= FRAME_H
        assert not placed.isMaximized()


# ---------------------------------------------------------------------- the app, in a child

APP_SCRIPT = r"""
import asyncio, json, sys, time
import qasync
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication
from wallet_perps.config import Settings
from wallet_perps.ui.app_controller import AppController
from wallet_perps.ui.main_window import MainWindow
from wallet_perps.ui.theme import style_sheet
from wallet_perps.ui.window_state import WM_CLASS, apply_identity
from wallet_perps.services.key_access import KeyAccess
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

app = QApplication([WM_CLASS])
apply_identity(app)
app.setQuitOnLastWindowClosed(False)  # as the app: closing the window must not stop the loop
app.setStyleSheet(style_sheet("dark"))  # the app's sizes are the styled ones
out = {}


async def until(check, what, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def run(scenario):
    # As wallet_perps.app.main does: the window, then the controller, then show.
    window = MainWindow("local")
    controller = AppController(
        window,
        Settings.load(),
        "local",
        keys=KeyAccess(Keystore(scrypt=TEST_ONLY_FAST_SCRYPT, allow_file_fallback=True)),
        venue_args=("--seed", "5", "--no-flow"),
    )
    window.show()

    async def main():
        try:
            assert await controller.start(), controller.venue_bar.label.text()
            page = controller.pages["trade"]
            await until(lambda: page.coin, "a market on the Trade page")
            await scenario(controller, page)
        finally:
            window.close()  # as the user does: the window saves where it was
            await controller.stop()

    loop = qasync.QEventLoop(app)
    try:
        loop.run_until_complete(asyncio.wait_for(main(), 120))
    finally:
        loop.close()
        asyncio.set_event_loop(None)


def rect(r):
    return [r.x(), r.y(), r.width(), r.height()]


async def fit(controller, page):
    window = controller.window
    await asyncio.sleep(0.5)
    screen = window.screen()
    out["fit"] = {
        "available": rect(screen.availableGeometry()),
        "frame": rect(window.frameGeometry()),
        "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
    }


async def first(controller, page):
    other = next(c for c in controller.adapter.coins() if c != page.coin)
    page.picker.coin_selected.emit(other)  # the user picks a market
    page.chart.interval_buttons["1h"].click()
    controller.window.setGeometry(QRect(120, 90, 1300, 760))
    await asyncio.sleep(0.3)
    out["first"] = {"market": other, "geometry": rect(controller.window.geometry())}


async def second(controller, page):
    window = controller.window
    out["second"] = {
        "market": page.coin,
        "interval": page.chart.interval,
        "geometry": rect(window.geometry()),
        "maximized": window.isMaximized(),
    }
    window.showMaximized()
    await until(window.isMaximized, "maximised")


async def third(controller, page):
    window = controller.window
    out["third"] = {
        "maximized": window.isMaximized(),
        "normal": rect(window.normalGeometry()),
        "market": page.coin,
    }


for name in sys.argv[1:]:
    run(globals()[name])
print("RESULT " + json.dumps(out), flush=True)
"""


def run_app(tmp_path: Path, screen: tuple[int, int], *rounds: str) -> dict[str, Any]:
    """Run the app's window and controller in a child with a ``screen``-sized display."""
    config = tmp_path / "screen.json"
    width, height = screen
    config.write_text(
        json.dumps(
            {"screens": [{"name": "screen", "x": 0, "y": 0, "width": width, "height": height}]}
        )
    )
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    result = subprocess.run(
        [sys.executable, "-c", APP_SCRIPT, *rounds],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and lines, result.stdout + result.stderr[-3000:]
    data: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return data


def test_at_1280x800_the_whole_window_is_on_the_screen(tmp_path: Path) -> None:
    out = run_app(tmp_path, (1280, 800), "fit")["fit"]
    ax, ay, aw, ah = out["available"]
    fx, fy, fw, fh = out["frame"]
    assert (aw, ah) == (1280, 800)
    assert ax <= fx and ay <= fy and fx + fw <= ax + aw and fy + fh <= ay + ah, out
    # Room to spare for a real title bar and a panel, which the offscreen platform lacks.
    assert out["minimum"][1] <= 800 - 32 - 40, out


def test_geometry_maximised_market_and_interval_come_back_after_a_restart(
    tmp_path: Path,
) -> None:
    out = run_app(tmp_path, (1600, 1000), "first", "second", "third")
    first, second, third = out["first"], out["second"], out["third"]
    assert first["geometry"] == [120, 90, 1300, 760]
    assert second["market"] == first["market"] != "BTC"
    assert second["interval"] == "1h"
    assert second["geometry"] == first["geometry"]
    assert not second["maximized"]
    assert third["maximized"]
    assert third["normal"] == first["geometry"]  # un-maximising goes back there
    assert third["market"] == first["market"]
    saved = Settings.load()
    assert saved.window_maximized and saved.last_market == first["market"]
    assert saved.chart_interval == "1h"
