"""Reports when the first live BTC price is painted, for ``benchmarks/startup.py``.

Why in the app: "time to the first price on screen" can only be observed from inside the
process, at the paint event of the price label. It is inert unless the benchmark sets
``WALLET_PERPS_STARTUP_T0`` (its launch time, ``time.time()``) and
``WALLET_PERPS_STARTUP_REPORT`` (a file for the seconds elapsed); with
``WALLET_PERPS_STARTUP_EXIT=1`` the window closes right after, so the app exits cleanly.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer

from wallet_perps.ui.app_controller import AppController
from wallet_perps.ui.pages.trade import TradePage

__all__ = ["install_startup_probe"]


class _PaintWatch(QObject):
    def __init__(self, controller: AppController, t0: float, report: Path, exit_after: bool):
        super().__init__(controller)
        self._controller = controller
        self._t0 = t0
        self._report = report
        self._exit_after = exit_after
        self._done = False

    def attach(self) -> None:
        page = self._controller.pages.get("trade")
        if isinstance(page, TradePage):
            page.price_label.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            not self._done
            and event.type() == QEvent.Type.Paint
            and isinstance(self._controller.pages.get("trade"), TradePage)
        ):
            page = self._controller.pages["trade"]
            assert isinstance(page, TradePage)
            if page.coin == "BTC" and page.price_label.text().startswith("$"):
                self._done = True
                elapsed = time.time() - self._t0
                cpu = time.process_time()  # this process's CPU: the part a busy machine cannot blur
                self._report.write_text(f"{elapsed:.4f} {cpu:.4f}\n", encoding="utf-8")
                if self._exit_after:
                    QTimer.singleShot(0, self._controller.window.close)
        return False


def install_startup_probe(controller: AppController) -> None:
    t0 = os.environ.get("WALLET_PERPS_STARTUP_T0")
    report = os.environ.get("WALLET_PERPS_STARTUP_REPORT")
    if not t0 or not report:
        return
    watch = _PaintWatch(
        controller, float(t0), Path(report), os.environ.get("WALLET_PERPS_STARTUP_EXIT") == "1"
    )
    controller.first_page_ready.connect(watch.attach)
