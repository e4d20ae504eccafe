"""BIP39 recovery phrases: generate, validate with precise messages, derive as MetaMask does.

eth-account ships the BIP39 word lists, the seed function and BIP32 derivation
(``eth_account.hdaccount``), and those are used here. Its own validation only answers
"valid or not" and its error text quotes the phrase, so parsing is done here instead: one
clear, secret-free message per kind of mistake ("word 7 is not in the BIP39 list", "the
checksum does not match", "a phrase has 12, 15, 18, 21 or 24 words").

Only the English list is accepted: it is what MetaMask and hardware wallets show, and a
phrase that happens to be valid in two languages would otherwise be ambiguous.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Final

from wallet_perps.crypto.errors import SignatureError
from wallet_perps.crypto.secp256k1 import add_tweak_in_place, compressed_public_key
from wallet_perps.wallet.errors import BackupMismatch, InvalidPhrase
from wallet_perps.wallet.secret_holder import SecretHolder

__all__ = ["RecoveryPhrase", "derivation_path"]

_WORD_COUNTS: Final = (12, 15, 18, 21, 24)
#: BIP32 non-hardened indices stop at 2**31 - 1.
_MAX_ACCOUNT_INDEX: Final = 2**31 - 1


# eth_account is imported on first use, not with this module: importing it costs about 0.4 s
# (it pulls in py_ecc), which would delay the app's first painted price for a word list.
@cache
def _wordlist() -> list[str]:
    from eth_account.hdaccount.mnemonic import get_wordlist

    words: list[str] = get_wordlist("english")
    return words


@cache
def _word_index() -> dict[str, int]:
    return {word: i for i, word in enumerate(_wordlist())}


def derivation_path(account_index: int = 0) -> str:
    """``m/44'/60'/0'/0/<index>``: MetaMask's path; its "Account 2" is index 1, and so on."""
    if isinstance(account_index, bool) or not isinstance(account_index, int):
        raise InvalidPhrase("The account index must be a whole number.")
    if not 0 <= account_index <= _MAX_ACCOUNT_INDEX:
        raise InvalidPhrase(f"The account index must be between 0 and {_MAX_ACCOUNT_INDEX}.")
    return f"m/44'/60'/0'/0/{account_index}"


def _plural(positions: Sequence[int]) -> str:
    numbers = [str(p) for p in positions]
    if len(numbers) == 1:
        return f"Word {numbers[0]} is"
    return f"Words {', '.join(numbers[:-1])} and {numbers[-1]} are"


class RecoveryPhrase(SecretHolder):
    """A validated BIP39 English phrase, held as a bytearray so it can be wiped.

    ``repr`` and ``str`` only say how many words there are. The words come out through
    :meth:`words` (to show once for backup, or when the user re-enters the password to reveal
    them) and :meth:`derive_private_key`.
    """

    __slots__ = ("_data", "_word_count", "backup_confirmed")

    def __init__(self, words: Sequence[str]) -> None:
        """Use :meth:`generate` or :meth:`parse`; this takes already-validated words."""
        self._data = bytearray(" ".join(words).encode("utf-8"))
        self._word_count = len(words)
        self.backup_confirmed = False

    # --------------------------------------------------------------------- construction

    @classmethod
    def generate(cls, word_count: int = 12) -> RecoveryPhrase:
        """A fresh phrase from the OS CSPRNG: 12 words (128 bits) by default, 24 on request."""
        if word_count not in _WORD_COUNTS:
            raise InvalidPhrase("A new recovery phrase has 12, 15, 18, 21 or 24 words.")
        entropy = secrets.token_bytes(word_count * 4 // 3)
        checksum_bits = word_count // 3
        value = int.from_bytes(entropy, "big") << checksum_bits
        value |= hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
        indices = [(value >> (11 * (word_count - 1 - i))) & 0x7FF for i in range(word_count)]
        return cls([_wordlist()[i] for i in indices])

    @classmethod
    def parse(cls, text: str) -> RecoveryPhrase:
        """Validate what the user typed or pasted; raise :class:`InvalidPhrase` with the reason.

        Case, surrounding spaces, line breaks and repeated spaces are forgiven (people paste
        phrases from notes); anything else that is wrong is reported by word position.
        """
        if not isinstance(text, str):
            raise InvalidPhrase("The recovery phrase must be text.")
        words = unicodedata.normalize("NFKD", text).lower().split()
        if not words:
            raise InvalidPhrase("Enter your recovery phrase (12 or 24 words).")
        if len(words) not in _WORD_COUNTS:
            raise InvalidPhrase(
                f"A recovery phrase has 12, 15, 18, 21 or 24 words; this one has {len(words)}."
            )
        unknown = [i + 1 for i, word in enumerate(words) if word not in _word_index()]
        if unknown:
            raise InvalidPhrase(f"{_plural(unknown)} not in the BIP39 English word list.")
        value = 0
        for word in words:
            value = (value << 11) | _word_index()[word]
        checksum_bits = len(words) // 3
        entropy = (value >> checksum_bits).to_bytes(len(words) * 4 // 3, "big")
        expected = hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
        if not secrets.compare_digest(
            bytes([value & ((1 << checksum_bits) - 1)]), bytes([expected])
        ):
            raise InvalidPhrase(
                "The recovery phrase's checksum does not match: a word is wrong or two words "
                "are swapped. Check each word against your backup."
            )
        return cls(words)

    # --------------------------------------------------------------------- use

    @property
    def word_count(self) -> int:
        return self._word_count

    def words(self) -> list[str]:
        """The words, in order. For display only; never log them."""
        if not self._data:
            raise InvalidPhrase("This recovery phrase was wiped from memory.")
        return self._data.decode("utf-8").split(" ")

    def as_bytes(self) -> bytearray:
        """UTF-8 of the space-joined words (what is encrypted at rest): a copy the caller
        zeroes when done."""
        return bytearray(self._data)

    def derive_private_key(self, account_index: int = 0) -> bytearray:
        """The 32-byte key at ``m/44'/60'/0'/0/<index>``, the address MetaMask shows.

        BIP32 as eth-account does it (its ``derive_child_key`` for every level but the last),
        except that the last step adds the tweak inside a bytearray: the wallet's key itself
        never exists as an immutable ``bytes``, which could not be zeroed on lock.
        """
        path = derivation_path(account_index)
        if not self._data:
            raise InvalidPhrase("This recovery phrase was wiped from memory.")
        from eth_account.hdaccount.deterministic import HardNode, Node, derive_child_key
        from eth_account.hdaccount.mnemonic import Mnemonic

        seed = Mnemonic.to_seed(self._data.decode("utf-8"))
        master = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
        key, chain = master[:32], master[32:]
        *parents, last = (Node.decode(part) for part in path.split("/")[1:])
        for node in parents:
            key, chain = derive_child_key(key, chain, node)
        head = b"\x00" + key if isinstance(last, HardNode) else compressed_public_key(key)
        tweak = hmac.new(chain, head + last.serialize(), hashlib.sha512).digest()[:32]
        child = bytearray(key)
        try:
            add_tweak_in_place(child, tweak)
        except SignatureError:  # probability below 2**-127; BIP32 would skip the index
            raise InvalidPhrase(
                "This account index gives no valid key; choose the next one."
            ) from None
        return child

    def backup_positions(self, count: int = 3) -> list[int]:
        """Random distinct 1-based word positions the UI asks the user to type back."""
        count = max(1, min(count, self._word_count))
        rng = secrets.SystemRandom()
        return sorted(rng.sample(range(1, self._word_count + 1), count))

    def check_backup(self, answers: Mapping[int, str]) -> None:
        """Confirm the user wrote the phrase down: ``{position: word}`` must all match.

        Sets :attr:`backup_confirmed` on success; raises :class:`BackupMismatch` naming the
        wrong positions (not the words) otherwise.
        """
        if not answers:
            raise BackupMismatch("Type the requested words from your recovery phrase.")
        words = self.words()
        wrong = []
        for position, answer in sorted(answers.items()):
            if not 1 <= position <= len(words):
                raise BackupMismatch(f"There is no word {position} in this phrase.")
            typed = unicodedata.normalize("NFKD", str(answer)).strip().lower()
            if not secrets.compare_digest(typed.encode(), words[position - 1].encode()):
                wrong.append(position)
        if wrong:
            raise BackupMismatch(
                f"{_plural(wrong)} not what your recovery phrase says. Check your backup."
            )
        self.backup_confirmed = True

    def wipe(self) -> None:
        """Overwrite the held phrase; Python copies elsewhere cannot be reached, so also drop
        every reference to this object."""
        for i in range(len(self._data)):
            self._data[i] = 0
        self._data = bytearray()

    def __repr__(self) -> str:
        return f"RecoveryPhrase({self._word_count} words)"
