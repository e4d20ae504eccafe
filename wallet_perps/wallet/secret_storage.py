"""Web3 Secret Storage (keystore v3) encryption with scrypt, as eth-account writes it.

Why our own writer rather than ``Account.encrypt``: a wallet made from a recovery phrase must
also keep the phrase (so the user can reveal it later), and agent keys are encrypted under
the same password long after unlock, when the password is no longer in memory. Both need the
scrypt-derived key, which ``Account.encrypt`` does not expose. So the derivation runs once per
unlock, here, and every blob is still a standard v3 keystore: ``Account.decrypt(blob,
password)`` (and geth, MetaMask's JSON import...) returns the key. The tests check exactly
that.

Layout of one blob (a JSON object)::

    {"address", "crypto": {cipher aes-128-ctr, cipherparams.iv, ciphertext, kdf "scrypt",
     kdfparams {dklen, n, r, p, salt}, mac}, "id", "version": 3,
     "x-wallet-perps": {"format": 1, "kind": "wallet"|"agent", "owner", "account_index",
                         "phrase": {iv, ciphertext, mac} | null}}

The phrase (if any) is encrypted with AES-128-CTR under a key derived from the scrypt output
by Keccak with a domain tag, and authenticated like the key (Keccak MAC), so one scrypt run
unlocks both and the two never share a keystream.

scrypt parameters: eth-account's default and geth's "standard" setting, N=2**18, r=8, p=1
(about 0.5 s and 256 MiB per derivation). Reading accepts only sane bounds so a hostile or
damaged entry cannot make the app hash for minutes or allocate gigabytes.
"""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Final

from wallet_perps.crypto.addresses import to_checksum_address
from wallet_perps.crypto.errors import SignatureError
from wallet_perps.crypto.keccak import keccak256
from wallet_perps.crypto.secp256k1 import SECP256K1_N, address_from_secret_buffer
from wallet_perps.wallet.errors import CorruptEntry, WrongPassword
from wallet_perps.wallet.secret_holder import SecretHolder

__all__ = [
    "STRONG_SCRYPT",
    "TEST_ONLY_FAST_SCRYPT",
    "DerivedKey",
    "ScryptParams",
    "SealedBlob",
    "key_address",
    "open_blob",
    "parse_blob",
    "seal",
]

FORMAT_TAG: Final = "x-wallet-perps"
_PHRASE_TAG: Final = b"wallet-perps/recovery-phrase/v1"
_MAX_N: Final = 2**20
_MAX_R: Final = 16
_MAX_P: Final = 4


@dataclass(frozen=True, slots=True)
class ScryptParams:
    """scrypt cost: N (CPU/memory, a power of two), r (block size), p (parallelism)."""

    n: int
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1) or self.n > _MAX_N:
            raise ValueError(f"scrypt N must be a power of two up to {_MAX_N}")
        if not 1 <= self.r <= _MAX_R or not 1 <= self.p <= _MAX_P:
            raise ValueError("scrypt r or p is out of range")


#: The default for every real wallet: eth-account's and geth's standard (N=2**18, r=8, p=1).
STRONG_SCRYPT: Final = ScryptParams(2**18, 8, 1)
#: TEST ONLY. Cheap enough for a test suite that creates dozens of wallets; far too weak to
#: protect a real key. ``Keystore`` only uses it when a test passes it explicitly.
TEST_ONLY_FAST_SCRYPT: Final = ScryptParams(2**10, 8, 1)


class DerivedKey(SecretHolder):
    """The 32-byte scrypt output for one (password, salt, params), held so the session can
    encrypt new agent keys without keeping the password. Wiped on lock."""

    __slots__ = ("_key", "params", "salt")

    def __init__(self, key: bytes, salt: bytes, params: ScryptParams) -> None:
        self._key = bytearray(key)
        self.salt = salt
        self.params = params

    @classmethod
    def derive(cls, password: str, params: ScryptParams, salt: bytes | None = None) -> DerivedKey:
        """Run scrypt over the UTF-8 password, exactly as eth-keyfile does."""
        from Crypto.Protocol.KDF import scrypt as _scrypt  # see _cipher on why here

        salt = secrets.token_bytes(16) if salt is None else salt
        # pycryptodome's scrypt takes str and encodes it as latin-1, so latin-1 round-trips
        # the UTF-8 bytes unchanged (eth-keyfile does the same).
        key = _scrypt(
            password.encode("utf-8").decode("latin-1"),
            salt.decode("latin-1"),
            32,
            N=params.n,
            r=params.r,
            p=params.p,
        )
        assert isinstance(key, bytes)
        return cls(key, salt, params)

    def matches(self, salt: bytes, params: ScryptParams) -> bool:
        return bool(self._key) and salt == self.salt and params == self.params

    @property
    def _bytes(self) -> bytes:
        if not self._key:
            raise WrongPassword("The derived key was wiped; unlock again.")
        return bytes(self._key)

    def wipe(self) -> None:
        for i in range(len(self._key)):
            self._key[i] = 0
        self._key = bytearray()

    def __repr__(self) -> str:
        return f"DerivedKey(scrypt n={self.params.n}, wiped={not self._key})"


