"""A loopback HTTP proxy in front of a real local venue that can spoil /exchange answers.

Why: "outcome unknown" happens when the venue did (or did not) act but its answer never
arrives intact. There is no mock venue here: the proxy forwards every request to the real
venue process, so an order or a withdrawal really happens (or really does not), and only what
comes back to the client is spoiled. Modes for ``/exchange`` (``/info`` always passes):

* ``pass``: forward and return the venue's answer unchanged;
* ``rewrite``: forward, then answer ``rewrite(request, venue_answer)`` (text) instead;
* ``late``: answer ``garbage`` at once, and forward the request ``late_s`` later (the answer
  was lost while the request was still on its way);
* ``drop``: close the connection without forwarding (the request never arrived).

Only actions whose type is in ``spoil`` are touched (all of them when it is empty).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any, Literal, Self

import aiohttp
from aiohttp import web

Mode = Literal["pass", "rewrite", "late", "drop"]
#: A truncated ``status: ok`` envelope: JSON no reader can make sense of.
GARBAGE = '{"status": "ok", "response": {"type": "def'


class AnswerProxy:
    def __init__(self, venue_url: str) -> None:
        self.venue_url = venue_url.rstrip("/")
        self.mode: Mode = "pass"
        self.spoil: set[str] = set()
        self.rewrite: Callable[[dict[str, Any], Any], str] = lambda _request, _answer: GARBAGE
        self.late_s = 1.0
        #: Action types forwarded to the venue, in order (what the venue really received).
        self.forwarded: list[str] = []
        self.spoiled: list[str] = []
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._late: set[asyncio.Task[None]] = set()
        self.url = ""

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/info", self._info)
        app.router.add_post("/exchange", self._exchange)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._client = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._late:
            await asyncio.wait(list(self._late), timeout=10)
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_forwarded(self, count: int, timeout_s: float = 20.0) -> None:
        """Wait until ``count`` actions have reached the venue (``late`` forwards later)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(self.forwarded) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"only {self.forwarded} reached the venue")
            await asyncio.sleep(0.05)

    async def _forward(self, path: str, body: bytes) -> tuple[int, bytes]:
        assert self._client is not None
        async with self._client.post(
            self.venue_url + path, data=body, headers={"Content-Type": "application/json"}
        ) as resp:
            return resp.status, await resp.read()

    async def _info(self, request: web.Request) -> web.Response:
        status, body = await self._forward("/info", await request.read())
        return web.Response(status=status, body=body, content_type="application/json")

    async def _exchange(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        payload = json.loads(raw)
        kind = str(payload.get("action", {}).get("type"))
        mode = self.mode if not self.spoil or kind in self.spoil else "pass"
        if mode != "pass":
            self.spoiled.append(kind)
        if mode == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if mode == "late":
            task = asyncio.ensure_future(self._forward_later(kind, raw))
            self._late.add(task)
            task.add_done_callback(self._late.discard)
            return web.Response(text=GARBAGE, content_type="application/json")
        status, body = await self._forward("/exchange", raw)
        self.forwarded.append(kind)
        if mode == "rewrite":
            text = self.rewrite(payload, json.loads(body))
            return web.Response(text=text, content_type="application/json")
        return web.Response(status=status, body=body, content_type="application/json")

    async def _forward_later(self, kind: str, raw: bytes) -> None:
        await asyncio.sleep(self.late_s)
        await self._forward("/exchange", raw)
        self.forwarded.append(kind)
