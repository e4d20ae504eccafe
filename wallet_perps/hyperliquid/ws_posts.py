"""Posts over the WebSocket (PROTOCOL §8.3): requests waiting for their answer, by id.

Why this is its own module: info requests and signed actions share the socket with the
subscription pushes, and answers come back in any order. Each post gets its own id and
is settled only by the answer (or the error) that names that id. The one rule that
matters for money lives here too: a post that cannot be answered any more (the
connection dropped, the client closed) fails, and it is never resent, because a resent
action could execute twice. The client does the sending; this book does the waiting.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wallet_perps.hyperliquid.errors import RateLimited, UnexpectedResponse, VenueError

__all__ = ["PendingPost", "PostBook", "post_error"]

# One client, one logger: filters and tests that name the ws module see all of it.
log = logging.getLogger("wallet_perps.hyperliquid.ws")


@dataclass(eq=False)
class PendingPost:
    """A post sent (or about to be); ``is_action`` decides whether its outcome is unknown."""

    is_action: bool
    future: asyncio.Future[Any]


def post_error(text: str) -> VenueError:
    """An error answer to a post. Its text mirrors the HTTP status and description."""
    lowered = text.lower()
    if "429" in text or "rate limit" in lowered or "too many requests" in lowered:
        return RateLimited(text)
    return VenueError(f"The venue refused the request: {text}", venue_text=text)


class PostBook:
    """The posts awaiting an answer on this client, keyed by the id they were sent with."""

    def __init__(self) -> None:
        self._posts: dict[int, PendingPost] = {}
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        return next(self._ids)

    def expect(self, post_id: int, *, is_action: bool) -> asyncio.Future[Any]:
        """Record a post about to be sent; the future resolves with its answer."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._posts[post_id] = PendingPost(is_action, future)
        return future

    def discard(self, post_id: int) -> None:
        self._posts.pop(post_id, None)

    def settle(self, data: Any) -> None:
        """A ``post`` message: resolve the post it names with its payload or its error."""
        if not isinstance(data, dict):
            return
        post_id = data.get("id")
        post = self._posts.pop(post_id, None) if isinstance(post_id, int) else None
        if post is None:
            log.debug("post answer for an unknown id: %.200s", data)
            return
        if post.future.done():
            return
        response = data.get("response")
        kind = response.get("type") if isinstance(response, dict) else None
        payload = response.get("payload") if isinstance(response, dict) else None
        if kind == "error":
            post.future.set_exception(post_error(str(payload)))
        elif kind == "info" and isinstance(payload, dict) and "data" in payload:
            post.future.set_result(payload["data"])
        elif kind == "action":
            post.future.set_result(payload)
        else:
            post.future.set_exception(UnexpectedResponse(f"post answer of type {kind!r}"))

    def settle_error(self, text: str, embedded: Any) -> bool:
        """An ``error`` message: fail the post whose id it quotes. False if it names none."""
        if not isinstance(embedded, dict):
            return False
        post_id = embedded.get("id")
        if not (isinstance(post_id, int) and post_id in self._posts):
            return False
        post = self._posts.pop(post_id)
        if not post.future.done():
            post.future.set_exception(post_error(text))
        return True

    def fail_all(self, make_error: Callable[[bool], VenueError]) -> None:
        """No answer will come: fail every post with ``make_error(is_action)``."""
        posts, self._posts = self._posts, {}
        for post in posts.values():
            if not post.future.done():
                post.future.set_exception(make_error(post.is_action))
