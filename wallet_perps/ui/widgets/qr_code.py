"""A QR code of a piece of text (the wallet's address), drawn with QPainter from segno's matrix.

Why draw it ourselves: segno computes the symbol in pure Python and needs no image library;
painting its module matrix at a whole number of pixels per module keeps every module sharp
(a scaled bitmap blurs edges, and blurred QR codes scan badly). The code is always dark on a
white square with segno's quiet zone, whatever the theme, because phone scanners expect that.
"""

from __future__ import annotations

import segno
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

__all__ = ["QrCode"]

_DARK = QColor("#000000")
_LIGHT = QColor("#ffffff")


class QrCode(QWidget):
    """Shows ``text`` as a QR code (``segno.make(text)``), centred in the widget.

    ``matrix`` is the symbol's rows of dark (True) / light (False) modules, without the quiet
    zone; empty when there is nothing to show.
    """

    def __init__(self, text: str = "", size: int = 176, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._size = size
        self._text = ""
        self._matrix: tuple[tuple[bool, ...], ...] = ()
        self._border = 0
        self._pixmap: QPixmap | None = None
        self.setFixedSize(size, size)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.set_text(text)

    @property
    def text(self) -> str:
        return self._text

    @property
    def matrix(self) -> tuple[tuple[bool, ...], ...]:
        return self._matrix

    def set_text(self, text: str) -> None:
        """Encode ``text`` (nothing is drawn for an empty string)."""
        if text == self._text and (self._matrix or not text):
            return
        self._text = text
        if text:
            symbol = segno.make(text)
            self._matrix = tuple(tuple(bool(m) for m in row) for row in symbol.matrix)
            self._border = symbol.default_border_size
        else:
            self._matrix = ()
            self._border = 0
        self._pixmap = None
        self.setToolTip(f"QR code of {text}" if text else "")
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(self._size, self._size)

    def pixmap(self) -> QPixmap:
        """The rendered code (white quiet zone included), cached until the text changes."""
        if self._pixmap is None:
            self._pixmap = self._render()
        return self._pixmap

    def _render(self) -> QPixmap:
        side = self._size
        pixmap = QPixmap(side, side)
        pixmap.fill(_LIGHT if self._matrix else Qt.GlobalColor.transparent)
        if not self._matrix:
            return pixmap
        modules = len(self._matrix) + 2 * self._border
        scale = max(1, side // modules)
        offset = (side - scale * len(self._matrix)) // 2
        painter = QPainter(pixmap)
        try:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_DARK)
            for y, row in enumerate(self._matrix):
                x = 0
                while x < len(row):
                    if not row[x]:
                        x += 1
                        continue
                    run = x
                    while run < len(row) and row[run]:
                        run += 1
                    # One rectangle per run of dark modules: fewer, seamless paint calls.
                    painter.drawRect(
                        offset + x * scale, offset + y * scale, (run - x) * scale, scale
                    )
                    x = run
        finally:
            painter.end()
        return pixmap

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._matrix:
            return
        painter = QPainter(self)
        try:
            pixmap = self.pixmap()
            painter.drawPixmap(
                (self.width() - pixmap.width()) // 2, (self.height() - pixmap.height()) // 2, pixmap
            )
        finally:
            painter.end()
