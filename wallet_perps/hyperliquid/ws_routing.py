"""Which subscription a WebSocket message belongs to: the venue's routing rules as tables.

Why this is its own module: the venue never says which subscription a push answers. A
message carries only its channel and whatever fields its payload happens to hold, and
the mapping from a subscription to those (``userEvents`` arrives on ``user``, candles
name their coin ``s``, ``activeSpotAssetCtx`` shares ``activeAssetCtx``, addresses come
back lowercase, PROTOCOL §8.2, §13.9) is pure data about the venue. Kept apart from the
connection and the bookkeeping, it can be read and tested as the table it is. Nothing
here does I/O or holds state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "CHANNEL_ALIASES",
    "GENERIC_FIELDS",
    "ROUTE_FIELDS",
    "Route",
    "embedded_json",
    "is_superset",
    "message_value",
    "normalize_subscription",
    "refusal_names",
    "subscription_route",
]

# A subscription's messages arrive on a channel named after its type, except these.
_CHANNEL_OF_TYPE: Final[Mapping[str, str]] = {"userEvents": "user"}
#: Message channels that belong to another subscription channel.
CHANNEL_ALIASES: Final[Mapping[str, str]] = {"activeSpotAssetCtx": "activeAssetCtx"}
#: Fields that tell apart two subscriptions of one channel, as messages carry them.
#: An empty tuple means the messages do not say whose they are (userEvents, orderUpdates):
#: only one such subscription can live on a connection (PROTOCOL §8.2, §13.9).
ROUTE_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "allMids": ("dex",),
    "l2Book": ("coin",),
    "bbo": ("coin",),
    "trades": ("coin",),
    "candle": ("coin", "interval"),
    "activeAssetCtx": ("coin",),
    "activeAssetData": ("user", "coin"),
    "user": (),
    "orderUpdates": (),
    "notification": (),
    "userFills": ("user",),
    "userFundings": ("user",),
    "userNonFundingLedgerUpdates": ("user",),
    "userTwapSliceFills": ("user",),
    "userTwapHistory": ("user",),
    "twapStates": ("user",),
    "webData2": ("user",),
    "webData3": ("user",),
    "clearinghouseState": ("user", "dex"),
    "openOrders": ("user", "dex"),
    "spotState": ("user",),
}
#: For a channel missing from ROUTE_FIELDS: whichever of these a subscription carries.
GENERIC_FIELDS: Final = ("coin", "interval", "user", "dex")

Route = tuple[str, tuple[str, ...]]


def _norm_field(name: str, value: Any) -> str:
    if name == "dex" and value is None:
        return ""
    text = str(value)
    return text.lower() if name == "user" else text


def normalize_subscription(subscription: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``subscription`` as it is sent and keyed: typed, with a lowercase user."""
    sub = dict(subscription)
    if not isinstance(sub.get("type"), str):
        raise ValueError(f"subscription without a type: {subscription!r}")
    if isinstance(sub.get("user"), str):
        # Pushes carry the lowercase address; subscribe with it too (PROTOCOL §8.2).
        sub["user"] = sub["user"].lower()
    return sub


def subscription_route(subscription: Mapping[str, Any]) -> Route:
    """(channel, distinguishing values) under which this subscription's messages arrive."""
    kind = str(subscription["type"])
    channel = _CHANNEL_OF_TYPE.get(kind, kind)
    fields = ROUTE_FIELDS.get(channel)
    if fields is None:
        fields = tuple(f for f in GENERIC_FIELDS if f in subscription)
    return channel, tuple(_norm_field(f, subscription.get(f)) for f in fields)


def message_value(channel: str, name: str, data: Any) -> str | None:
    """The value of a routing field as a message carries it, or None when absent."""
    item = data
    if channel == "trades" and isinstance(data, list):
        item = data[0] if data else None
    if not isinstance(item, dict):
        return None
    if name == "dex":
        return _norm_field("dex", item.get("dex"))
    if channel == "candle":
        name = {"coin": "s", "interval": "i"}.get(name, name)
    value = item.get(name)
    return None if value is None else _norm_field(name, value)


def is_superset(received: Any, sent: Mapping[str, Any]) -> bool:
    """The server may add default fields to an echoed subscription, never drop ours."""
    if not isinstance(received, dict):
        return False
    for key, value in sent.items():
        got = received.get(key)
        if key == "user" and isinstance(got, str) and isinstance(value, str):
            if got.lower() != value.lower():
                return False
        elif got != value:
            return False
    return True


def embedded_json(text: str) -> Any:
    """The JSON object inside an error text (the venue quotes the request it refuses)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return json.loads(text[start : end + 1])
    except ValueError:
        return None


def refusal_names(text: str, embedded: Any, subscription: Mapping[str, Any]) -> bool:
    """Whether an ``error`` message (``text``, its ``embedded`` JSON) is about ``subscription``."""
    if isinstance(embedded, dict):
        inner = embedded.get("subscription", embedded)
        return is_superset(inner, subscription)
    # Not JSON (e.g. a Rust debug print): every value we sent must appear in the text.
    lowered = text.lower()
    return all(str(v).lower() in lowered for v in subscription.values())
