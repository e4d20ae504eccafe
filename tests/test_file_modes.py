"""A whole session through the real app leaves nothing others can read, and no secret anywhere.

The real app runs in a subprocess (offscreen Qt, its own local venue, the real Secret Service
keyring of the test's private D-Bus session), driven by ``tests/app_driver.py`` in its
``session`` mode: unlock a stored wallet, deposit, trade (an agent is approved), export CSV,
change settings, lock, quit. The home starts as an older version left it: folders 0755 and
files 0644. Afterwards:

- no file or folder under WALLET_PERPS_HOME has any group or other permission bit, and the
  CSV export (in a folder the user picked, which is left as it was) is 0600;
- the main key, the recovery phrase and every agent key the session held (read in the app
  while unlocked, handed over through a pipe) are in no file (settings, wallet list, venue
  database and log, app logs, any crash report), no keyring item and no output of the app.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.keyring_helpers import keyring_items
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.mnemonic import RecoveryPhrase
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="POSIX modes, Secret Service")

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "tests" / "app_driver.py"
PASSWORD = "file-modes-session-7"


def needles(key: bytes) -> list[bytes]:
    text = key.hex()
    return [key, text.encode(), text.upper().encode(), ("0x" + text).encode()]


def widen(path: Path) -> None:
    """What an older version left: folders 0755, files 0644."""
    for p in [path, *path.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)


def test_a_whole_session_writes_private_files_and_no_secret(
    real_keyring: None, _isolated_app_home: Path, tmp_path: Path
) -> None:
    home = _isolated_app_home
    phrase = RecoveryPhrase.generate(12)
    words = list(phrase.words())
    main_key = phrase.derive_private_key()
    info = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT).import_phrase(" ".join(words), PASSWORD)
    (home / "config" / "settings.json").write_text('{"network": "local"}', encoding="utf-8")
    (home / "cache" / "old").mkdir(parents=True)
    (home / "cache" / "old" / "thumb.bin").write_bytes(b"x")
    widen(home)

    documents = tmp_path / "Documents"
    documents.mkdir(mode=0o755)
    os.chmod(documents, 0o755)
    export = documents / "history.csv"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    read_end, write_end = os.pipe()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "WALLET_PERPS_TEST_SECRETS_FD": str(write_end),
        "WALLET_PERPS_TEST_EXPORT": str(export),
    }
    try:
        proc = subprocess.run(
            [sys.executable, str(DRIVER), "session", info.address, PASSWORD],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            pass_fds=(write_end,),
        )
    finally:
        os.close(write_end)
    with os.fdopen(read_end, encoding="ascii") as pipe:
        agent_keys = [bytes.fromhex(line) for line in pipe.read().split()]
    output = proc.stdout + proc.stderr

    secrets_ = [
        *needles(main_key),
        *(n for key in agent_keys for n in needles(key)),
        " ".join(words).encode(),
        " ".join(words[4:8]).encode(),
    ]
    # The output is searched before it is shown, so a failure never prints a secret.
    leaked_in_output = [i for i, n in enumerate(secrets_) if n.decode("latin-1") in output]
    assert leaked_in_output == [], "secret material in the app's output"
    assert proc.returncode == 0, output[-4000:]
    for step in ("unlocked", "order", "exported", "settings changed", "locked"):
        assert f"driver: {step}" in proc.stdout, output[-4000:]
    assert agent_keys and all(len(k) == 32 for k in agent_keys)

    # Modes: nothing under the home is open to group or others, old leftovers included.
    wide = []
    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            wide.append(f"{path.relative_to(home)} {mode:o}")
    assert wide == []
    written = {p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file()}
    for expected in ("config/settings.json", "config/wallets.json", "log/wallet-perps.log"):
        assert expected in written, sorted(written)
    assert any(p.startswith("data/localvenue/") for p in written), sorted(written)
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    assert stat.S_IMODE(documents.stat().st_mode) == 0o755  # the user's folder is theirs
    assert export.read_text(encoding="utf-8").count("\n") >= 1

    # Plaintext: every file of the home, the export, and every keyring item.
    for path in [*(p for p in home.rglob("*") if p.is_file()), export]:
        data = path.read_bytes()
        found = [i for i, n in enumerate(secrets_) if n in data]
        assert found == [], f"secret material in {path.name}"
    items = keyring_items()
    assert len(items) >= 2  # the wallet and its agent, both encrypted
    for name, value in items.items():
        blob = name.encode() + value
        assert [i for i, n in enumerate(secrets_) if n in blob] == [], "secret in the keyring"
