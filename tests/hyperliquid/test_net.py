"""aiohttp imported without its import-time CA load, and sessions that still verify TLS.

Why these tests: the import trick (an empty ``SSL_CERT_FILE`` for the length of aiohttp's
import) must neither leak into the process's environment nor leave a real-network session
without certificate checks. The last test speaks to a TLS server with a self-signed
certificate: our session must refuse it, while a client that trusts that certificate gets in
(so the refusal is the verification, not a broken server).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from wallet_perps.hyperliquid import tls
from wallet_perps.hyperliquid.net import aiohttp, client_session, open_session
from wallet_perps.hyperliquid.tls import needs_tls, prepare_tls, tls_context

IMPORT_AND_SHOW = (
    "import os, wallet_perps.hyperliquid.net; print(os.environ.get('SSL_CERT_FILE', '<unset>'))"
)


@pytest.mark.parametrize("value", [None, "/etc/ssl/certs/ca-certificates.crt"])
def test_the_import_puts_ssl_cert_file_back(value: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SSL_CERT_FILE"}
    if value is not None:
        env["SSL_CERT_FILE"] = value
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_SHOW], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == (value or "<unset>")


@pytest.mark.parametrize(
    ("url", "tls"),
    [
        ("https://api.hyperliquid.xyz", True),
        ("wss://api.hyperliquid.xyz/ws", True),
        ("HTTPS://api.hyperliquid-testnet.xyz", True),
        ("http://127.0.0.1:3001", False),
        ("ws://127.0.0.1:3001/ws", False),
    ],
)
def test_needs_tls(url: str, tls: bool) -> None:
    assert needs_tls(url) is tls


def test_the_context_checks_names_and_chains() -> None:
    context = tls_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context is tls_context()  # made once


async def test_concurrent_first_preparations_build_the_context_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each prepare_tls call that finds no context asks a worker thread for one; the bundle
    must still be parsed once, not once per thread."""
    monkeypatch.setattr(tls, "_tls_context", None)
    real = ssl.create_default_context
    built: list[ssl.SSLContext] = []

    def slow_and_counted() -> ssl.SSLContext:
        time.sleep(0.05)  # keep the other threads waiting while this one builds
        built.append(real())
        return built[-1]

    monkeypatch.setattr(ssl, "create_default_context", slow_and_counted)
    await asyncio.gather(*(prepare_tls("https://api.hyperliquid.xyz") for _ in range(8)))
    assert len(built) == 1
    assert tls_context() is built[0]


async def test_open_session_prepares_tls_off_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tls, "_tls_context", None)
    async with await open_session("https://api.hyperliquid.xyz") as session:
        assert tls._tls_context is not None
        assert not session.closed
    async with await open_session("http://127.0.0.1:1", timeout=aiohttp.ClientTimeout(3)) as plain:
        assert plain.timeout.total == 3


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
async def tls_server(self_signed: tuple[Path, Path]) -> AsyncIterator[str]:
    cert, key = self_signed
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)

    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"https://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


async def test_a_tls_session_refuses_an_untrusted_certificate(
    tls_server: str, self_signed: tuple[Path, Path]
) -> None:
    async with client_session(tls_server) as session:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await session.get(tls_server)
    trusting = ssl.create_default_context(cafile=str(self_signed[0]))
    async with aiohttp.ClientSession() as session, session.get(tls_server, ssl=trusting) as resp:
        assert await resp.text() == "hello"
