"""The base of every object that holds key material: it cannot be pickled or printed in full.

Why one base: a recovery phrase, a derived scrypt key, a revealed backup and an unlocked
wallet each keep secrets in bytearrays they wipe, and each must refuse the two ways a copy
could leave those buffers unnoticed: pickling (which would write the secret to wherever the
pickle goes) and ``str()`` (which must say no more than the redacted ``repr``).
"""

from __future__ import annotations

from typing import NoReturn

__all__ = ["SecretHolder"]


class SecretHolder:
    """Refuses pickling; ``str()`` is the subclass's redacted ``repr``."""

    __slots__ = ()

    def __str__(self) -> str:
        return repr(self)

    def __reduce__(self) -> NoReturn:
        name = type(self).__name__
        article = "an" if name[0] in "AEIOU" else "a"
        raise TypeError(f"{article} {name} cannot be pickled")
