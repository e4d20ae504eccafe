"""``wallet-perps --self-test``: is this installation whole? Checked headless, in plain words.

Why it exists: a packaging mistake (a style sheet left out of the wheel, a Qt library missing
on the machine, a venue that cannot start) otherwise shows up only as a window that never
opens. The self-test walks the same path as a first run, with nothing of the user's involved:

1. ``resources``: every package file the app reads is installed, and the style sheet builds;
2. ``qt``: Qt starts (offscreen unless a platform is set) and the real main window with the
   order ticket paints in the theme's colours;
3. ``venue``: the built-in local venue starts (``EmbeddedVenue``, data in a temporary folder)
   and the app's TradingSession streams its markets;
4. ``wallet``: a throwaway wallet is created in a temporary encrypted-file keystore (the
   strong scrypt cost the app uses) and funded by the venue's faucet, through WalletService's
   "Try the demo" path;
5. ``order``: the agent wallet is approved and a limit order far below the market goes
   through the ticket's validation and the Trader, shows in the account's open orders, is
   cancelled and is gone, as the Trade and Positions pages do it;
6. ``venue stop``: the venue stops on SIGTERM.

Everything lives in a temporary ``WALLET_PERPS_HOME`` that is deleted at the end, and the OS
keyring is switched off for this process (keyring's "fail" backend), so neither the user's
settings, wallets, venue data nor keyring entries are read or written. Each check prints
``ok   <check>: <detail>`` or ``FAIL <check>: <reason>``; a check whose prerequisite failed
prints ``skip``. The exit code is 0 only if every check passed.

Qt is imported only inside the Qt checks; the venue and wallet checks run on one plain asyncio
loop (no window is involved in them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO, TypeVar

if TYPE_CHECKING:  # Qt is imported only inside the Qt check (--help needs no display)
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

__all__ = ["CHECKS", "CheckFailed", "package_files", "run_self_test"]

T = TypeVar("T")

#: The checks, in the order they run and are printed.
CHECKS: Final = ("resources", "qt", "venue", "wallet", "order", "venue stop")
#: How long any one wait on the venue may take: generous, for a loaded machine.
WAIT_S: Final = 30.0
#: How long the venue has to stop on SIGTERM before it is killed (and the check fails).
STOP_S: Final = 15.0
#: The limit price, as a fraction of BTC's mark: far enough that it cannot fill while the
#: self-test runs, within the venue's 80% band so it is accepted.
FAR_BELOW: Final = Decimal("0.8")


class CheckFailed(Exception):
    """A check did not pass; the message says why, for a person reading a terminal."""


@dataclass
class _Run:
    """What the checks share: the output, the temporary home and each check's outcome."""

    out: TextIO
    home: Path
    resources: Traversable
    failed: list[str] = field(default_factory=list)
    passed: set[str] = field(default_factory=set)

    def report(self, name: str, status: str, text: str) -> None:
        self.out.write(f"{status:<4} {name}: {text}\n")
        self.out.flush()
        if status == "ok":
            self.passed.add(name)
        elif status == "FAIL":
            self.failed.append(name)

    def skip(self, name: str, needs: str) -> None:
        self.report(name, "skip", f"not run, because the {needs} check failed")

    def check(self, name: str, body: Callable[[], str]) -> bool:
        try:
            detail = body()
        except CheckFailed as exc:
            self.report(name, "FAIL", str(exc))
            return False
        except Exception as exc:  # anything unexpected is a failure of this check, in words
            self.report(name, "FAIL", _plain(exc))
            return False
        self.report(name, "ok", detail)
        return True

    async def acheck(self, name: str, body: Callable[[], Awaitable[str]]) -> bool:
        try:
            detail = await body()
        except CheckFailed as exc:
            self.report(name, "FAIL", str(exc))
            return False
        except Exception as exc:
            self.report(name, "FAIL", _plain(exc))
            return False
        self.report(name, "ok", detail)
        return True


def _plain(exc: BaseException) -> str:
    """An unexpected exception as one line: its message, or at least its kind."""
    text = " ".join(str(exc).split())
    return f"{text} ({type(exc).__name__})" if text else f"unexpected {type(exc).__name__}"


# ---------------------------------------------------------------------- the checks


