"""The ``keyring`` marker (tests/conftest.py): a marked test runs against the real Secret
Service with none of our entries, and without one it fails at once, saying why."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import keyring
import pytest

from tests.keyring_helpers import keyring_entries
from tests.venue_process import REPO


@pytest.mark.keyring
def test_a_marked_test_gets_the_real_keyring_with_none_of_our_entries(
    request: pytest.FixtureRequest,
) -> None:
    assert "real_keyring" in request.fixturenames
    assert type(keyring.get_keyring()).__module__ == "keyring.backends.SecretService"
    assert keyring_entries() == {}


def test_without_a_secret_service_a_marked_test_fails_at_once_with_the_reason() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    started = time.monotonic()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{__file__}::test_a_marked_test_gets_the_real_keyring_with_none_of_our_entries",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert run.returncode == 1, run.stdout[-3000:]
    assert "needs the real Secret Service keyring" in run.stdout, run.stdout[-3000:]
    assert "keyring.backends.fail" in run.stdout  # the reason itself
    assert time.monotonic() - started < 30
