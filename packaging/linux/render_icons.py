"""Render the app icon's PNG sizes from its SVG (the PNGs are committed beside it).

Run after editing ``wallet_perps/resources/icons/wallet-perps.svg``::

    .venv/bin/python packaging/linux/render_icons.py

Why PNGs as well as the SVG: desktop icon themes (hicolor) look up fixed sizes first, and
Qt's window icon and the X11 ``_NET_WM_ICON`` take bitmaps; rendering them once here keeps the
app from needing the SVG plugin at run time. Qt's own ``QSvgRenderer`` draws them, offscreen,
so no display or other tool is needed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "wallet_perps" / "resources" / "icons"
SOURCE = ICONS / "wallet-perps.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(source: Path, out_dir: Path, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """``wallet-perps-<N>.png`` for each size in ``out_dir``; the paths written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"{source} is not a valid SVG")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"wallet-perps-{size}.png"
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"could not write {path}")
        written.append(path)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=ICONS)
    args = parser.parse_args()
    for path in render(args.source, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
