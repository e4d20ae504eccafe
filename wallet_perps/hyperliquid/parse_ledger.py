"""Wire JSON -> ledger entries: each ``userNonFundingLedgerUpdates`` delta as its typed record.

One of the ``parse*`` modules that own every read of venue JSON; see
:mod:`wallet_perps.hyperliquid.parse` for the public entry points. Each modelled delta type is
read from its own declaration in :mod:`wallet_perps.core.ledger` (shapes per PROTOCOL.md §7 and
§11.8 and the recorded fixtures; field names are the wire keys in snake_case), so adding a type
there is all it takes to read it. The fields that decide a row's sign (``usdc``, ``user``,
``destination``, ``toPerp``...) are required, so a malformed row is a :class:`ParseError` naming
the field instead of a row shown with the wrong sign. Fields the venue added over time
(``nativeTokenFee``, ``feeToken``, ``netWithdrawnUsd``...) are optional. A delta type not modelled
there is kept verbatim as an :class:`~wallet_perps.core.ledger.UnknownDelta`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, get_args

from wallet_perps.core.ledger import FrozenJson, LedgerDelta, LedgerUpdate, UnknownDelta
from wallet_perps.hyperliquid.parse_base import Obj, freeze, read_record

__all__ = ["read_ledger_update"]

#: Wire delta type -> its record. Anything else becomes an UnknownDelta.
_DELTAS: Final[Mapping[str, type[Any]]] = MappingProxyType(
    {cls.type: cls for cls in get_args(LedgerDelta) if cls is not UnknownDelta}
)


def _unknown(d: Obj, kind: str) -> UnknownDelta:
    raw: dict[str, FrozenJson] = {k: freeze(v, d.at(k)) for k, v in d.raw.items()}
    return UnknownDelta(type=kind, raw=MappingProxyType(raw))


def read_ledger_update(o: Obj) -> LedgerUpdate:
    """One ledger row ``{time, hash, delta: {type, ...}}``."""
    delta = o.obj("delta")
    kind = delta.text("type")
    record = _DELTAS.get(kind)
    read = _unknown(delta, kind) if record is None else read_record(record, delta)
    return read_record(LedgerUpdate, o, delta=read)