def package_files() -> tuple[str, ...]:
    """The files under wallet_perps/resources the app reads: style sheets and the icon set."""
    from wallet_perps.ui.theme import STYLE_SHEETS
    from wallet_perps.ui.window_state import ICON_SIZES, WM_CLASS

    icons = (
        f"icons/{WM_CLASS}.svg",
        *(f"icons/{WM_CLASS}-{n}.png" for n in ICON_SIZES),
        "icons/check.svg",  # the tick of every styled check box
    )
    return (*STYLE_SHEETS, *icons)


def check_resources(resources: Traversable) -> str:
    """Every file the app reads is installed, and both themes' style sheets build."""
    try:
        from wallet_perps.ui.theme import MissingStyleSheet, style_sheet

        wanted = package_files()
    except ImportError as exc:  # PySide6 itself, or a system library it needs
        raise CheckFailed(
            f"the style sheets need Qt, which cannot be loaded: {_plain(exc)}"
        ) from None
    missing = [name for name in wanted if not _is_file(resources, name)]
    if missing:
        shown = ", ".join(f"wallet_perps/resources/{name}" for name in missing[:4])
        more = f" and {len(missing) - 4} more" if len(missing) > 4 else ""
        raise CheckFailed(f"missing package file {shown}{more}: the installation is incomplete")
    try:
        for theme in ("dark", "light"):
            qss = style_sheet(theme, resources)
            body = "\n".join(line for line in qss.splitlines() if "/*" not in line)
            if "@" in body.replace("@name", ""):
                raise CheckFailed(f"the {theme} style sheet has a colour with no value")
    except MissingStyleSheet as exc:
        raise CheckFailed(str(exc)) from None
    return f"{len(wanted)} files present, dark and light style sheets build"


def _is_file(resources: Traversable, name: str) -> bool:
    node = resources
    for part in name.split("/"):
        node = node / part
    return node.is_file()


