"""The reading machinery under every ``parse*`` module: typed accessors that name the field.

Why: every failure reading venue JSON must be a :class:`ParseError` whose message starts with
the JSON path of the offending field (``clearinghouseState.assetPositions[3].position.szi``),
and no KeyError, TypeError or decimal.InvalidOperation may escape. :class:`Obj` carries a
JSON object together with its path, so each accessor can say where it failed.

Number rules (PROTOCOL.md §2.1): decimals arrive as strings over HTTP and as strings *or*
JSON numbers over WS. Both are accepted; a JSON float goes through ``str()`` (its shortest
repr), never float arithmetic. ``"abc"``, ``"NaN"``, ``" 1"`` or a bool are errors. Decimals
keep the digits they were sent with. Ids and ms times are ints: a JSON float is refused (it
may already have lost precision), an all-digit string is accepted.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, Union, get_args, get_origin, get_type_hints

from wallet_perps.core.models import Side

if TYPE_CHECKING:  # the ledger's records load with the first ledger read, not at start
    from wallet_perps.core.ledger import FrozenJson

__all__ = [
    "Obj",
    "ParseError",
    "array_items",
    "freeze",
    "objs",
    "pair",
    "read_record",
    "show",
    "to_bool",
    "to_decimal",
    "to_int",
    "to_list",
    "to_side",
    "to_str",
]

T = TypeVar("T")


class ParseError(ValueError):
    """Wire data that does not match the protocol. ``path`` names the offending field."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, str]]:
        # Rebuild from (path, reason) so the error survives pickling (e.g. across processes).
        return (type(self), (self.path, self.reason))


# ---------------------------------------------------------------------------------------------
# Scalar conversion
# ---------------------------------------------------------------------------------------------

# Plain decimal notation with an optional exponent (str(float) may produce "1e-07"). No
# whitespace, underscores, NaN or Infinity, all of which Decimal() itself would accept.
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INT_RE = re.compile(r"-?\d+")


def show(value: object) -> str:
    """A short description of a bad value for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def to_decimal(value: object, path: str) -> Decimal:
    if isinstance(value, str):
        if _DECIMAL_RE.fullmatch(value):
            try:
                return Decimal(value)
            except InvalidOperation:  # pragma: no cover - the regex admits only valid input
                pass
    elif isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    elif isinstance(value, float) and math.isfinite(value):
        return Decimal(str(value))
    raise ParseError(path, f"expected a decimal string or number, got {show(value)}")


def to_int(value: object, path: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT_RE.fullmatch(value):
        return int(value)
    raise ParseError(path, f"expected an integer, got {show(value)}")


def to_str(value: object, path: str) -> str:
    if isinstance(value, str):
        return value
    raise ParseError(path, f"expected a string, got {show(value)}")


def to_bool(value: object, path: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ParseError(path, f"expected true or false, got {show(value)}")


def to_side(value: object, path: str) -> Side:
    if value == "B":
        return Side.BUY
    if value == "A":
        return Side.SELL
    raise ParseError(path, f'expected side "B" or "A", got {show(value)}')


def to_list(value: object, path: str) -> list[object]:
    if isinstance(value, list):
        return value
    raise ParseError(path, f"expected an array, got {show(value)}")


def array_items(value: object, path: str) -> Iterator[tuple[object, str]]:
    """Each element of a JSON array with its path, e.g. ``fills[3]``."""
    for i, item in enumerate(to_list(value, path)):
        yield item, f"{path}[{i}]"


def freeze(value: object, path: str) -> FrozenJson:
    """Deep-freeze decoded JSON so models that keep raw fields stay immutable."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return tuple(freeze(v, f"{path}[{i}]") for i, v in enumerate(value))
    if isinstance(value, dict):
        return MappingProxyType({str(k): freeze(v, f"{path}.{k}") for k, v in value.items()})
    raise ParseError(path, f"expected JSON data, got {show(value)}")


class Obj:
    """A JSON object plus its path, so that every accessor can name the field it fails on.

    ``x(key)`` requires the key; ``opt_x(key)`` returns None when the key is missing or null.
    Whole records are read with :func:`read_record`; these accessors serve the rest.
    """

    __slots__ = ("path", "raw")

    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, dict):
            raise ParseError(path, f"expected an object, got {show(raw)}")
        self.raw: dict[str, object] = raw
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}"

    def get(self, key: str) -> object:
        if key not in self.raw:
            raise ParseError(self.at(key), "missing")
        return self.raw[key]

    def has(self, key: str) -> bool:
        return self.raw.get(key) is not None

    def _opt(self, key: str, conv: Callable[[object, str], T]) -> T | None:
        value = self.raw.get(key)
        return None if value is None else conv(value, self.at(key))

    def integer(self, key: str) -> int:
        return to_int(self.get(key), self.at(key))

    def opt_integer(self, key: str) -> int | None:
        return self._opt(key, to_int)

    def text(self, key: str) -> str:
        return to_str(self.get(key), self.at(key))

    def opt_text(self, key: str) -> str | None:
        return self._opt(key, to_str)

    def opt_flag(self, key: str) -> bool | None:
        return self._opt(key, to_bool)

    def obj(self, key: str) -> Obj:
        return Obj(self.get(key), self.at(key))

    def opt_obj(self, key: str) -> Obj | None:
        return self._opt(key, Obj)

    def items(self, key: str) -> Iterator[tuple[object, str]]:
        return array_items(self.get(key), self.at(key))

    def objs(self, key: str) -> Iterator[Obj]:
        """The objects of a required array field."""
        return (Obj(item, path) for item, path in self.items(key))

    def decs(self, key: str, length: int | None = None) -> tuple[Decimal, ...]:
        """A required array of decimals, optionally of a fixed length (e.g. (bid, ask))."""
        values = tuple(to_decimal(v, p) for v, p in self.items(key))
        if length is not None and len(values) != length:
            raise ParseError(self.at(key), f"expected {length} numbers, got {len(values)}")
        return values

    def opt_decs(self, key: str, length: int | None = None) -> tuple[Decimal, ...] | None:
        return None if self.raw.get(key) is None else self.decs(key, length)


