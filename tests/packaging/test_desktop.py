"""The desktop launcher, AppStream metadata and icons, and dev.sh's install-desktop.

The launcher and metadata are checked by the freedesktop tools themselves
(``desktop-file-validate`` from desktop-file-utils, ``appstreamcli`` from appstream; the test
command installs both). install-desktop runs for real into a throwaway ``XDG_DATA_HOME``.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from configparser import ConfigParser
from pathlib import Path

import pytest

from wallet_perps.ui.window_state import APP_ID, ICON_SIZES, WM_CLASS

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
ICONS = ROOT / "wallet_perps" / "resources" / "icons"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: `bash packaging/dev.sh test` installs it")
    return path


class _CaseSensitive(ConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr  # desktop entry keys are case-sensitive


def desktop_entry(path: Path) -> dict[str, str]:
    """The [Desktop Entry] group's raw values (escapes as written in the file)."""
    parser = _CaseSensitive(interpolation=None, strict=True)
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_launcher_passes_desktop_file_validate_and_matches_the_window() -> None:
    result = subprocess.run(
        [tool("desktop-file-validate"), str(DESKTOP)], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout == result.stderr == "", result
    entry = desktop_entry(DESKTOP)
    assert entry["Exec"] == "wallet-perps"
    assert entry["Icon"] == APP_ID
    # Docks match the window to its launcher by this (and Wayland by the file name).
    assert entry["StartupWMClass"] == WM_CLASS
    assert entry["Categories"].split(";")[:2] == ["Office", "Finance"]
    assert "hyperliquid" in entry["Keywords"]


def test_the_appstream_metadata_validates_without_warnings() -> None:
    result = subprocess.run(
        [tool("appstreamcli"), "validate", "--no-net", str(METAINFO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    issues = [line for line in result.stdout.splitlines() if line[:2] in ("E:", "W:", "I:")]
    assert issues == [], result.stdout
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("project_license") == "MIT"
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.find("content_rating") is not None
    assert root.find("releases/release") is not None


def test_the_icon_comes_as_svg_and_every_png_size() -> None:
    svg = ICONS / f"{WM_CLASS}.svg"
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    for size in ICON_SIZES:
        assert png_size(ICONS / f"{WM_CLASS}-{size}.png") == (size, size)


def dev_sh(*args: str, data_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    return subprocess.run(
        ["bash", str(ROOT / "packaging" / "dev.sh"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def installed_files() -> list[str]:
    files = [
        f"applications/{APP_ID}.desktop",
        f"metainfo/{APP_ID}.metainfo.xml",
        f"icons/hicolor/scalable/apps/{APP_ID}.svg",
    ]
    files += [f"icons/hicolor/{n}x{n}/apps/{APP_ID}.png" for n in ICON_SIZES]
    return files


def test_install_desktop_and_uninstall_desktop(tmp_path: Path) -> None:
    # An app path with a space and a dollar sign: Exec must quote and escape it.
    app_dir = tmp_path / "My Apps $HOME"
    app_dir.mkdir()
    app = app_dir / "wallet-perps"
    app.write_text("#!/bin/sh\nexit 0\n")
    app.chmod(0o755)
    data = tmp_path / "data"
    # Something of another app's in the same folders must survive the uninstall.
    other = data / "applications" / "other.desktop"
    other.parent.mkdir(parents=True)
    other.write_text("[Desktop Entry]\nType=Application\nName=Other\nExec=other\n")

    result = dev_sh("install-desktop", "--exec", str(app), data_home=data)
    assert result.returncode == 0, result.stderr
    for rel in installed_files():
        assert (data / rel).is_file(), rel
    launcher = data / "applications" / f"{APP_ID}.desktop"
    check = subprocess.run(
        [tool("desktop-file-validate"), str(launcher)], capture_output=True, text=True
    )
    assert check.returncode == 0 and check.stdout == "", check
    entry = desktop_entry(launcher)
    # Quoted, with $ escaped as \$ by the Exec rule and that backslash doubled by the string rule.
    assert entry["Exec"] == f'"{app_dir}/wallet-perps"'.replace("$", "\\\\$")
    assert "TryExec" not in entry  # a path that needs quoting is not written there
    assert entry["Icon"] == APP_ID
    assert (data / "icons/hicolor/48x48/apps" / f"{APP_ID}.png").read_bytes() == (
        ICONS / f"{WM_CLASS}-48.png"
    ).read_bytes()

    result = dev_sh("uninstall-desktop", data_home=data)
    assert result.returncode == 0, result.stderr
    left = sorted(str(p.relative_to(data)) for p in data.rglob("*") if p.is_file())
    assert left == ["applications/other.desktop"]


def test_install_desktop_writes_a_plain_absolute_exec(tmp_path: Path) -> None:
    app = tmp_path / "bin" / "wallet-perps"
    app.parent.mkdir()
    app.write_text("#!/bin/sh\nexit 0\n")
    app.chmod(0o755)
    data = tmp_path / "data"
    # A relative path is made absolute.
    result = dev_sh("install-desktop", f"--exec={os.path.relpath(app, ROOT)}", data_home=data)
    assert result.returncode == 0, result.stderr
    entry = desktop_entry(data / "applications" / f"{APP_ID}.desktop")
    assert entry["Exec"] == entry["TryExec"] == str(app)
    missing = dev_sh("install-desktop", "--exec", str(tmp_path / "nothing"), data_home=data)
    assert missing.returncode != 0 and "not an executable" in missing.stderr