def check_qt(style: bool) -> str:
    """Qt starts and the main window with the order ticket paints, in the theme's colours."""
    try:
        from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
        from PySide6.QtGui import QColor
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        raise CheckFailed(f"Qt (PySide6) cannot be loaded: {_plain(exc)}") from None

    from wallet_perps.ui.theme import DARK
    from wallet_perps.ui.window_state import app_icon

    qt_log = logging.getLogger("qt")

    def to_log(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        # Qt's own chatter (the offscreen platform's "does not support propagateSizeHints")
        # goes to the log, shown only if a check fails, not between the result lines.
        harmless = kind == QtMsgType.QtDebugMsg or "propagateSizeHints" in message
        level = logging.DEBUG if harmless else logging.WARNING
        qt_log.log(level, "%s", message)

    previous_handler = qInstallMessageHandler(to_log)
    try:
        existing = QApplication.instance()
        app = existing if isinstance(existing, QApplication) else QApplication(["wallet-perps"])
        image = _paint_main_window(app, style)
        icon = app_icon()
    finally:
        qInstallMessageHandler(previous_handler)
    if icon.isNull():
        raise CheckFailed("the app icon could not be loaded from the package's PNG files")
    if image.isNull() or image.width() < 100 or image.height() < 100:
        raise CheckFailed("the main window painted nothing (Qt gave an empty image)")
    colours = {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), max(1, image.width() // 48))
        for y in range(0, image.height(), max(1, image.height() // 48))
    }
    if len(colours) < 3:
        raise CheckFailed("the main window painted a blank area (one or two colours only)")
    themed = {QColor(c).name() for c in (DARK["bg"], DARK["panel"], DARK["card"])}
    if style and not colours & themed:
        raise CheckFailed("the main window painted without the theme's colours")
    platform = QApplication.platformName() or "unknown"
    return (
        f"Qt started ({platform} platform) and painted the main window with the order "
        f"ticket, {image.width()}x{image.height()}; the app icon loads"
    )


def _paint_main_window(app: QApplication, style: bool) -> QImage:
    """The app's real main window with the Trade page's order ticket, shown and grabbed."""
    from wallet_perps.core.tickets import TicketError
    from wallet_perps.ui.main_window import MainWindow
    from wallet_perps.ui.theme import style_sheet
    from wallet_perps.ui.widgets.order_ticket import OrderTicket

    window = MainWindow("local")
    try:
        if style:
            window.setStyleSheet(style_sheet("dark"))
        ticket = OrderTicket(lambda _ticket: TicketError("The self-test places no order here."))
        window.set_page("trade", ticket)
        window.show_page("trade")
        window.resize(1024, 700)
        window.show()
        app.processEvents()
        image = window.grab().toImage()
        app.processEvents()
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()
    return image


async def _until(what: str, probe: Callable[[], T | None], timeout_s: float = WAIT_S) -> T:
    """Poll ``probe`` until it gives a value; CheckFailed naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise CheckFailed(f"gave up waiting {timeout_s:.0f} s for {what}")
        await asyncio.sleep(0.05)


async def _services(run: _Run) -> None:
    """The venue, wallet, order and venue-stop checks, on one asyncio loop."""
    from wallet_perps.core.networks import DEMO_DEPOSIT_USD
    from wallet_perps.core.numbers import round_price
    from wallet_perps.core.orders import OpenOrder
    from wallet_perps.core.ticket_validation import validate_ticket
    from wallet_perps.core.tickets import OrderKind, OrderPlan, Ticket, TicketSide
    from wallet_perps.services.embedded_venue import EmbeddedVenue
    from wallet_perps.services.session import TradingSession
    from wallet_perps.services.trader_results import OrderState
    from wallet_perps.services.wallet_service import WalletService
    from wallet_perps.wallet.keystore import Keystore
    from wallet_perps.wallet.metadata import MetadataFile

    venue = EmbeddedVenue(run.home / "data" / "localvenue")
    session: TradingSession | None = None
    wallets: WalletService | None = None

    async def start_venue() -> str:
        nonlocal session
        url = await venue.start(timeout_s=WAIT_S)
        session = TradingSession(url, is_mainnet=False, connect_timeout_s=WAIT_S)
        await session.start()
        market_data = session.market
        await market_data.watch("BTC")
        ctx = await _until("BTC's price", lambda: market_data.context("BTC"))
        coins = len(market_data.meta.markets)
        return (
            f"the local venue started at {url} with its data in a temporary folder; "
            f"{coins} markets streaming, BTC mark {ctx.mark_px:,f}"
        )

    async def make_wallet() -> str:
        nonlocal wallets
        assert session is not None
        keystore = Keystore(
            allow_file_fallback=True,
            metadata=MetadataFile(run.home / "config" / "wallets.json"),
            file_store_dir=run.home / "data" / "keystore",
        )
        wallets = WalletService(
            keystore,
            session,
            "local",
            base_url=session.http.base_url,
            admin_token=venue.admin_token,
        )
        started = time.monotonic()
        address = await wallets.create_demo(secrets.token_urlsafe(18))
        seconds = time.monotonic() - started
        account = session.account
        await _until(
            f"the faucet's ${DEMO_DEPOSIT_USD:,} to show in the account",
            lambda: account.state is not None and account.state.withdrawable >= DEMO_DEPOSIT_USD,
        )
        return (
            f"throwaway wallet {address[:6]}…{address[-4:]} created in a temporary encrypted "
            f"keystore (scrypt N=2^18, {seconds:.1f} s with unlock) and funded with "
            f"${DEMO_DEPOSIT_USD:,} paper USDC by the local faucet"
        )

    async def order_round_trip() -> str:
        assert session is not None and wallets is not None
        await wallets.ensure_agent()
        market_data = session.market
        market = market_data.market("BTC")
        ctx = market_data.context("BTC")
        assert ctx is not None
        price = round_price(ctx.mark_px * FAR_BELOW, market.sz_decimals, direction="down")
        ticket = Ticket("BTC", TicketSide.LONG, Decimal(20), kind=OrderKind.LIMIT, limit_px=price)
        plan = validate_ticket(
            ticket,
            market,
            ctx,
            market_data.book("BTC"),
            session.account.state,
            meta=market_data.meta,
            open_orders=session.account.open_orders,
        )
        if not isinstance(plan, OrderPlan):
            raise CheckFailed(f"the order ticket refused a plain limit order: {plan}")
        result = await session.trader.place(plan)
        if result.state is not OrderState.RESTING or result.oid is None:
            raise CheckFailed(f"a limit buy far below the market did not rest: {result.message}")
        oid = result.oid
        account = session.account

        def listed() -> OpenOrder | None:
            return next((o for o in account.open_orders if o.oid == oid), None)

        await _until(f"order {oid} to appear in the open orders", listed)
        cancelled = await session.trader.cancel(oid, "BTC")
        if not cancelled.ok:
            raise CheckFailed(f"cancelling order {oid} failed: {cancelled.message}")
        await _until(f"order {oid} to leave the open orders", lambda: listed() is None)
        return (
            f"agent approved; a limit buy of {plan.size:f} BTC at {price:,f} rested as order "
            f"{oid}, showed in the open orders, was cancelled and is gone"
        )

    try:
        ok = await run.acheck("venue", start_venue)
        ok = ok and await run.acheck("wallet", make_wallet)
        if ok:
            await run.acheck("order", order_round_trip)
    finally:
        if wallets is not None:
            with contextlib.suppress(Exception):
                await wallets.lock()
        if session is not None:
            await session.stop()
        for name, needs in (("wallet", "venue"), ("order", "wallet")):
            if name not in run.passed and name not in run.failed:
                run.skip(name, needs)

        async def stop_venue() -> str:
            started = time.monotonic()
            await venue.stop(timeout_s=STOP_S)
            seconds = time.monotonic() - started
            if venue.running:
                raise CheckFailed("the local venue is still running after being stopped")
            if seconds >= STOP_S - 0.5:
                raise CheckFailed(
                    f"the local venue ignored SIGTERM for {STOP_S:.0f} s and had to be killed"
                )
            return f"the local venue stopped on SIGTERM in {seconds:.1f} s"

        if "venue" in run.passed:
            await run.acheck("venue stop", stop_venue)
        else:
            await venue.stop(timeout_s=STOP_S)  # whatever was launched goes away
            run.skip("venue stop", "venue")


# ---------------------------------------------------------------------- isolation


@contextlib.contextmanager
def _isolated(home: Path) -> Iterator[None]:
    """Point the app at ``home`` and switch the OS keyring off, for this process only."""
    import keyring
    from keyring.backends import fail

    saved_env = {k: os.environ.get(k) for k in ("WALLET_PERPS_HOME", "QT_QPA_PLATFORM")}
    os.environ["WALLET_PERPS_HOME"] = str(home)
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        previous_keyring = keyring.get_keyring()
    except Exception:  # a broken keyring setup is not this self-test's business
        previous_keyring = None
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if previous_keyring is not None:
            keyring.set_keyring(previous_keyring)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class _Captured(logging.Handler):
    """Keeps the app's warnings during the self-test: shown only if a check fails."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("wallet_perps.wallet") and "keyring" in record.getMessage():
            return  # the throwaway keystore has no keyring on purpose
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def run_self_test(out: TextIO | None = None, *, resources: Traversable | None = None) -> int:
    """Run every check, print one line each and a summary; 0 if all passed, else 1.

    ``resources`` replaces the installed ``wallet_perps.resources`` (the unit tests point it
    at a damaged copy).
    """
    stream = out if out is not None else sys.stdout
    started = time.monotonic()
    captured = _Captured()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(captured)
    root.setLevel(min(old_level or logging.WARNING, logging.WARNING))
    try:
        with tempfile.TemporaryDirectory(prefix="wallet-perps-self-test-") as tmp:
            home = Path(tmp)
            run = _Run(stream, home, resources or files("wallet_perps.resources"))
            with _isolated(home):
                styled = run.check("resources", lambda: check_resources(run.resources))
                run.check("qt", lambda: check_qt(styled))
                asyncio.run(_services(run))
    finally:
        root.removeHandler(captured)
        root.setLevel(old_level)
    seconds = time.monotonic() - started
    if run.failed:
        stream.write(f"self-test FAILED ({', '.join(run.failed)}) after {seconds:.1f} s\n")
        for line in captured.lines[-10:]:
            stream.write(f"     log: {line}\n")
        return 1
    stream.write(f"self-test passed: {len(run.passed)} checks in {seconds:.1f} s\n")
    return 0
