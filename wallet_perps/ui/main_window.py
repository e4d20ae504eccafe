"""The shell: sidebar of pages, a reconnect banner, and the status bar (UX.md "Look").

Banners (reconnecting, venue stopped) float over the top of the page instead of taking a
row of the layout: a banner that pushed the page down moved its buttons under the pointer
and, on a small screen, grew the window past the screen's edge.

The shell knows nothing of the venue: pages are plugged in by name, and connection state,
latency, address and lock arrive through setters that the service adapter calls.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from wallet_perps.core.display import short_address
from wallet_perps.core.networks import NETWORKS, NetworkName
from wallet_perps.ui.kit import set_flag
from wallet_perps.ui.page_catalog import PAGES
from wallet_perps.ui.window_state import place_default


class MainWindow(QMainWindow):
    lock_requested = Signal()
    page_changed = Signal(str)
    closing = Signal()

    def __init__(self, network: NetworkName) -> None:
        super().__init__()
        self.setWindowTitle("Wallet Perps")
        place_default(self)  # fits the screen's free area with its frame; the app may restore
        self._address = ""
        self._locked = True
        self._wallet_exists = True
        self._pages: dict[str, QWidget] = {}
        self._buttons: dict[str, QPushButton] = {}

        body = QWidget()
        outer = QHBoxLayout(body)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self._build_sidebar())
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        # Strips the app puts above the pages (unlock, venue stopped), in insertion order.
        self.top_slot = QVBoxLayout()
        self.top_slot.setContentsMargins(0, 0, 0, 0)
        self.top_slot.setSpacing(0)
        right.addLayout(self.top_slot)
        self.stack = QStackedWidget()
        right.addWidget(self.stack, 1)
        self.banners = BannerOverlay(self.stack)
        self.banner = QLabel("Disconnected from the venue. Reconnecting… numbers may be stale.")
        self.banner.setObjectName("ReconnectBanner")
        self.banner.hide()
        self.banners.add(self.banner)
        outer.addLayout(right, 1)
        # The shell, or a full-window gate (onboarding) in its place.
        self.root = QStackedWidget()
        self.root.addWidget(body)
        self.shell = body
        self._gate: QWidget | None = None
        self.setCentralWidget(self.root)

        for key, label in PAGES:
            placeholder = QLabel(f"{label}")
            placeholder.setProperty("role", "title")
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.set_page(key, placeholder)
        self._build_status_bar(network)
        self.show_page("trade")
        QShortcut(QKeySequence("Ctrl+L"), self, self.lock_requested.emit)

    # -- layout --------------------------------------------------------------------------

    def _build_sidebar(self) -> QWidget:
        sidebar = QFrame()
        sidebar.setObjectName("Sidebar")
        sidebar.setFixedWidth(210)
        layout = QVBoxLayout(sidebar)
        layout.setContentsMargins(0, 0, 0, 12)
        brand = QLabel("◆ Wallet Perps")
        brand.setObjectName("Brand")
        layout.addWidget(brand)
        group = QButtonGroup(self)
        group.setExclusive(True)
        for key, label in PAGES:
            button = QPushButton(label)
            button.setCheckable(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, k=key: self.show_page(k))
            group.addButton(button)
            layout.addWidget(button)
            self._buttons[key] = button
        layout.addStretch(1)
        return sidebar

    def _build_status_bar(self, network: NetworkName) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.network_badge = QLabel(NETWORKS[network].label)
        self.network_badge.setObjectName("NetworkBadge")
        self.network_badge.setProperty("network", network)
        self.network_badge.setProperty("real_money", NETWORKS[network].real_money)
        self.network_badge.setToolTip(NETWORKS[network].badge_tip)
        self.connection_label = QLabel("● connecting…")
        self.address_button = QPushButton("no wallet")
        self.address_button.setFlat(True)
        self.address_button.setToolTip("Copy the full address")
        self.address_button.clicked.connect(self._copy_address)
        self.lock_button = QPushButton("Lock")
        self.lock_button.setToolTip("Lock the wallet (Ctrl+L): keys are dropped from memory")
        self.lock_button.clicked.connect(self.lock_requested.emit)
        bar.addWidget(self.network_badge)
        bar.addWidget(self.connection_label)
        bar.addPermanentWidget(self.address_button)
        bar.addPermanentWidget(self.lock_button)

    # -- pages ---------------------------------------------------------------------------

    def set_page(self, key: str, widget: QWidget) -> None:
        old = self._pages.get(key)
        if old is not None:
            self.stack.removeWidget(old)
            old.deleteLater()
        self._pages[key] = widget
        self.stack.addWidget(widget)

    def page(self, key: str) -> QWidget:
        return self._pages[key]

    def show_page(self, key: str) -> None:
        self.stack.setCurrentWidget(self._pages[key])
        self._buttons[key].setChecked(True)
        self.page_changed.emit(key)

    def current_page(self) -> str:
        current = self.stack.currentWidget()
        return next(k for k, w in self._pages.items() if w is current)

    def set_gate(self, widget: QWidget | None) -> None:
        """Show ``widget`` instead of the whole shell (first-run onboarding); None: the shell."""
        if self._gate is not None and self._gate is not widget:
            self.root.removeWidget(self._gate)
            self._gate.hide()
        self._gate = widget
        if widget is None:
            self.root.setCurrentWidget(self.shell)
            return
        if self.root.indexOf(widget) < 0:
            self.root.addWidget(widget)
        self.root.setCurrentWidget(widget)

    @property
    def gated(self) -> bool:
        return self._gate is not None

    def add_top_bar(self, widget: QWidget) -> None:
        """A strip above the pages that is part of the layout (the unlock strip)."""
        self.top_slot.addWidget(widget)

    def add_banner(self, widget: QWidget) -> None:
        """A banner floating over the top of the pages while it is shown (never pushes them)."""
        self.banners.add(widget)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        super().closeEvent(event)

    # -- status ----------------------------------------------------------------------------

    def set_network(self, network: NetworkName) -> None:
        self.network_badge.setText(NETWORKS[network].label)
        set_flag(self.network_badge, "network", network)
        set_flag(self.network_badge, "real_money", NETWORKS[network].real_money)
        self.network_badge.setToolTip(NETWORKS[network].badge_tip)

    def set_locked(self, locked: bool) -> None:
        """The status bar's lock button unlocks too: it says which it will do."""
        self._locked = locked
        if locked and not self._wallet_exists:
            self.lock_button.setText("Get started")
            self.lock_button.setToolTip("Create or import a wallet, or try the paper demo")
            return
        self.lock_button.setText("Unlock" if locked else "Lock")
        self.lock_button.setToolTip(
            "Unlock the wallet to see your account and trade"
            if locked
            else "Lock the wallet (Ctrl+L): keys are dropped from memory"
        )

    def set_wallet_exists(self, exists: bool) -> None:
        """With no wallet stored yet, the lock button offers to get started, not to unlock."""
        self._wallet_exists = exists
        self.set_locked(self._locked)
        self.set_address(self._address)

    def set_connection(self, connected: bool, latency_ms: float | None = None) -> None:
        """Green dot with latency when live; the banner and a red dot while reconnecting."""
        if connected:
            latency = f" {latency_ms:.0f} ms" if latency_ms is not None else ""
            self.connection_label.setText(f"● connected{latency}")
            self.connection_label.setStyleSheet("color: #1fc77e;")
        else:
            self.connection_label.setText("● reconnecting…")
            self.connection_label.setStyleSheet("color: #f0506e;")
        self.banner.setVisible(not connected)

    def set_address(self, address: str) -> None:
        """The unlocked wallet's address; "locked" while one is locked, "no wallet" before any."""
        self._address = address
        idle = "locked" if self._wallet_exists else "no wallet"
        self.address_button.setText(short_address(address) if address else idle)

    def _copy_address(self) -> None:
        if self._address:
            QGuiApplication.clipboard().setText(self._address)
            self.statusBar().showMessage("Address copied", 2000)


