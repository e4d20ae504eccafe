"""Reports when the first live BTC price is painted, for ``benchmarks/startup.py``.

Why in the app: "time to the first price on screen" can only be observed from inside the
process, at the paint event of the price label. It is inert unless the benchmark sets
``WALLET_PERPS_STARTUP_T0`` (its launch time, ``time.time()``) and
``WALLET_PERPS_STARTUP_REPORT`` (a file for the seconds elapsed); with
``WALLET_PERPS_STARTUP_EXIT=1`` the window closes right after, so the app exits cleanly.

The report's first line is the seconds to the paint and the process's CPU seconds by then;
each further line is a milestone on the way (seconds since launch, a tab, what was done by
then), so the benchmark can say which stretch of the start costs what without a profiler,
whose own cost would distort exactly the pure-Python parts (imports, class creation).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer

from wallet_perps.ui.app_controller import AppController
from wallet_perps.ui.pages.trade import TradePage

__all__ = ["install_startup_probe"]


class _PaintWatch(QObject):
    def __init__(
        self,
        controller: AppController,
        t0: float,
        report: Path,
        exit_after: bool,
        milestones: Sequence[tuple[str, float]],
    ):
        super().__init__(controller)
        self._controller = controller
        self._t0 = t0
        self._report = report
        self._exit_after = exit_after
        self._done = False
        self._milestones = [*milestones, ("window and controller built", time.time())]

    def attach(self) -> None:
        self._milestones.append(("venue up, market session live, Trade page built", time.time()))
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
                now = time.time()
                cpu = time.process_time()  # this process's CPU: the part a busy machine cannot blur
                lines = [f"{now - self._t0:.4f} {cpu:.4f}"]
                for what, at in [*self._milestones, ("first live price painted", now)]:
                    lines.append(f"{at - self._t0:.4f}\t{what}")
                self._report.write_text("\n".join(lines) + "\n", encoding="utf-8")
                if self._exit_after:
                    QTimer.singleShot(0, self._controller.window.close)
        return False


def install_startup_probe(
    controller: AppController, milestones: Sequence[tuple[str, float]] = ()
) -> None:
    """Report the first live price's paint; ``milestones`` are (what was done, ``time.time()``
    when it was) from before the controller existed, in order."""
    t0 = os.environ.get("WALLET_PERPS_STARTUP_T0")
    report = os.environ.get("WALLET_PERPS_STARTUP_REPORT")
    if not t0 or not report:
        return
    watch = _PaintWatch(
        controller,
        float(t0),
        Path(report),
        os.environ.get("WALLET_PERPS_STARTUP_EXIT") == "1",
        milestones,
    )
    controller.first_page_ready.connect(watch.attach)
