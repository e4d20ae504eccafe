"""Redaction: text that may leave the process (logs, crash reports) without key material.

Why a module of its own: logs and crash reports (``wallet_perps.diagnostics``) and anything
else that writes text a user may send to someone must agree on what is a secret. A private
key is 32 bytes, shown as 64 hex digits or a bytes repr; a recovery phrase is a run of BIP39
English words. Neither can be told from public data of the same shape (a transaction hash is
also 64 hex digits), so both are redacted wherever they appear.
"""

from __future__ import annotations

import ast
import importlib.util
import logging
import re
from pathlib import Path
from typing import Final

__all__ = ["MIN_PHRASE_WORDS", "RedactingFilter", "redact"]

#: A run of this many BIP39 words (or more) is taken for a recovery phrase. Five words of a
#: phrase left visible would still leave 7 of 12 words (about 73 bits) unknown, while shorter
#: thresholds start eating ordinary English ("take profit only when price").
MIN_PHRASE_WORDS: Final = 6

#: 32 bytes in hex is exactly what a private key looks like, so every run of 64 or more hex
#: digits goes, keys and transaction hashes alike (the latter are public, but cannot be told
#: apart). Addresses (40 digits) stay: they are public and make logs useful.
_HEX_RUN = re.compile(r"(?:0[xX])?[0-9A-Fa-f]{64,}")
#: A bytes or bytearray repr: a key held as bytes shows up like this in exception messages.
_BYTES_REPR = re.compile(r"""b'(?:[^'\\\n]|\\.)*'|b"(?:[^"\\\n]|\\.)*\"""")
_TOKEN = re.compile(r"[A-Za-z]+|[^A-Za-z]+")
#: What may stand between the words of a phrase: spaces and newlines, list or tuple syntax,
#: and numbering ("1. abandon 2. ability").
_WORD_GAP = re.compile(r"""[\s,;'"\[\]()]*(?:\d{1,2}[.):]?[\s,;'"\[\]()]*)?""")


def _load_wordlist() -> frozenset[str]:
    """The BIP39 English list, read from eth_account's data file without importing it.

    Importing eth_account takes about 0.4 s, which the first log line of every start would
    pay; the word list is the same file ``wallet.mnemonic`` reads through it.
    """
    spec = importlib.util.find_spec("eth_account")
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location, "hdaccount", "wordlist", "english.txt")
        try:
            words = path.read_text(encoding="utf-8").split()
        except OSError:
            continue
        if len(words) == 2048:
            return frozenset(words)
    from wallet_perps.wallet.mnemonic import _wordlist

    return frozenset(_wordlist())


_words: frozenset[str] | None = None


def _wordlist() -> frozenset[str]:
    global _words
    if _words is None:
        _words = _load_wordlist()
    return _words


def _redact_hex(match: re.Match[str]) -> str:
    digits = len(match.group()) - (2 if match.group()[:2] in ("0x", "0X") else 0)
    return "<redacted 32-byte hex>" if digits == 64 else "<redacted hex>"


def _redact_bytes(match: re.Match[str]) -> str:
    try:
        value = ast.literal_eval(match.group())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return match.group()
    if isinstance(value, bytes) and len(value) in (32, 64):
        return f"<redacted {len(value)} bytes>"
    return match.group()


def _redact_phrases(text: str) -> str:
    words = _wordlist()
    out: list[str] = []
    run: list[tuple[int, int]] = []  # (start, end) of each word in the current run
    done = 0  # text[:done] is already in ``out``

    def flush() -> None:
        nonlocal done
        if len(run) >= MIN_PHRASE_WORDS:
            out.append(text[done : run[0][0]])
            out.append(f"<redacted {len(run)} words>")
            done = run[-1][1]
        run.clear()

    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0].isalpha():
            if token.lower() in words:
                run.append(match.span())
                continue
        elif run and _WORD_GAP.fullmatch(token):
            continue
        flush()
    flush()
    out.append(text[done:])
    return "".join(out)


def redact(text: str) -> str:
    """``text`` without anything that may be key material.

    Runs of 64+ hex digits (with or without ``0x``), 32- and 64-byte ``bytes`` reprs, and
    runs of :data:`MIN_PHRASE_WORDS` or more BIP39 English words (any case, separated by
    spaces, commas, quotes, brackets or numbering) are replaced by a ``<redacted ...>`` marker.
    """
    if not text:
        return text
    text = _HEX_RUN.sub(_redact_hex, text)
    if "b'" in text or 'b"' in text:
        text = _BYTES_REPR.sub(_redact_bytes, text)
    return _redact_phrases(text)


class RedactingFilter(logging.Filter):
    """Rewrites a record so that its message, traceback and stack are redacted.

    It sits on every handler (a logger's filters do not see records from child loggers). The
    message is formatted here, so no argument can reach a handler unredacted, and the
    exception text is formatted and cached in ``exc_text``, which formatters reuse.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_wallet_perps_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg} (a log message whose arguments did not fit it)"
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._wallet_perps_redacted = True
        return True
