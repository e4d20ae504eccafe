"""How hard a wallet password is to guess, in words a person can act on.

The password is what stands between a copied keyring or key file and the key: an attacker
with the encrypted blob can try guesses offline as fast as scrypt allows. The estimate comes
from ``zxcvbn`` (dictionaries, keyboard patterns, dates, l33t substitutions), not from
character-class rules that push people towards ``Password1!``. The crack time quoted is
zxcvbn's "slow hash, offline" figure, the attack the keystore's scrypt is there to slow down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["MIN_LENGTH", "STRONG_SCORE", "PasswordVerdict", "acceptable", "assess", "summary"]

#: The keystore's own floor (``keystore._check_password``): shorter is refused everywhere.
MIN_LENGTH: Final = 8
#: zxcvbn's "safely unguessable" (score 3, about 1e10 guesses): required with real money.
STRONG_SCORE: Final = 3

# zxcvbn's own limit (it refuses longer input): beyond it the estimate is slow and adds nothing.
_MAX_CHECKED: Final = 72


@dataclass(frozen=True, slots=True)
class PasswordVerdict:
    """zxcvbn's judgement: ``score`` 0 (guessed at once) .. 4 (very hard), its plain-words
    ``warning`` and ``suggestions`` (possibly empty), and ``crack_time`` such as "3 hours"."""

    score: int
    warning: str
    suggestions: tuple[str, ...]
    crack_time: str


def assess(password: str, user_inputs: Sequence[str] = ()) -> PasswordVerdict:
    """Estimate ``password``'s strength; ``user_inputs`` are words an attacker would try
    first (the wallet's name, the app's name)."""
    from zxcvbn import zxcvbn  # imported on first use: its word lists take a moment to load

    if not password:
        return PasswordVerdict(0, "", (), "no time at all")
    inputs = [w for w in ("wallet", "perps", "hyperliquid", *user_inputs) if w]
    result: dict[str, Any] = zxcvbn(password[:_MAX_CHECKED], user_inputs=inputs)
    feedback = result.get("feedback") or {}
    times = result.get("crack_times_display") or {}
    return PasswordVerdict(
        score=int(result["score"]),
        warning=str(feedback.get("warning") or ""),
        suggestions=tuple(str(s) for s in feedback.get("suggestions") or ()),
        crack_time=str(times.get("offline_slow_hashing_1e4_per_second") or ""),
    )


def acceptable(verdict: PasswordVerdict, *, real_money: bool) -> bool:
    """Whether a password with this verdict may protect a wallet.

    With real money (a mainnet wallet) it must score at least :data:`STRONG_SCORE`; on the
    local demo or testnet any password of :data:`MIN_LENGTH`+ characters is allowed (the
    caller checks the length) and a weak one only earns a warning.
    """
    return verdict.score >= STRONG_SCORE or not real_money


def summary(verdict: PasswordVerdict) -> str:
    """One line in plain words: the strength, and what to do about it if it is weak."""
    if verdict.score >= STRONG_SCORE:
        when = verdict.crack_time or "a very long time"
        return f"Strong: would take {when} to guess."
    advice = verdict.warning or (verdict.suggestions[0] if verdict.suggestions else "")
    if not advice:
        advice = "Add another word or two; uncommon words are better."
    when = verdict.crack_time or "no time at all"
    label = "Weak" if verdict.score <= 1 else "Fair"
    return f"{label}: could be guessed in {when}. {advice}"
