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


@pytest.fixture
def real_keyring() -> Iterator[object]:
    """The real Secret Service backend, our entries cleared before and after; the backend is
    put back afterwards (a test may swap it). tests/wallet has an autouse variant."""
    import keyring

    from tests.keyring_helpers import clear_keyring_entries
    from wallet_perps.wallet.backends import keyring_problem

    problem = keyring_problem()
    if problem is not None:
        pytest.fail(f"this test needs the real Secret Service keyring ({problem})")
    backend = keyring.get_keyring()
    clear_keyring_entries()
    yield backend
    keyring.set_keyring(backend)
    clear_keyring_entries()


@pytest.fixture
def file_keystore_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No OS keyring, in this process and in the app processes a test starts.

    keyring picks its backend once per process, so the environment variable alone does not
    reach this process when an earlier test already used the keyring: the backend is set here
    too, and put back afterwards.
    """
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()  # before the variable: it would choose "fail" here too
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(previous)


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
