"""The app's pages, listed once: sidebar order, keys and labels, and what a page promises.

Why one list: the sidebar (``MainWindow``) and the page builder (``AppController``) used to
keep their own lists that had to agree by hand. Now both read :data:`PAGES`; the controller
builds a page per key in a ``match`` over :data:`PageKey` that mypy checks for exhaustiveness,
so a page added here without a builder (or a builder without a page) fails type checking.
This module imports no page: pages load pyqtgraph and friends, and the window needs only
the list to draw its sidebar before any of them exists.

A page is made from what it shows (its adapter, or the wallet service or settings) and its
options, with no Qt parent: the window's page stack takes it. Only the Trade page, the first
screen, is built in place inside the stack so that its widgets are styled once.
"""

from __future__ import annotations

from typing import Final, Literal, NamedTuple, Protocol, runtime_checkable

__all__ = ["PAGES", "PageEntry", "PageKey", "ReleasesWatches"]

PageKey = Literal["wallet", "trade", "positions", "funding", "pulse", "history", "settings"]


class PageEntry(NamedTuple):
    """One page: its key (for ``show_page``) and its sidebar label."""

    key: PageKey
    label: str


#: Sidebar order from UX.md (onboarding is shown instead of the shell on first run).
PAGES: Final[tuple[PageEntry, ...]] = (
    PageEntry("wallet", "Wallet"),
    PageEntry("trade", "Trade"),
    PageEntry("positions", "Positions"),
    PageEntry("funding", "Funding"),
    PageEntry("pulse", "Market pulse"),
    PageEntry("history", "History"),
    PageEntry("settings", "Settings"),
)


@runtime_checkable
class ReleasesWatches(Protocol):
    """A page that streams extra market data: it lets go before its adapter is closed."""

    def release(self) -> None: ...
