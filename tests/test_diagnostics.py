"""Redaction, log files and crash reports (``wallet_perps.redaction``, ``.diagnostics``).

What ``diagnostics.install`` changes is process-wide and partly irreversible (the core-dump
limit, the dumpable flag, excepthooks, faulthandler), so it runs in subprocesses here; the
pieces without global effects are tested in this process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account
from pytestqt.qtbot import QtBot

from wallet_perps.core.private_files import private_dir
from wallet_perps.diagnostics import (
    CORE_DUMPS_SENTENCE,
    Diagnostics,
    _PrivateRotatingFileHandler,
)
from wallet_perps.redaction import MIN_PHRASE_WORDS, RedactingFilter, redact
from wallet_perps.wallet.mnemonic import RecoveryPhrase

KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"


# ------------------------------------------------------------------------------ redaction


@pytest.mark.parametrize(
    "text",
    [
        KEY,
        "0x" + KEY,
        KEY.upper(),
        "0X" + KEY.upper(),
        f"key={KEY}, next",
        f"'{KEY}'",
        f"prefix{KEY}suffix",  # glued to letters
        f"ab{KEY}",  # glued to more hex: the whole run goes
    ],
)
def test_a_private_key_in_hex_is_redacted_in_any_spelling(text: str) -> None:
    out = redact(text)
    assert KEY not in out.lower()
    assert "<redacted" in out


def test_addresses_stay_and_every_64_hex_run_goes() -> None:
    tx_hash = "0x" + "ab" * 32
    out = redact(f"sent from {ADDRESS} in {tx_hash}")
    assert ADDRESS in out
    assert out == f"sent from {ADDRESS} in <redacted 32-byte hex>"
    assert redact("0x" + "1" * 130) == "<redacted hex>"  # a signature
    assert redact("a" * 63) == "a" * 63


def test_a_key_held_as_bytes_is_redacted_in_reprs() -> None:
    key = bytes.fromhex(KEY)
    for text in (repr(key), repr(bytearray(key)), f"bad key {key!r}!"):
        out = redact(text)
        assert repr(key)[2:-1] not in out and "<redacted 32 bytes>" in out
    assert redact('body b\'{"status":"ok"}\'') == 'body b\'{"status":"ok"}\''


@pytest.mark.parametrize("count", [12, 24])
def test_a_recovery_phrase_is_redacted_however_it_is_written(count: int) -> None:
    words = RecoveryPhrase.generate(count).words()
    spellings = [
        " ".join(words),
        "\n".join(words),
        " ".join(words).upper(),
        str(words),
        str(tuple(words)),
        " ".join(f"{i}. {w}" for i, w in enumerate(words, 1)),
        " ".join(f"{i}) {w}" for i, w in enumerate(words, 1)),
        f"phrase: '{' '.join(words)}' end",
    ]
    for text in spellings:
        out = redact(text)
        kept = [w for w in words if w in out.lower().split()]
        assert len(kept) < 2, (text, out)
        assert f"{count} words>" in out or f"{count + 1} words>" in out, out


def test_ordinary_log_lines_are_left_alone() -> None:
    lines = [
        "websocket ws://127.0.0.1:44695/ws: connecting",
        f"unlocked wallet {ADDRESS}",
        "Filled 0.05155 BTC at $97020.",
        "background step failed: The exchange rejected the request: Must deposit before "
        "performing actions.",
        "could not connect to http://127.0.0.1:3001: Cannot connect to host",
    ]
    for line in lines:
        assert redact(line) == line
    # Runs of BIP39 words shorter than the threshold are ordinary English.
    assert MIN_PHRASE_WORDS == 6
    assert redact("take profit only when price") == "take profit only when price"


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("t", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_the_filter_redacts_message_arguments_traceback_and_stack() -> None:
    words = RecoveryPhrase.generate(12).words()
    try:
        raise ValueError(f"cannot parse {KEY} from {' '.join(words)}")
    except ValueError as exc:
        caught = exc
    record = _record("key %s and phrase %r", "0x" + KEY, words, exc=caught)
    record.stack_info = f"Stack (most recent call last):\n  secret {KEY}"
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    assert RedactingFilter().filter(record)
    text = handler.format(record)
    assert KEY not in text.lower()
    assert sum(w in text.split() for w in words) < 2
    assert "ValueError: cannot parse <redacted 32-byte hex> from <redacted 12 words>" in text
    # "phrase" is itself a BIP39 word, so it joins the run.
    assert "key <redacted 32-byte hex> and <redacted 13 words>" in text
    assert record.args == ()


def test_a_message_whose_arguments_do_not_fit_does_not_leak_them() -> None:
    record = _record("only one %s", KEY, "0x" + KEY)
    assert RedactingFilter().filter(record)
    assert KEY not in record.getMessage()


# ------------------------------------------------------------------------------ files


def test_log_files_are_private_and_rotate(tmp_path: Path) -> None:
    log_dir = private_dir(tmp_path / "log")
    assert stat.S_IMODE(log_dir.stat().st_mode) == 0o700
    handler = _PrivateRotatingFileHandler(log_dir / "app.log", maxBytes=2_000, backupCount=2)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.test_diagnostics.rotation")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for i in range(200):
            logger.warning("line %d with key %s", i, KEY)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in log_dir.iterdir())
    assert files == ["app.log", "app.log.1", "app.log.2"]
    for name in files:
        path = log_dir / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text(encoding="utf-8")
        assert KEY not in text and "<redacted 32-byte hex>" in text


def test_an_unhandled_loop_exception_writes_a_redacted_private_report(tmp_path: Path) -> None:
    diag = Diagnostics(private_dir(tmp_path / "log"), "9.9.9", core_dumps_disabled=True)
    loop = asyncio.new_event_loop()
    try:
        exc = RuntimeError(f"oops 0x{KEY}")
        diag.loop_exception_handler(
            loop, {"message": "Task exception was never retrieved", "exception": exc}
        )
        diag.loop_exception_handler(loop, {"message": "Unclosed client session"})  # no report
    finally:
        loop.close()
    (report,) = diag.reports
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert report.name.startswith("crash-") and report.suffix == ".txt"
    text = report.read_text(encoding="utf-8")
    assert "Task exception was never retrieved" in text and "App version: 9.9.9" in text
    assert CORE_DUMPS_SENTENCE in text
    assert "RuntimeError: oops <redacted 32-byte hex>" in text and KEY not in text


# ------------------------------------------------------------------------------ install


def _run(code: str, home: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WALLET_PERPS_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, **kw
    )  # type: ignore[call-overload, no-any-return]


@pytest.mark.skipif(sys.platform != "linux", reason="prctl is Linux's")
def test_install_logs_to_the_home_disables_core_dumps_and_reports_a_crash(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code = f"""
import ctypes, logging, resource
from wallet_perps import diagnostics
diag = diagnostics.install("1.2.3")
print("CORE", resource.getrlimit(resource.RLIMIT_CORE))
print("DUMPABLE", ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))
logging.getLogger("demo").info("an info line")
logging.getLogger("demo").warning("a warning with %s", "{KEY}")
raise RuntimeError("boom {KEY}")
"""
    proc = _run(code, home)
    assert proc.returncode == 1
    assert "CORE (0, 0)" in proc.stdout and "DUMPABLE 0" in proc.stdout
    log_dir = home / "log"
    assert stat.S_IMODE(log_dir.stat().st_mode) == 0o700
    log_file = log_dir / "wallet-perps.log"
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    log_text = log_file.read_text(encoding="utf-8")
    assert "an info line" in log_text and "a warning with <redacted 32-byte hex>" in log_text
    # The console shows warnings and worse only, redacted too.
    assert "an info line" not in proc.stderr and "a warning with <redacted" in proc.stderr
    (report,) = log_dir.glob("crash-*.txt")
    text = report.read_text(encoding="utf-8")
    assert "RuntimeError: boom <redacted 32-byte hex>" in text and "a warning with" in text
    assert f"A report was saved to {report}" in proc.stderr
    for output in (proc.stdout, proc.stderr, log_text, text):
        assert KEY not in output
    # A normal exit leaves no fault file behind.
    assert not list(log_dir.glob("fault-*.txt"))


def test_ctrl_c_is_not_a_crash(tmp_path: Path) -> None:
    code = "from wallet_perps import diagnostics; diagnostics.install('1'); raise KeyboardInterrupt"
    proc = _run(code, tmp_path / "home")
    assert proc.returncode != 0 and "KeyboardInterrupt" in proc.stderr
    assert not list((tmp_path / "home" / "log").glob("crash-*.txt"))


def test_install_works_without_qt(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['PySide6'] = None\n"
        "from wallet_perps import diagnostics; diagnostics.install('1')\n"
        "raise ValueError('no qt here')"
    )
    proc = _run(code, tmp_path / "home")
    assert proc.returncode == 1, proc.stderr
    (report,) = (tmp_path / "home" / "log").glob("crash-*.txt")
    assert "Qt: not loaded" in report.read_text(encoding="utf-8")


def test_a_running_window_gets_a_non_modal_box_that_copies_the_path(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

    diag = Diagnostics(private_dir(tmp_path / "log"), "1", core_dumps_disabled=True)
    path = tmp_path / "log" / "crash-x.txt"
    diag._show_box("Wallet Perps", "Wallet Perps hit an unexpected error.", path)
    qtbot.waitUntil(lambda: bool(diag._dialogs), timeout=10_000)
    box = diag._dialogs[0]
    assert isinstance(box, QMessageBox) and box.isVisible() and not box.isModal()
    assert str(path) in box.informativeText()
    copy = next(b for b in box.findChildren(QPushButton) if b.text() == "Copy path")
    copy.click()
    assert QApplication.clipboard().text() == str(path)
    qtbot.waitUntil(lambda: not diag._dialogs, timeout=10_000)


def test_an_eth_account_key_never_survives(tmp_path: Path) -> None:
    account = Account.create()
    key = account.key.hex().removeprefix("0x")
    out = redact(f"{account.key!r} {key} {account.address}")
    assert key not in out.lower() and account.address in out
