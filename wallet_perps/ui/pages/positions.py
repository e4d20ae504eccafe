"""The Positions page: every open position with its risk, its actions, and the open orders.

Why it is built this way (UX.md "Positions", "Liquidation price, everywhere it matters"):

* The liquidation price shown is the venue's own ``liquidationPx``, untouched; the distance
  to it and the gauge use the live mark, which streams for every coin with a position (the
  venue pushes the account only on account activity, so without the mark stream PnL would
  freeze between trades).
* Actions go through the :class:`~wallet_perps.ui.adapter.SessionAdapter`; each call is
  given its own callback, so the page hears the outcome of exactly the action it started:
  success as a short toast at the top that fades away, failure inline next to the position
  or the orders in red, in the venue's words plus what to do about it.
* With "Review every order" on (Settings), every action that sends or cancels orders (Close,
  Close part, TP/SL, Cancel all) is reviewed on the same sheet as the ticket's orders first.
  A close is reviewed as the reduce-only market order it is, with the ticket's own estimates.
* The success toast floats over the top of the page: it never pushes the cards down, so
  no button moves under the pointer when it appears or fades.
* Redraws are coalesced by a single-shot timer: mids and contexts arrive many times a second,
  the page redraws at most every ``_REDRAW_MS``, and only labels whose text changed are set.
* With no wallet unlocked the page says so and shows nothing else; ``account_opened`` brings
  it back.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Final

from PySide6.QtCore import QEasingCurve, QPropertyAnimation, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QWidget,
)

from wallet_perps.core.display import format_price, format_size, format_usd
from wallet_perps.core.models import Position
from wallet_perps.core.orders import tpsl_prices
from wallet_perps.core.tickets import AmountUnit, OrderKind, Ticket, TicketError, TicketSide
from wallet_perps.services.trader import CLOSE_SLIPPAGE_PCT
from wallet_perps.services.trader_results import ActionResult, OrderResult
from wallet_perps.ui.adapter import ActionOutcome, OnOutcome, SessionAdapter
from wallet_perps.ui.kit import (
    CoalescedRedraw,
    alive,
    caption,
    card,
    error_text,
    set_flag,
    title,
    vbox,
    vertical_scroll,
)
from wallet_perps.ui.view_models import PositionView, position_view
from wallet_perps.ui.widgets.confirm_sheet import ConfirmSheet
from wallet_perps.ui.widgets.liq_gauge import WhatIfPanel
from wallet_perps.ui.widgets.open_orders_table import OpenOrdersTable
from wallet_perps.ui.widgets.position_dialogs import ClosePartDialog, MarginDialog, TpslDialog
from wallet_perps.ui.widgets.positions_table import PositionsTable

__all__ = ["PositionsPage"]

_REDRAW_MS: Final = 150
#: How long a success toast stays before it fades out.
TOAST_MS: Final = 4000
_FADE_MS: Final = 600

#: What to do after a refusal, by action: the venue's words alone rarely say it.
_ADVICE: Final = {
    "close": "Nothing was closed if no fill is reported; check the price and try again, "
    "or close a smaller part.",
    "tpsl": "Take-profit goes above the price for a long (below for a short), stop-loss the "
    "other way; adjust the prices and try again.",
    "margin": "What stays in the position must still cover it at its leverage; try a smaller "
    "amount, or add funds first.",
    "cancel": "The order may already be filled or cancelled: the list shows what is still open.",
}


def _failure_text(result: ActionResult | OrderResult, advice: str) -> str:
    """The venue's words (not repeated if the message already quotes them) and a next step."""
    text = result.message.rstrip()
    if result.venue_text and result.venue_text not in text:
        text = f"{text} Venue says: {result.venue_text}"
    if not text.endswith((".", "!", "?")):
        text += "."
    return f"{text} {advice}"


