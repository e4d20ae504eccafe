"""Typed errors for everything that can go wrong between us and the venue.

Every failure the HTTP and WebSocket clients see is turned into one of these, so the
layers above can decide what to do by type (show the venue's words, reconcile, back off)
and the UI can show ``str(error)`` to a person without translating transport jargon.

The hierarchy::

    VenueError                     the venue (or the road to it) said no
      RejectedAction               {"status":"err","response":"<text>"}
      RejectedOrder                one {"error":"<text>"} inside data.statuses
      RateLimited                  HTTP 429
      HttpError                    any other non-200 answer
      UnexpectedResponse           a 200 answer we cannot make sense of
      VenueUnavailable             could not talk to the venue (connection, timeout)
        VenueTimeout               no answer within the time limit
          ExchangeTimeout          ... for an action: it may or may not have executed
        Disconnected               the connection dropped under a pending request

``VenueUnavailable.outcome_unknown`` tells a caller of an *action* whether the request
may have reached the venue. When it is true the caller must reconcile (cloid +
orderStatus, or the open-orders/fills streams) and must not blindly resend: a resent
order could fill twice.
"""

from __future__ import annotations

import re

__all__ = [
    "Disconnected",
    "ExchangeTimeout",
    "HttpError",
    "RateLimited",
    "RejectedAction",
    "RejectedOrder",
    "UnexpectedResponse",
    "VenueError",
    "VenueTimeout",
    "VenueUnavailable",
    "readable",
]

# Live per-order errors end in " asset=<n>" (PROTOCOL §6.1); useful in logs, noise to a user.
_ASSET_SUFFIX = re.compile(r"\s*asset=\d+\s*$")


def readable(venue_text: str) -> str:
    """The venue's words as a person should read them: without the trailing ``asset=N`` tag
    it adds to order errors (the one place this is done, for every message the app shows)."""
    return _ASSET_SUFFIX.sub("", venue_text).strip() or venue_text


class VenueError(Exception):
    """Base of every venue-related failure.

    ``str(err)`` is a sentence a user can read; ``venue_text`` is the venue's own words,
    verbatim, when the venue said something (kept for logs, support and matching).
    """

    def __init__(self, message: str, *, venue_text: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.venue_text = venue_text

    def __str__(self) -> str:
        return self.message


class RejectedAction(VenueError):
    """The whole action was refused: ``{"status": "err", "response": "<text>"}``.

    Examples: bad signature ("User or API Wallet 0x… does not exist."), nonce problems,
    rate limits per address, or a batch rejected by pre-validation.
    """

    def __init__(self, venue_text: str) -> None:
        super().__init__(f"The exchange rejected the request: {venue_text}", venue_text=venue_text)


class RejectedOrder(VenueError):
    """One order (or cancel) inside an accepted batch was refused.

    ``status: ok`` is not success (PROTOCOL §13.8): per-order failures hide in
    ``data.statuses`` as ``{"error": "<text>"}``. ``index`` is the position in the batch.
    """

    def __init__(self, index: int, venue_text: str) -> None:
        super().__init__(f"Order rejected: {readable(venue_text)}", venue_text=venue_text)
        self.index = index


class RateLimited(VenueError):
    """HTTP 429: too many requests from this IP (or a per-address limit on the WS)."""

    def __init__(self, body: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(
            "The venue is rate-limiting this connection; slow down and try again shortly.",
            venue_text=body or None,
        )
        self.retry_after = retry_after


class HttpError(VenueError):
    """Any other non-200 HTTP answer; ``status`` and the body text as served.

    ``outcome_unknown`` is true for a 5xx answer to an action: a gateway error (502,
    504) can come back after the venue accepted the request, so reconcile first.
    """

    def __init__(self, status: int, body: str, *, outcome_unknown: bool = False) -> None:
        short = body.strip()
        if len(short) > 300:
            short = short[:300] + "…"
        detail = f": {short}" if short else ""
        super().__init__(f"The venue answered HTTP {status}{detail}", venue_text=body or None)
        self.status = status
        self.body = body
        self.outcome_unknown = outcome_unknown


class UnexpectedResponse(VenueError):
    """A 200 answer whose shape is not what the protocol promises (not JSON, wrong type)."""

    def __init__(self, what: str, *, venue_text: str | None = None) -> None:
        super().__init__(f"Unexpected answer from the venue: {what}", venue_text=venue_text)


class VenueUnavailable(VenueError):
    """The venue could not be reached, or stopped answering.

    ``outcome_unknown`` is only meaningful for actions: true when the request may have
    been delivered (so the caller must reconcile instead of resending), false when it is
    certain nothing was sent (connection refused, connect timeout, not connected).
    """

    def __init__(self, message: str, *, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.outcome_unknown = outcome_unknown


class VenueTimeout(VenueUnavailable):
    """No answer within the configured time limit."""


class ExchangeTimeout(VenueTimeout):
    """An action was sent but no answer came in time: it may or may not have executed.

    Reconcile through the cloid (orderStatus) or the order/fill streams; do not resend.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The exchange did not answer within {seconds:g} s. The request may or may not "
            "have been executed; checking the order status before trying again.",
            outcome_unknown=True,
        )
        self.seconds = seconds


class Disconnected(VenueUnavailable):
    """The connection dropped while a request was pending (or before it could be sent)."""
