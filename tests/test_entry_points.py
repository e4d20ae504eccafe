"""The installed commands exist and answer."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import wallet_perps

ROOT = Path(__file__).resolve().parents[1]
#: Run with no display and with importing PySide6 made impossible: --help and --version
#: must need neither.
NO_QT = "import sys; sys.modules['PySide6'] = None; from wallet_perps.app import main; main()"


def run_without_qt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    return subprocess.run(
        [sys.executable, "-c", NO_QT, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
    )


def test_app_help_runs_without_a_display() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "wallet_perps", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--network" in out.stdout
    assert "--self-test" in out.stdout and "--version" in out.stdout


def test_help_and_version_do_not_import_qt() -> None:
    assert "--self-test" in run_without_qt("--help").stdout
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert run_without_qt("--version").stdout.strip() == f"wallet-perps {project['version']}"


def test_package_version_matches_pyproject() -> None:
    """``wallet_perps.__version__`` is --version's fallback (no metadata): keep it in step."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert wallet_perps.__version__ == project["version"]