class PositionsPage(QWidget):
    """Position cards with actions, a what-if panel and the open orders table."""

    def __init__(
        self,
        adapter: SessionAdapter,
        *,
        confirm_orders: Callable[[], bool] = lambda: True,
    ) -> None:
        super().__init__()
        self.adapter = adapter
        self._confirm_orders = confirm_orders
        self._watched: set[str] = set()
        self._views: dict[str, PositionView] = {}
        #: Counts account switches; an outcome started under an older account is ignored.
        self._account_epoch = 0
        self.dialog: QDialog | None = None

        root = vbox(self)
        self.stack = QStackedWidget()
        root.addWidget(self.stack)

        # No wallet: one clear sentence, nothing else.
        locked = QWidget()
        locked_layout = vbox(locked, margins=(20, 20, 20, 20))
        locked_card, card_layout = card(margins=(24, 24, 24, 24), spacing=None)
        card_layout.addWidget(title("Positions"))
        self.locked_label = caption(
            "Unlock your wallet to see your positions and open orders.", wrap=True
        )
        card_layout.addWidget(self.locked_label)
        locked_layout.addWidget(locked_card)
        locked_layout.addStretch(1)
        self.stack.addWidget(locked)

        # The account: summary, toast, positions, what-if, orders, in one scrolling column.
        content = QWidget()
        layout = vbox(content, margins=(20, 16, 20, 20), spacing=12)

        head = QHBoxLayout()
        head.addWidget(title("Positions"))
        head.addSpacing(16)
        self.summary_label = caption()
        self.summary_label.setToolTip(
            "Unrealized PnL: the sum over your positions at the current mark prices. "
            "Margin in use: collateral locked by them. Account value: what the account is "
            "worth if every position were closed at mark."
        )
        head.addWidget(self.summary_label)
        head.addStretch(1)
        layout.addLayout(head)

        # Floats over the top of the page (not in the layout): see the module docstring.
        self.toast = QLabel("", self)
        self.toast.setObjectName("Toast")
        self.toast.setProperty("role", "long")
        self.toast.setWordWrap(True)
        self.toast.hide()
        self._toast_effect = QGraphicsOpacityEffect(self.toast)
        self._toast_effect.setOpacity(1.0)
        self.toast.setGraphicsEffect(self._toast_effect)
        self._toast_fade = QPropertyAnimation(self._toast_effect, b"opacity", self)
        self._toast_fade.setDuration(_FADE_MS)
        self._toast_fade.setStartValue(1.0)
        self._toast_fade.setEndValue(0.0)
        self._toast_fade.setEasingCurve(QEasingCurve.Type.InQuad)
        self._toast_fade.finished.connect(self.toast.hide)
        self._toast_timer = QTimer(self)
        self._toast_timer.setSingleShot(True)
        #: How long a success toast stays, in ms (tests shorten it).
        self.toast_ms = TOAST_MS
        self._toast_timer.timeout.connect(self._toast_fade.start)

        self.error_label = error_text(selectable=True)
        layout.addWidget(self.error_label)

        self.positions_table = PositionsTable()
        self.positions_table.action_requested.connect(self._on_row_action)
        layout.addWidget(self.positions_table)

        self.what_if = WhatIfPanel()
        layout.addWidget(self.what_if)

        self.orders_table = OpenOrdersTable()
        self.orders_table.cancel_requested.connect(self._cancel)
        self.orders_table.cancel_all_requested.connect(self._cancel_all)
        layout.addWidget(self.orders_table)
        layout.addStretch(1)
        self.stack.addWidget(vertical_scroll(content))
        self.sheet = ConfirmSheet(self)
        self.sheet.confirmed.connect(self._close_reviewed)
        self.sheet.cancelled.connect(self._review_cancelled)
        self._reviewing: tuple[str, Decimal] | None = None

        self._redraw_soon = CoalescedRedraw(self, self.redraw, _REDRAW_MS, only_when_shown=True)
        adapter.market_changed.connect(self._on_market_changed)
        adapter.account_changed.connect(self._schedule)
        adapter.account_opened.connect(self._on_account_opened)
        self.redraw()

    # ------------------------------------------------------------------ updates

    def _on_market_changed(self, coin: str) -> None:
        if not coin or coin in self._views:
            self._schedule()

    def _on_account_opened(self, _user: str) -> None:
        # Another account (or none): answers still on their way belong to the old one.
        self._account_epoch += 1
        self._hide_messages()
        for row in self.positions_table.rows.values():
            for action in row.buttons:
                row.set_busy(action, False)
        self.orders_table.set_cancelling_all(False)
        self.redraw()

    def _schedule(self) -> None:
        self._redraw_soon.request()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_toast()

    def _place_toast(self) -> None:
        """Over the top of the page, the width of the cards, above everything but the sheet."""
        width = max(0, self.width() - 40 - 16)  # the content's margins and a scrollbar
        self.toast.setFixedWidth(width)
        self.toast.adjustSize()
        self.toast.move(20, 52)
        self.toast.raise_()
        if self.sheet.isVisible():
            self.sheet.raise_()

    def redraw(self) -> None:
        """Positions, summary, what-if and orders from the adapter's latest data."""
        if not self.adapter.has_account:
            self.stack.setCurrentIndex(0)
            self._set_watched(set())
            self._views = {}
            return
        self.stack.setCurrentIndex(1)
        # PnL and distances also move with the marks, so a stale market greys them too.
        stale = self.adapter.account_stale or self.adapter.market_stale
        self.sheet.set_stale(self.adapter.market_stale)
        state = self.adapter.account_state()
        positions: tuple[Position, ...] = ()
        if state is not None:
            positions = tuple(p for p in state.positions if p.szi != 0)
        self._set_watched({p.coin for p in positions})
        views = [position_view(p, self._mark(p.coin)) for p in positions]
        self._views = {v.coin: v for v in views}
        self.positions_table.empty_label.setText(
            "Loading your positions…"
            if state is None
            else "No open positions. Open one on the Trade page."
        )
        self.positions_table.set_positions(views, stale=stale)
        orders = self.adapter.open_orders()
        for coin, row in self.positions_table.rows.items():
            row.set_tpsl(*tpsl_prices(coin, orders))
        self.what_if.set_account(state, views)
        self.orders_table.set_orders(orders, stale=stale)
        if state is None:
            self.summary_label.setText("Loading your account…")
        else:
            pnl = sum((v.pnl for v in views), Decimal(0))
            margin = state.margin_summary.total_margin_used
            value = state.margin_summary.account_value
            count = len(views)
            self.summary_label.setText(
                f"{count} position{'s' if count != 1 else ''} · Unrealized PnL "
                f"{format_usd(pnl)} · Margin in use {format_usd(margin)} · Account value "
                f"{format_usd(value)}"
            )
        set_flag(self.summary_label, "stale", stale)

    def _mark(self, coin: str) -> Decimal | None:
        ctx = self.adapter.context(coin)
        return ctx.mark_px if ctx is not None else None

    def _set_watched(self, coins: set[str]) -> None:
        """Stream the mark of every coin with a position, and stop streaming the others."""
        for coin in sorted(coins - self._watched):
            self.adapter.watch(coin)
        for coin in sorted(self._watched - coins):
            self.adapter.unwatch(coin)
        self._watched = set(coins)

    def release(self) -> None:
        """Stop the mark streams this page asked for (call before dropping the page)."""
        self._redraw_soon.cancel()  # a pending redraw would watch the positions' coins again
        self._set_watched(set())

    # ------------------------------------------------------------------ messages

    def show_toast(self, text: str) -> None:
        """A short success message at the top that fades out after ``TOAST_MS``."""
        self._toast_fade.stop()
        self._toast_effect.setOpacity(1.0)
        self.toast.setText(text)
        self._place_toast()
        self.toast.show()
        self._toast_timer.start(self.toast_ms)

    def _show_failure(self, coin: str | None, text: str) -> None:
        row = self.positions_table.rows.get(coin) if coin else None
        if row is not None:
            row.show_error(text)
        else:
            self.error_label.setText(text)
            self.error_label.show()

    def _hide_messages(self) -> None:
        self.error_label.hide()
        self.orders_table.show_error("")
        for row in self.positions_table.rows.values():
            row.show_error("")

    # ------------------------------------------------------------------ actions

    def _start(
        self,
        kind: str,
        coin: str,
        action: str,
        send: Callable[[OnOutcome], None],
        oid: int | None = None,
    ) -> None:
        """Send one action; its own outcome comes back to :meth:`_on_action_done`.

        ``kind`` is what was done (close, tpsl, margin, cancel, cancel all); ``action`` the
        position row's button to release ("" for none); ``oid`` the order a cancel was for.
        """
        epoch = self._account_epoch

        def done(result: ActionOutcome) -> None:
            if epoch == self._account_epoch:
                self._on_action_done(kind, coin, action, oid, result)

        send(alive(self, done))

    def _on_row_action(self, action: str, coin: str) -> None:
        view = self._views.get(coin)
        row = self.positions_table.rows.get(coin)
        if view is None or row is None or row.busy:
            return
        row.show_error("")
        self.error_label.hide()
        if action == "close":
            self.review_close(coin)
        elif action == "close_part":
            sz_decimals = self.adapter.market(coin).sz_decimals
            part = ClosePartDialog(view, sz_decimals, self)
            part.accepted.connect(lambda: self._close_part(coin, part))
            self._open(part)
        elif action == "tpsl":
            tpsl = TpslDialog(view, self)
            tpsl.accepted.connect(lambda: self._set_tpsl(coin, tpsl))
            self._open(tpsl)
        elif action == "margin" and view.is_isolated:
            margin = MarginDialog(view, self)
            margin.accepted.connect(lambda: self._update_margin(coin, margin))
            self._open(margin)

    def _open(self, dialog: QDialog) -> None:
        """Window-modal and non-blocking: a nested exec() loop would stall the asyncio tasks."""
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        dialog.open()

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def close_position(self, coin: str, fraction: Decimal = Decimal(1)) -> None:
        """Market-close ``fraction`` of ``coin``'s position; the row shows progress."""
        action = "close" if fraction == 1 else "close_part"
        row = self.positions_table.rows.get(coin)
        if row is not None:
            row.set_busy(action, True, "Closing…")
        self._start(
            "close",
            coin,
            action,
            lambda done: self.adapter.close_position(coin, done, fraction),
        )

    def review_close(self, coin: str, fraction: Decimal = Decimal(1)) -> None:
        """Close ``fraction`` of ``coin``: reviewed first when reviews are on.

        The review shows the close as the ticket would: a reduce-only market order of the
        position's size (or the part) at the live book, bounded by the close's own slippage.
        """
        if not self._confirm_orders():
            self.close_position(coin, fraction)
            return
        view = self._views.get(coin)
        if view is None:
            return
        market = self.adapter.market(coin)
        size = view.size if fraction == 1 else view.size * fraction
        size = size.quantize(Decimal(1).scaleb(-market.sz_decimals), rounding="ROUND_DOWN")
        ticket = Ticket(
            coin=coin,
            side=TicketSide.SHORT if view.is_long else TicketSide.LONG,
            amount=size,
            unit=AmountUnit.COIN,
            leverage=view.leverage,
            margin_mode=view.margin_mode,
            kind=OrderKind.MARKET,
            slippage_pct=CLOSE_SLIPPAGE_PCT,
            reduce_only=True,
        )
        plan = self.adapter.plan(ticket)
        if isinstance(plan, TicketError):
            self._show_failure(coin, f"Nothing was sent: {plan.message}")
            return
        self._reviewing = (coin, fraction)
        self.sheet.open(plan, account_known=True)
        self.sheet.set_stale(self.adapter.market_stale)

    def _review_cancelled(self) -> None:
        self._reviewing = None

    def _close_reviewed(self, _plan: object) -> None:
        reviewing, self._reviewing = self._reviewing, None
        if reviewing is not None:
            self.close_position(*reviewing)

    def _close_part(self, coin: str, dialog: ClosePartDialog) -> None:
        fraction = dialog.fraction
        if fraction is not None:
            self.review_close(coin, fraction)

    def _set_tpsl(self, coin: str, dialog: TpslDialog) -> None:
        tp, sl = dialog.take_profit, dialog.stop_loss
        far = dialog.far_notes()  # a likely typo is asked about even with reviews off
        if not self._confirm_orders() and not far:
            self._send_tpsl(coin, tp, sl)
            return
        view = self._views.get(coin)
        side = ("long" if view.is_long else "short") if view is not None else ""
        rows: list[tuple[str, str]] = []
        if tp is not None:
            rows.append(("Take-profit trigger", format_price(tp)))
        if sl is not None:
            rows.append(("Stop-loss trigger", format_price(sl)))
        if view is not None:
            rows.append(("Size", f"whole position ({format_size(view.size)} {coin})"))
            if view.liquidation is not None:
                rows.append(("Liquidation price", format_price(view.liquidation)))
        self.sheet.open_action(
            "Review TP/SL",
            f"Attach to your {coin} {side} position: when the mark reaches a trigger, a "
            "reduce-only market order closes the position. They resize with it.",
            rows,
            "Set TP/SL",
            lambda: self._send_tpsl(coin, tp, sl),
            note="\n".join(
                [*far, "Existing TP/SL of the same kind are replaced once these are placed."]
            ),
        )

    def _send_tpsl(self, coin: str, tp: Decimal | None, sl: Decimal | None) -> None:
        row = self.positions_table.rows.get(coin)
        if row is not None:
            row.set_busy("tpsl", True, "Setting…")
        self._start("tpsl", coin, "tpsl", lambda done: self.adapter.set_tpsl(coin, tp, sl, done))

    def _update_margin(self, coin: str, dialog: MarginDialog) -> None:
        delta = dialog.delta
        if delta is None:
            return
        row = self.positions_table.rows.get(coin)
        if row is not None:
            row.set_busy("margin", True, "Adding…" if delta > 0 else "Removing…")
        self._start(
            "margin",
            coin,
            "margin",
            lambda done: self.adapter.update_isolated_margin(coin, delta, done),
        )

    def _cancel(self, oid: object, coin: str) -> None:
        assert isinstance(oid, int)
        self.orders_table.show_error("")
        self._start("cancel", coin, "", lambda done: self.adapter.cancel(oid, coin, done), oid)

    def _cancel_all(self) -> None:
        orders = self.adapter.open_orders()
        if not self._confirm_orders() or not orders:
            self._send_cancel_all()
            return
        coins = sorted({o.coin for o in orders})
        count = len(orders)
        self.sheet.open_action(
            "Review cancel all",
            f"Cancel {count} open order{'s' if count != 1 else ''}, TP/SL triggers included.",
            [("Orders", str(count)), ("Markets", ", ".join(coins))],
            f"Cancel {count} order{'s' if count != 1 else ''}",
            self._send_cancel_all,
            note="Positions stay open; any TP/SL protecting them is cancelled too.",
            kind="short",
        )

    def _send_cancel_all(self) -> None:
        self.orders_table.show_error("")
        self.orders_table.set_cancelling_all(True)
        self._start("cancel all", "", "", self.adapter.cancel_all)

    def _on_action_done(
        self, kind: str, coin: str, action: str, oid: int | None, result: ActionOutcome
    ) -> None:
        row = self.positions_table.rows.get(coin)
        if row is not None and action:
            row.set_busy(action, False)
        if kind in ("cancel", "cancel all"):
            if oid is None:
                self.orders_table.set_cancelling_all(False)
            else:
                self.orders_table.cancel_done(oid)
            if result.ok:
                self.show_toast(result.message)
            else:
                self.orders_table.show_error(_failure_text(result, _ADVICE["cancel"]))
            self._schedule()
            return
        if result.ok:
            self.show_toast(self._success_text(kind, action, coin, result))
        else:
            self._show_failure(coin, _failure_text(result, _ADVICE.get(kind, "")))
        self._schedule()

    @staticmethod
    def _success_text(kind: str, action: str, coin: str, result: ActionResult | OrderResult) -> str:
        if kind == "close":
            what = f"{coin} position closed" if action == "close" else f"Part of {coin} closed"
            return f"{what}: {result.message}"
        return result.message
