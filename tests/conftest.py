"""Shared test setup: an isolated app home, the shared venues, the real keyring, the fixtures.

Every test gets its own WALLET_PERPS_HOME so nothing a test does can touch a developer's real
settings, data or logs, and so leftovers can be inspected (e.g. for plaintext secrets).

Venues: one ``flow_venue`` (synthetic traders keep a live book) and one ``quiet_venue`` (no
flow: fills and balances are exact) serve the whole session. Starting a venue costs about a
second of CPU, and every test that shares one funds its own fresh account, so tests cannot see
each other's money, orders or positions. A test that needs a fresh venue (its own data
directory, a restart, a kill, a moved oracle price, a different clock) starts its own
:class:`~tests.venue_process.VenueProcess`.

Keyring: a test marked ``keyring`` (or asking for ``real_keyring``) runs against the real
Secret Service, our entries cleared before and after; without one it fails at once, saying
why, instead of timing out later on a wallet that could not be stored.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.venue_process import VenueProcess

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: The repo's sibling ``shared/`` folder (beside the checkout in development and in CI).
SHARED_DIR = Path(
    os.environ.get("WALLET_PERPS_SHARED", Path(__file__).resolve().parents[2] / "shared")
)
#: The recorded venue data and signing vectors (PROTOCOL.md's fixtures): the one place that
#: says where they are; tests take the ``fixtures_dir`` fixture or import this.
FIXTURES_DIR = SHARED_DIR / "hyperliquid" / "fixtures"

#: How long the Secret Service may take to answer the one probe of a session.
SECRET_SERVICE_PROBE_S = 5.0

#: How to run the tests with a keyring (packaging/with_keyring.sh inside a private D-Bus).
KEYRING_HINT = (
    "run the tests with `bash packaging/dev.sh test` or under "
    "`dbus-run-session -- bash packaging/with_keyring.sh`"
)


# ------------------------------------------------------------------------------- venues


@pytest.fixture(scope="session")
def flow_venue() -> Iterator[VenueProcess]:
    """The session's venue with synthetic traders: a live book and trades every second."""
    process = VenueProcess("--seed", "5")
    yield process
    process.kill()


@pytest.fixture(scope="session")
def quiet_venue() -> Iterator[VenueProcess]:
    """The session's venue without synthetic traders: nothing moves but what a test sends."""
    process = VenueProcess("--no-flow", "--seed", "3")
    yield process
    process.kill()


@pytest.fixture
def venues() -> Iterator[list[VenueProcess]]:
    """Processes a test starts (append each one); whatever is still running at the end is
    killed. For the tests that need venues of their own (restarts, kills, their own data)."""
    started: list[VenueProcess] = []
    yield started
    for venue in started:
        venue.kill()


# ------------------------------------------------------------------------------ keyring


@functools.cache
def secret_service_problem() -> str | None:
    """None if the real Secret Service keyring answers, else why not (asked once a session).

    ``keyring`` alone may pick the Secret Service backend while nothing serves it, or while
    its collection cannot be unlocked (no prompt without a display): every later call then
    waits for D-Bus's own timeout. So the probe opens the default collection itself, in a
    thread given a few seconds.
    """
    from wallet_perps.wallet.backends import keyring_problem

    problem = keyring_problem()
    if problem is not None:
        return problem
    answer: list[str | None] = []

    def probe() -> None:
        import secretstorage

        try:
            connection = secretstorage.dbus_init()
            try:
                if not secretstorage.check_service_availability(connection):
                    answer.append("no Secret Service on the session bus")
                elif secretstorage.get_default_collection(connection).is_locked():
                    answer.append("the Secret Service's default collection is locked")
                else:
                    answer.append(None)
            finally:
                connection.close()
        except Exception as exc:  # whatever D-Bus says is the reason
            answer.append(f"the Secret Service did not answer ({type(exc).__name__}: {exc})")

    thread = threading.Thread(target=probe, name="secret-service-probe", daemon=True)
    thread.start()
    thread.join(SECRET_SERVICE_PROBE_S)
    if not answer:
        return f"the Secret Service did not answer within {SECRET_SERVICE_PROBE_S:g} s"
    return answer[0]


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks for ``real_keyring`` carries the ``keyring`` marker (for ``-m``).

    The UI tests run last (each group keeps its order): Qt keeps state across tests in one
    process, and a crash seen once came from that state being processed during a later,
    Qt-free test. With the UI tests last, no other test runs after them.
    """
    for item in items:
        if "real_keyring" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.keyring)
    items.sort(key=lambda item: "/tests/ui/" in str(item.path).replace("\\", "/"))


@pytest.fixture(autouse=True)
def _keyring_marker(request: pytest.FixtureRequest) -> None:
    """A test marked ``keyring`` gets :func:`real_keyring` (and fails fast without one)."""
    if request.node.get_closest_marker("keyring") is not None:
        request.getfixturevalue("real_keyring")


@pytest.fixture
def real_keyring() -> Iterator[object]:
    """The real Secret Service backend, our entries cleared before and after; the backend is
    put back afterwards (a test may swap it)."""
    problem = secret_service_problem()
    if problem is not None:
        pytest.fail(
            f"this test needs the real Secret Service keyring: {problem}; {KEYRING_HINT}",
            pytrace=False,
        )
    import keyring

    from tests.keyring_helpers import clear_keyring_entries

    backend = keyring.get_keyring()
    assert type(backend).__module__ == "keyring.backends.SecretService", backend
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
