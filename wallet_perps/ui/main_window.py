"""The main window. For now a placeholder that names the network; the trading shell replaces it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from wallet_perps.config import NETWORKS, NetworkName


class MainWindow(QMainWindow):
    def __init__(self, network: NetworkName) -> None:
        super().__init__()
        self.setWindowTitle("Wallet Perps")
        self.resize(1100, 720)
        body = QWidget()
        layout = QVBoxLayout(body)
        title = QLabel("Wallet Perps")
        title.setObjectName("title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.network_label = QLabel(f"Network: {NETWORKS[network].label}")
        self.network_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(self.network_label)
        layout.addStretch(1)
        self.setCentralWidget(body)
        self.setStyleSheet(
            "QMainWindow, QWidget { background: #0f1730; color: #e6ebf5; }"
            "QLabel#title { font-size: 32px; font-weight: 600; }"
        )