def key_address(private_key: bytes | bytearray) -> str:
    """Checksummed address of a raw key, computed without touching signing's key cache.

    ``secp256k1.address_from_private_key`` caches the parsed key for fast signing; a key that
    is only being checked (wrong-password paths, reveal) must not linger there. A key in a
    ``bytearray`` is read in place (no immutable copy, no parsed-key object).
    """
    if len(private_key) != 32:
        raise ValueError("not a secp256k1 private key")
    if isinstance(private_key, bytearray):
        try:
            return address_from_secret_buffer(private_key)
        except SignatureError:
            raise ValueError("not a secp256k1 private key") from None
    if not 0 < int.from_bytes(private_key, "big") < SECP256K1_N:
        raise ValueError("not a secp256k1 private key")
    from coincurve import PrivateKey  # see _cipher on why here

    public = PrivateKey(private_key).public_key.format(compressed=False)[1:]
    return to_checksum_address(keccak256(public)[-20:])


def _cipher(key: bytes, iv: bytes) -> Any:
    # pycryptodome (with cffi and its C parser, about 25 ms) is imported on first use, not
    # with this module: the app's first screen decrypts nothing until a wallet is unlocked.
    from Crypto.Cipher import AES
    from Crypto.Util import Counter

    counter = Counter.new(128, initial_value=int.from_bytes(iv, "big"), allow_wraparound=True)
    return AES.new(key, AES.MODE_CTR, counter=counter)


def _ctr(key: bytes, iv: bytes, data: bytes | bytearray) -> bytes:
    """Encrypt (a ciphertext may be immutable: it is public)."""
    return bytes(_cipher(key, iv).encrypt(data))


def _ctr_plain(key: bytes, iv: bytes, data: bytes) -> bytearray:
    """Decrypt straight into a new bytearray, so the plaintext never sits in a ``bytes``."""
    out = bytearray(len(data))
    _cipher(key, iv).decrypt(data, output=out)
    return out


def _phrase_keys(derived: bytes) -> tuple[bytes, bytes]:
    material = keccak256(_PHRASE_TAG + derived)
    return material[:16], material[16:]


@dataclass(frozen=True, slots=True)
class SealedBlob:
    """A parsed, shape-checked blob (still encrypted). Holds nothing secret."""

    address: str  # lowercase 0x address the v3 header names
    kind: str
    owner: str | None
    account_index: int | None
    has_phrase: bool
    salt: bytes
    params: ScryptParams
    raw: dict[str, Any]


def seal(
    private_key: bytes | bytearray,
    derived: DerivedKey,
    *,
    kind: str,
    owner: str | None = None,
    phrase: bytes | bytearray | None = None,
    account_index: int | None = None,
) -> str:
    """Encrypt ``private_key`` (and optionally a recovery phrase) into a v3 keystore JSON."""
    dk = derived._bytes
    iv = secrets.token_bytes(16)
    ciphertext = _ctr(dk[:16], iv, private_key)
    address = key_address(private_key)
    extra: dict[str, Any] = {
        "format": 1,
        "kind": kind,
        "owner": owner.lower() if owner else None,
        "account_index": account_index,
        "phrase": None,
    }
    if phrase is not None:
        enc_key, mac_key = _phrase_keys(dk)
        phrase_iv = secrets.token_bytes(16)
        phrase_ct = _ctr(enc_key, phrase_iv, phrase)
        extra["phrase"] = {
            "iv": phrase_iv.hex(),
            "ciphertext": phrase_ct.hex(),
            "mac": keccak256(mac_key + phrase_ct).hex(),
        }
    blob = {
        "address": address[2:].lower(),
        "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": {"iv": iv.hex()},
            "ciphertext": ciphertext.hex(),
            "kdf": "scrypt",
            "kdfparams": {
                "dklen": 32,
                "n": derived.params.n,
                "r": derived.params.r,
                "p": derived.params.p,
                "salt": derived.salt.hex(),
            },
            "mac": keccak256(dk[16:32] + ciphertext).hex(),
        },
        "id": str(uuid.uuid4()),
        "version": 3,
        FORMAT_TAG: extra,
    }
    return json.dumps(blob, separators=(",", ":"))


def _hex(value: object, length: int | None, what: str) -> bytes:
    if not isinstance(value, str):
        raise CorruptEntry(f"{what} is missing")
    text = value[2:] if value.startswith("0x") else value
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise CorruptEntry(f"{what} is not hex") from None
    if length is not None and len(data) != length:
        raise CorruptEntry(f"{what} has the wrong length")
    return data


