"""BIP39: known answers, MetaMask's derivation path, and one clear message per mistake."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.hdaccount import Mnemonic

from wallet_perps.wallet.errors import BackupMismatch, InvalidPhrase
from wallet_perps.wallet.mnemonic import RecoveryPhrase, derivation_path
from wallet_perps.wallet.secret_storage import key_address

ABANDON_12 = "abandon " * 11 + "about"
ABANDON_24 = "abandon " * 23 + "art"

Account.enable_unaudited_hdwallet_features()


def test_known_answer_abandon_about() -> None:
    phrase = RecoveryPhrase.parse(ABANDON_12)
    assert key_address(phrase.derive_private_key()) == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    # MetaMask's "Account 2" is the next index on the same path.
    assert key_address(phrase.derive_private_key(1)) == "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0"
    assert derivation_path(0) == "m/44'/60'/0'/0/0"


def test_known_answer_24_words() -> None:
    phrase = RecoveryPhrase.parse(ABANDON_24)
    assert key_address(phrase.derive_private_key()) == "0xF278cF59F82eDcf871d630F28EcC8056f25C1cdb"


@pytest.mark.parametrize("count", [12, 24])
def test_generated_phrases_are_valid_and_derive_like_eth_account(count: int) -> None:
    phrase = RecoveryPhrase.generate(count)
    words = phrase.words()
    assert len(words) == count and phrase.word_count == count
    assert Mnemonic().is_mnemonic_valid(" ".join(words))
    for index in (0, 3):
        ours = key_address(phrase.derive_private_key(index))
        theirs = Account.from_mnemonic(" ".join(words), account_path=derivation_path(index))
        assert ours == theirs.address
    assert RecoveryPhrase.parse(" ".join(words)).words() == words
    assert RecoveryPhrase.generate(count).words() != words


def test_parse_forgives_case_and_spacing() -> None:
    messy = "  ABANDON\tabandon  abandon\nabandon abandon abandon abandon abandon abandon abandon "
    phrase = RecoveryPhrase.parse(messy + "abandon About ")
    assert phrase.words() == ABANDON_12.split()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter your recovery phrase"),
        ("abandon " * 10 + "about", "has 12, 15, 18, 21 or 24 words; this one has 11"),
        (
            " ".join(["abandon"] * 6 + ["abandn"] + ["abandon"] * 4 + ["about"]),
            "Word 7 is not in the BIP39 English word list",
        ),
        (
            " ".join(["zzz"] + ["abandon"] * 5 + ["qqq"] + ["abandon"] * 4 + ["about"]),
            "Words 1 and 7 are not in the BIP39 English word list",
        ),
        ("abandon " * 12, "checksum does not match"),
        ("about " + "abandon " * 11, "checksum does not match"),
    ],
)
def test_each_bad_phrase_has_its_own_message(text: str, message: str) -> None:
    with pytest.raises(InvalidPhrase) as caught:
        RecoveryPhrase.parse(text)
    assert message in str(caught.value)
    for word in ("abandn", "zzz", "qqq"):
        assert word not in str(caught.value) and word not in repr(caught.value)


def test_account_index_is_checked() -> None:
    phrase = RecoveryPhrase.parse(ABANDON_12)
    with pytest.raises(InvalidPhrase, match="account index"):
        phrase.derive_private_key(-1)
    with pytest.raises(InvalidPhrase, match="account index"):
        phrase.derive_private_key(2**31)


def test_backup_check() -> None:
    phrase = RecoveryPhrase.generate(12)
    words = phrase.words()
    positions = phrase.backup_positions(3)
    assert len(set(positions)) == 3 and all(1 <= p <= 12 for p in positions)
    wrong = {p: "zoo" if words[p - 1] != "zoo" else "zero" for p in positions}
    wrong[positions[0]] = words[positions[0] - 1]
    with pytest.raises(BackupMismatch) as caught:
        phrase.check_backup(wrong)
    assert f"{positions[1]} and {positions[2]} are not" in str(caught.value)
    assert not phrase.backup_confirmed
    phrase.check_backup({p: f" {words[p - 1].upper()} " for p in positions})
    assert phrase.backup_confirmed
    with pytest.raises(BackupMismatch):
        phrase.check_backup({13: "zoo"})


def test_repr_and_wipe_hide_the_words() -> None:
    phrase = RecoveryPhrase.parse(ABANDON_12)
    assert "abandon" not in repr(phrase) and "abandon" not in str(phrase)
    assert repr(phrase) == "RecoveryPhrase(12 words)"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(phrase)
    phrase.wipe()
    with pytest.raises(InvalidPhrase, match="wiped"):
        phrase.words()