def objs(value: object, path: str) -> Iterator[Obj]:
    """The objects of a top-level JSON array."""
    return (Obj(item, p) for item, p in array_items(value, path))


def pair(value: object, path: str) -> tuple[object, object]:
    """A two-element JSON array such as ``[id, table]`` or ``[meta, ctxs]``."""
    items = to_list(value, path)
    if len(items) != 2:
        raise ParseError(path, f"expected a 2-element array, got {len(items)} elements")
    return items[0], items[1]


# ---------------------------------------------------------------------------------------------
# Records read from their own field list
# ---------------------------------------------------------------------------------------------

Conv = Callable[[object, str], Any]


#: How one dataclass field is read: its name, its wire key, its converter, and what a missing
#: or null key gives (None when the field is required).
_FieldRead = tuple[str, str, Conv, Callable[[], object] | None]


def _camel(name: str) -> str:
    """``usdc_value`` -> ``usdcValue``: the models' fields are the wire keys in snake_case."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _enum_conv(enum: type[StrEnum]) -> Conv:
    choices = " or ".join(f'"{member.value}"' for member in enum)

    def conv(value: object, path: str) -> StrEnum:
        text = to_str(value, path)
        try:
            return enum(text)
        except ValueError:
            raise ParseError(path, f"expected {choices}, got {text!r}") from None

    return conv


def _conv(tp: Any) -> tuple[Conv, bool]:
    """The converter for an annotation, and whether it admits None."""
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType) and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return _conv(inner)[0], True
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _conv(args[0])[0]
        return lambda v, p: tuple(item(x, xp) for x, xp in array_items(v, p)), False
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        record: type[Any] = tp
        return lambda v, p: read_record(record, Obj(v, p)), False
    scalar: dict[Any, Conv] = {
        Decimal: to_decimal,
        int: to_int,
        str: to_str,
        bool: to_bool,
        Side: to_side,
    }
    if tp in scalar:
        return scalar[tp], False
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return _enum_conv(tp), False

    def unreadable(value: object, path: str) -> Any:
        raise TypeError(f"{path}: no wire reader for {tp!r}; pass this field in ``given``")

    return unreadable, False


_PLANS: dict[type[Any], tuple[_FieldRead, ...]] = {}
_RENAMED_PLANS: dict[tuple[type[Any], tuple[tuple[str, str], ...]], tuple[_FieldRead, ...]] = {}


def _plan(cls: type[Any], wire_keys: Mapping[str, str]) -> tuple[_FieldRead, ...]:
    """How to read ``cls``, worked out from its annotations (the caller keeps it)."""
    hints = get_type_hints(cls)
    reads: list[_FieldRead] = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        conv, nullable = _conv(hints[f.name])
        absent: Callable[[], object] | None = None
        if f.default is not dataclasses.MISSING:
            absent = lambda default=f.default: default  # noqa: E731
        elif f.default_factory is not dataclasses.MISSING:
            absent = f.default_factory
        elif nullable:
            absent = lambda: None  # noqa: E731
        reads.append((f.name, wire_keys.get(f.name, _camel(f.name)), conv, absent))
    return tuple(reads)


def read_record(
    cls: type[T], o: Obj, /, *, wire_keys: Mapping[str, str] | None = None, **given: object
) -> T:
    """The dataclass ``cls`` read from ``o``, one field at a time from its own declaration.

    Why: most venue objects map one-to-one onto a model whose fields are the wire keys in
    snake_case, and writing ``x=o.dec("x")`` for each of them is the same reader N times over.
    Each field's annotation chooses the converter (Decimal, int, str, bool, Side, a StrEnum,
    a nested record, a tuple of those); a field that may be None or has a default is optional
    (missing or null gives None or the default), any other is required. ``wire_keys`` renames
    keys that are not the camelCase of the field; ``given`` supplies fields that are not read
    one-to-one (computed, renamed with a shape change, or from an enclosing object). The plan
    for a class is worked out once; reading an order book level costs about what a
    hand-written reader does.
    """
    if wire_keys is None:
        plan = _PLANS.get(cls)
        if plan is None:
            plan = _PLANS[cls] = _plan(cls, {})
    else:
        renamed = (cls, tuple(sorted(wire_keys.items())))
        plan = _RENAMED_PLANS.get(renamed)
        if plan is None:
            plan = _RENAMED_PLANS[renamed] = _plan(cls, wire_keys)
    raw, path = o.raw, o.path
    for name, key, conv, absent in plan:
        if name in given:
            continue
        value = raw.get(key)
        if value is not None:
            given[name] = conv(value, f"{path}.{key}")
        elif absent is not None:
            given[name] = absent()
        else:  # required: "missing", or the converter's own words for a null
            given[name] = conv(o.get(key), o.at(key))
    return cls(**given)
