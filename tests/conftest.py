"""Shared test setup.

Every test gets its own WALLET_PERPS_HOME so nothing a test does can touch a developer's real
settings, data or logs, and so leftovers can be inspected (e.g. for plaintext secrets).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: The repo's sibling ``shared/`` folder (beside the checkout in development and in CI).
SHARED_DIR = Path(
    os.environ.get("WALLET_PERPS_SHARED", Path(__file__).resolve().parents[2] / "shared")
)
FIXTURES_DIR = SHARED_DIR / "hyperliquid" / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "wallet-perps-home"
    monkeypatch.setenv("WALLET_PERPS_HOME", str(home))
    yield home


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The recorded venue data and signing vectors; a missing folder is a hard failure."""
    if not FIXTURES_DIR.is_dir():
        raise FileNotFoundError(
            f"Hyperliquid fixtures not found at {FIXTURES_DIR}; set WALLET_PERPS_SHARED"
        )
    return FIXTURES_DIR
