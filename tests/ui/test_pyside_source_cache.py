"""PySide6 no longer keeps the source text of every module imported after it
(ui/pyside_source_cache.py).

PySide6 reads each newly imported module's source to see whether it mentions PySide6 (its
``__feature__`` bookkeeping) and, through ``inspect.getsource``, leaves every line in
``linecache``: about 19 MB of the app's resident memory. The app swaps in a check that
gives the same answer and keeps nothing.
"""

from __future__ import annotations

import linecache
import sys
from pathlib import Path

import pytest

import wallet_perps.ui.pyside_source_cache as source_cache


def _feature_table() -> dict[str, int]:
    feature = sys.modules.get("shibokensupport.feature") or sys.modules.get(
        "PySide6.support.feature"
    )
    if feature is None or not hasattr(feature, "pyside_feature_dict"):
        pytest.skip("this PySide6 has no feature bookkeeping to check")
    table: dict[str, int] = feature.pyside_feature_dict
    return table


def test_modules_imported_later_leave_no_source_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = _feature_table()
    uses = tmp_path / "wp_uses_qt_probe.py"
    uses.write_text("from PySide6.QtCore import QObject\n\nVALUE = [QObject] * 3\n")
    plain = tmp_path / "wp_plain_probe.py"
    plain.write_text("VALUE = 42\n" * 200)
    monkeypatch.syspath_prepend(str(tmp_path))
    source_cache.stop_pyside_source_cache()
    source_cache.stop_pyside_source_cache()  # idempotent
    try:
        # the plain import statement: PySide6 hooks ``__import__``, not importlib
        __import__("wp_uses_qt_probe")
        __import__("wp_plain_probe")
        assert str(uses) not in linecache.cache
        assert str(plain) not in linecache.cache
        # the same answers PySide6's own check gives: uses PySide6 -> 0, does not -> -1
        assert table.get("wp_uses_qt_probe") == 0
        assert table.get("wp_plain_probe") == -1
    finally:
        for name in ("wp_uses_qt_probe", "wp_plain_probe"):
            sys.modules.pop(name, None)
            table.pop(name, None)


def test_a_module_without_a_source_file_counts_as_not_using_pyside() -> None:
    check = source_cache._file_mentions_pyside
    assert check(sys) is False  # built in
    assert check(type("Module", (), {"__file__": "/nowhere/gone.py"})()) is False
    assert check(type("Module", (), {"__file__": "/nowhere/ext.so"})()) is False