def parse_blob(text: str | None) -> SealedBlob:
    """Check a stored entry's shape without decrypting; :class:`CorruptEntry` on any problem.

    The messages name the problem only; the caller adds which wallet it was.
    """
    if text is None:
        raise CorruptEntry("the entry is missing")
    try:
        raw = json.loads(text)
    except ValueError:
        raise CorruptEntry("the entry is not JSON") from None
    if not isinstance(raw, dict) or raw.get("version") != 3:
        raise CorruptEntry("the entry is not a version 3 keystore")
    crypto = raw.get("crypto")
    extra = raw.get(FORMAT_TAG)
    if not isinstance(crypto, dict) or not isinstance(extra, dict) or extra.get("format") != 1:
        raise CorruptEntry("the entry was not written by Wallet Perps")
    if crypto.get("kdf") != "scrypt" or crypto.get("cipher") != "aes-128-ctr":
        raise CorruptEntry("the entry uses an unsupported cipher or key derivation")
    params = crypto.get("kdfparams")
    cipherparams = crypto.get("cipherparams")
    if not isinstance(params, dict) or not isinstance(cipherparams, dict):
        raise CorruptEntry("the entry lacks its encryption parameters")
    n, r, p = params.get("n"), params.get("r"), params.get("p")
    if params.get("dklen") != 32 or not all(
        isinstance(x, int) and not isinstance(x, bool) for x in (n, r, p)
    ):
        raise CorruptEntry("the entry's scrypt parameters are invalid")
    try:
        scrypt_params = ScryptParams(int(str(n)), int(str(r)), int(str(p)))
    except ValueError:
        raise CorruptEntry("the entry's scrypt parameters are out of range") from None
    _hex(cipherparams.get("iv"), 16, "the entry's IV")
    _hex(crypto.get("ciphertext"), 32, "the entry's ciphertext")
    _hex(crypto.get("mac"), 32, "the entry's MAC")
    address = _hex(raw.get("address"), 20, "the entry's address")
    phrase = extra.get("phrase")
    if phrase is not None:
        if not isinstance(phrase, dict):
            raise CorruptEntry("the entry's recovery phrase field is damaged")
        _hex(phrase.get("iv"), 16, "the phrase IV")
        _hex(phrase.get("ciphertext"), None, "the phrase ciphertext")
        _hex(phrase.get("mac"), 32, "the phrase MAC")
    kind = extra.get("kind")
    owner = extra.get("owner")
    index = extra.get("account_index")
    if kind not in ("wallet", "agent") or not (owner is None or isinstance(owner, str)):
        raise CorruptEntry("the entry's kind is unknown")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        raise CorruptEntry("the entry's account index is damaged")
    return SealedBlob(
        address="0x" + address.hex(),
        kind=str(kind),
        owner=owner,
        account_index=index,
        has_phrase=phrase is not None,
        salt=_hex(params.get("salt"), None, "the entry's salt"),
        params=scrypt_params,
        raw=raw,
    )


def open_blob(blob: SealedBlob, derived: DerivedKey) -> tuple[bytearray, bytearray | None]:
    """Decrypt (private key, phrase or None). Wrong password -> :class:`WrongPassword`.

    Both come back as bytearrays decrypted in place: the caller owns them and zeroes them
    when done (the keystore does), and no immutable copy was ever made.

    The MAC is checked (constant time) before anything is decrypted, as v3 prescribes; a MAC
    mismatch cannot tell a wrong password from a damaged ciphertext, and the first is far
    likelier.
    """
    dk = derived._bytes
    crypto = blob.raw["crypto"]
    ciphertext = _hex(crypto["ciphertext"], 32, "ciphertext")
    if not hmac.compare_digest(keccak256(dk[16:32] + ciphertext), _hex(crypto["mac"], 32, "mac")):
        raise WrongPassword()
    key = _ctr_plain(dk[:16], _hex(crypto["cipherparams"]["iv"], 16, "iv"), ciphertext)
    try:
        address = key_address(key)
    except ValueError:
        _zero(key)
        raise CorruptEntry("the entry decrypts to an invalid key") from None
    if address.lower() != blob.address:
        _zero(key)
        raise CorruptEntry("the entry decrypts to a key for a different address")
    phrase: bytearray | None = None
    extra = blob.raw[FORMAT_TAG]
    if extra.get("phrase") is not None:
        enc_key, mac_key = _phrase_keys(dk)
        sealed = extra["phrase"]
        phrase_ct = _hex(sealed["ciphertext"], None, "phrase")
        if not hmac.compare_digest(
            keccak256(mac_key + phrase_ct), _hex(sealed["mac"], 32, "phrase mac")
        ):
            _zero(key)
            raise CorruptEntry("the entry's recovery phrase is damaged")
        phrase = _ctr_plain(enc_key, _hex(sealed["iv"], 16, "phrase iv"), phrase_ct)
    return key, phrase


def _zero(buffer: bytearray) -> None:
    buffer[:] = bytes(len(buffer))
