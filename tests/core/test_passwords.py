"""The password verdict: zxcvbn's score and words, and the real-money rule."""

from __future__ import annotations

import pytest

from wallet_perps.core.passwords import (
    STRONG_SCORE,
    PasswordVerdict,
    acceptable,
    assess,
    summary,
)

WEAK = ["password1", "12345678", "qwertyuiop", "aaaaaaaa", "abcdefgh1", "iloveyou2"]
STRONG = ["correct horse battery staple", "tangerine-vortex-oboe-31", "xK9#mQ2vL!pZ7wR"]


@pytest.mark.parametrize("password", WEAK)
def test_common_and_patterned_passwords_are_weak_with_a_reason(password: str) -> None:
    verdict = assess(password)
    assert verdict.score < STRONG_SCORE
    assert verdict.warning or verdict.suggestions  # zxcvbn says why or what would help
    assert verdict.crack_time  # "less than a second", "3 hours", ...
    line = summary(verdict)
    assert line.startswith(("Weak:", "Fair:")) and "could be guessed in" in line
    assert not acceptable(verdict, real_money=True)
    assert acceptable(verdict, real_money=False)  # the demo only warns


@pytest.mark.parametrize("password", STRONG)
def test_long_unusual_passwords_are_strong(password: str) -> None:
    verdict = assess(password)
    assert verdict.score >= STRONG_SCORE
    assert acceptable(verdict, real_money=True) and acceptable(verdict, real_money=False)
    assert summary(verdict).startswith("Strong: would take ")


def test_very_strong_password_reads_centuries() -> None:
    assert summary(assess("correct horse battery staple")) == (
        "Strong: would take centuries to guess."
    )


def test_user_inputs_count_against_the_password() -> None:
    plain = assess("Quokkaville2031")
    named = assess("Quokkaville2031", user_inputs=["Quokkaville2031"])
    assert named.score < plain.score


def test_empty_and_overlong_passwords_do_not_break_the_estimate() -> None:
    assert assess("").score == 0
    verdict = assess("x7#Lq" * 60)  # past zxcvbn's 72-character limit
    assert 0 <= verdict.score <= 4


def test_verdict_is_frozen() -> None:
    verdict = assess("password1")
    assert isinstance(verdict, PasswordVerdict)
    with pytest.raises(AttributeError):
        verdict.score = 4  # type: ignore[misc]
