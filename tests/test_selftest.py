"""``wallet-perps --self-test`` in the development environment (the installed wheel's run is in
tests/packaging/test_wheel.py): the package's resource list, the checks one by one, and one
whole in-process run against a damaged copy of the resources."""

from __future__ import annotations

import io
import os
import shutil
from importlib.resources import files
from pathlib import Path

import keyring
import pytest
from PySide6.QtWidgets import QApplication

from wallet_perps import selftest
from wallet_perps.ui.theme import STYLE_SHEETS, MissingStyleSheet, style_sheet

RESOURCES_DIR = Path(str(files("wallet_perps.resources")))


def damaged_copy(tmp_path: Path, *missing: str) -> Path:
    """A copy of wallet_perps/resources without the files named in ``missing``."""
    copy = tmp_path / "resources"
    shutil.copytree(RESOURCES_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for name in missing:
        (copy / name).unlink()
    return copy


def test_style_sheet_list_matches_the_package_folder() -> None:
    on_disk = sorted(p.name for p in RESOURCES_DIR.glob("*.qss"))
    assert sorted(STYLE_SHEETS) == on_disk
    assert STYLE_SHEETS[0] == "theme.qss"  # the base sheet first: page sheets refine it


def test_every_file_the_self_test_wants_is_in_the_checkout() -> None:
    for name in selftest.package_files():
        assert (RESOURCES_DIR / name).is_file(), name
    assert "files present" in selftest.check_resources(files("wallet_perps.resources"))


def test_a_missing_style_sheet_is_named(tmp_path: Path) -> None:
    copy = damaged_copy(tmp_path, "trade.qss")
    with pytest.raises(MissingStyleSheet, match=r"trade\.qss"):
        style_sheet("dark", copy)
    with pytest.raises(selftest.CheckFailed, match=r"wallet_perps/resources/trade\.qss"):
        selftest.check_resources(copy)


def test_a_missing_icon_is_named(tmp_path: Path) -> None:
    copy = damaged_copy(tmp_path, "icons/wallet-perps-48.png")
    with pytest.raises(selftest.CheckFailed, match=r"icons/wallet-perps-48\.png"):
        selftest.check_resources(copy)


def test_qt_check_paints_the_real_main_window(qapp: QApplication) -> None:
    detail = selftest.check_qt(True)
    assert "painted the main window" in detail


def test_whole_run_reports_the_broken_check_and_touches_nothing_of_the_user(
    qapp: QApplication, tmp_path: Path, _isolated_app_home: Path
) -> None:
    """All six checks run in this process; only the damaged resources fail.

    The conftest's WALLET_PERPS_HOME stands for the user's own folder: the self-test must
    leave it untouched, put the environment and the keyring backend back, and exit 1.
    """
    keyring_before = keyring.get_keyring()
    out = io.StringIO()
    code = selftest.run_self_test(out, resources=damaged_copy(tmp_path, "theme.qss"))
    text = out.getvalue()
    lines = text.splitlines()
    assert code == 1, text
    assert lines[0].startswith("FAIL resources: "), text
    assert "theme.qss" in lines[0]
    for name in selftest.CHECKS[1:]:
        assert any(line.startswith(f"ok   {name}: ") for line in lines), (name, text)
    assert "self-test FAILED (resources)" in text
    assert not _isolated_app_home.exists()
    assert os.environ["WALLET_PERPS_HOME"] == str(_isolated_app_home)
    assert keyring.get_keyring() is keyring_before