class BannerOverlay(QWidget):
    """A column of banners laid over the top edge of ``host``, as wide as it.

    It follows the host's size and its banners' visibility: with no banner shown it is hidden
    and takes no clicks; otherwise it is exactly as tall as the shown banners.
    """

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("BannerOverlay")
        self._host = host
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(0)
        host.installEventFilter(self)
        self.hide()

    def add(self, widget: QWidget) -> None:
        self._column.addWidget(widget)
        widget.installEventFilter(self)
        self.relayout()

    def relayout(self) -> None:
        items = (self._column.itemAt(i) for i in range(self._column.count()))
        widgets = [item.widget() for item in items if item is not None]
        if not any(w is not None and not w.isHidden() for w in widgets):
            self.hide()
            return
        width = self._host.width()
        self._column.activate()
        height = self._column.totalHeightForWidth(width)
        if height <= 0:
            height = self._column.sizeHint().height()
        self.setGeometry(0, 0, width, height)
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if (watched is self._host and kind == QEvent.Type.Resize) or (
            watched.parent() is self
            # ShowToParent/HideToParent arrive even while this overlay is hidden.
            and kind in (QEvent.Type.ShowToParent, QEvent.Type.HideToParent, QEvent.Type.Resize)
        ):
            self.relayout()
        elif event.type() == QEvent.Type.ChildAdded and watched is self._host:
            self.raise_()  # pages added later must not cover the banners
        return False
