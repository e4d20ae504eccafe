"""The app's private-file helpers (config.py): 0700 folders, 0600 files, old modes tightened."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from wallet_perps.config import Settings, secure_app_dirs
from wallet_perps.core.private_files import (
    private_dir,
    tighten_tree,
    write_private,
    write_private_file,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_private_dir_makes_new_parents_and_an_old_folder_0700(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c"
    private_dir(target)
    assert [mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", target)] == [0o700] * 3
    os.chmod(target, 0o755)
    private_dir(target)
    assert mode(target) == 0o700


def test_write_private_replaces_a_world_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "settings.json"
    path.parent.mkdir(mode=0o755)
    os.chmod(path.parent, 0o755)
    path.write_text("old", encoding="utf-8")
    os.chmod(path, 0o644)
    write_private(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]  # no temp left


def test_write_private_file_leaves_the_users_folder_alone(tmp_path: Path) -> None:
    folder = tmp_path / "Documents"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    write_private_file(folder / "export.csv", "a,b\r\n")
    assert mode(folder / "export.csv") == 0o600 and mode(folder) == 0o755
    assert (folder / "export.csv").read_bytes() == b"a,b\r\n"  # newlines as given


def test_tighten_tree_removes_group_and_other_bits_only(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "db").write_bytes(b"x")
    (root / "run.sh").write_bytes(b"#!/bin/sh\n")
    os.chmod(root, 0o755)
    os.chmod(root / "sub", 0o775)
    os.chmod(root / "sub" / "db", 0o644)
    os.chmod(root / "run.sh", 0o755)
    outside = tmp_path / "outside"
    outside.write_bytes(b"y")
    os.chmod(outside, 0o644)
    (root / "link").symlink_to(outside)
    tighten_tree(root)
    assert mode(root) == 0o700 and mode(root / "sub") == 0o700
    assert mode(root / "sub" / "db") == 0o600 and mode(root / "run.sh") == 0o700
    assert mode(outside) == 0o644  # a symlink's target is not ours to change


def test_secure_app_dirs_and_settings_save(_isolated_app_home: Path) -> None:
    (_isolated_app_home / "config").mkdir(parents=True)
    (_isolated_app_home / "config" / "settings.json").write_text("{}", encoding="utf-8")
    for p in (_isolated_app_home, _isolated_app_home / "config"):
        os.chmod(p, 0o755)
    os.chmod(_isolated_app_home / "config" / "settings.json", 0o644)
    secure_app_dirs()
    assert mode(_isolated_app_home) == 0o700 and mode(_isolated_app_home / "config") == 0o700
    assert mode(_isolated_app_home / "config" / "settings.json") == 0o600
    Settings(theme="light").save()
    assert mode(Settings.path()) == 0o600 and Settings.load().theme == "light"
