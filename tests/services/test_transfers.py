"""Transfers against a real local venue process, signed by a wallet in the real OS keyring.

What a user would notice: money sent arrives on the other account and leaves this one; a bad
address, a zero amount or more than the account can spare is refused with a reason and nothing
reaches the venue (no ledger entry, no request counted); a withdrawal takes the amount plus the
$1 fee; and when the venue says no, its own words come back. When the answer is garbled or lost
(a proxy in front of the real venue spoils it), the user hears at once that the transfer may
have gone through; the ledger then tells: found, it is reported done; not found, the user is
told to check before retrying. The request is never sent twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import pytest
from eth_account import Account

from tests.answer_proxy import AnswerProxy
from tests.venue_process import VenueProcess
from tests.wallet.conftest import PASSWORD
from wallet_perps.crypto.addresses import to_checksum_address
from wallet_perps.hyperliquid.http import HyperliquidHttp
from wallet_perps.hyperliquid.nonces import NonceManager
from wallet_perps.services.transfers import (
    TransferError,
    TransferResult,
    Transfers,
    demo_deposit,
    parse_amount,
    parse_destination,
)
from wallet_perps.wallet.keystore import Keystore
from wallet_perps.wallet.secret_storage import TEST_ONLY_FAST_SCRYPT
from wallet_perps.wallet.unlocked import UnlockedWallet

pytestmark = pytest.mark.keyring  # wallets are stored in the real Secret Service

D = Decimal


@pytest.fixture
async def http(venue: VenueProcess) -> AsyncIterator[HyperliquidHttp]:
    async with HyperliquidHttp(venue.url) as client:
        yield client


@pytest.fixture
def wallet() -> Iterator[UnlockedWallet]:
    keystore = Keystore(scrypt=TEST_ONLY_FAST_SCRYPT)
    info, phrase = keystore.create_demo_wallet(PASSWORD)
    phrase.wipe()
    session = keystore.unlock(info.address, PASSWORD)
    yield session
    keystore.lock()


def stranger() -> str:
    return Account.create().address.lower()


async def balance(http: HyperliquidHttp, user: str) -> tuple[Decimal, Decimal]:
    state = await http.clearinghouse_state(user)
    return state.margin_summary.account_value, state.withdrawable


async def ledger_kinds(http: HyperliquidHttp, user: str) -> list[str]:
    return [u.type for u in await http.user_non_funding_ledger_updates(user, 0)]


async def test_send_moves_the_amount_between_both_accounts(
    venue: VenueProcess, http: HyperliquidHttp, wallet: UnlockedWallet
) -> None:
    await demo_deposit(venue.url, wallet.address, D(1000), admin_token=venue.admin_token)
    assert await balance(http, wallet.address) == (D(1000), D(1000))
    friend = stranger()
    transfers = Transfers(http, wallet, "local", NonceManager())

    # Pasted in checksummed form, as wallets show addresses.
    result = await transfers.send_usd(to_checksum_address(friend), D("25.5"))

    assert result.ok and result.submitted, result
    assert "Sent $25.50 to" in result.message
    assert await balance(http, wallet.address) == (D("974.5"), D("974.5"))
    assert await balance(http, friend) == (D("25.5"), D("25.5"))
    assert (await ledger_kinds(http, friend)) == ["internalTransfer"]


async def test_bad_input_is_refused_and_nothing_reaches_the_venue(
    venue: VenueProcess, http: HyperliquidHttp, wallet: UnlockedWallet
) -> None:
    await demo_deposit(venue.url, wallet.address, D(100), admin_token=venue.admin_token)
    transfers = Transfers(http, wallet, "local", NonceManager())
    friend = stranger()
    before = await http.user_rate_limit(wallet.address)
    mistyped = to_checksum_address(friend)
    flipped = mistyped[:-1] + (
        mistyped[-1].lower() if mistyped[-1].isupper() else mistyped[-1].upper()
    )
    if flipped == mistyped:  # last character is a digit: flip the first letter instead
        i = next(i for i, ch in enumerate(mistyped[2:], 2) if ch.isalpha())
        flipped = mistyped[:i] + mistyped[i].swapcase() + mistyped[i + 1 :]

    cases = [
        (transfers.send_usd("0x1234", D(10)), "40 hex digits"),
        (transfers.send_usd("hello", D(10)), "starts with 0x"),
        (transfers.send_usd(flipped, D(10)), "checksum"),
        (transfers.send_usd(wallet.address, D(10)), "own address"),
        (transfers.send_usd(friend, D(0)), "more than zero"),
        (transfers.send_usd(friend, D("-5")), "more than zero"),
        (transfers.send_usd(friend, D("0.0000001")), "6 decimal places"),
        (transfers.send_usd(friend, D("100.01")), "At most $100.00"),
        (transfers.withdraw(wallet.address, D(100)), "At most $99.00"),
        (transfers.withdraw(wallet.address, D("0.5")), "more than the $1.00 fee"),
    ]
    for call, reason in cases:
        result = await call
        assert not result.ok and not result.submitted, result
        assert reason in result.message, (reason, result.message)

    assert await balance(http, wallet.address) == (D(100), D(100))
    assert await balance(http, friend) == (D(0), D(0))
    assert await ledger_kinds(http, wallet.address) == ["deposit"]
    after = await http.user_rate_limit(wallet.address)
    assert after.n_requests_used == before.n_requests_used


async def test_withdraw_reduces_the_balance_by_amount_and_fee(
    venue: VenueProcess, http: HyperliquidHttp, wallet: UnlockedWallet
) -> None:
    await demo_deposit(venue.url, wallet.address, D(500), admin_token=venue.admin_token)
    transfers = Transfers(http, wallet, "local", NonceManager())

    result = await transfers.withdraw(wallet.address, D(120))

    assert result.ok and result.submitted, result
    assert "$120.00" in result.message and "$1.00 fee" in result.message
    assert await balance(http, wallet.address) == (D(379), D(379))
    updates = await http.user_non_funding_ledger_updates(wallet.address, 0)
    assert [u.type for u in updates] == ["deposit", "withdraw"]


async def test_a_venue_refusal_comes_back_in_its_own_words(
    venue: VenueProcess, http: HyperliquidHttp, wallet: UnlockedWallet
) -> None:
    # Signed for mainnet, sent to the local venue (which verifies testnet signatures).
    await demo_deposit(venue.url, wallet.address, D(50), admin_token=venue.admin_token)
    transfers = Transfers(http, wallet, "mainnet", NonceManager())

    result = await transfers.send_usd(stranger(), D(5))

    assert not result.ok and result.submitted and result.venue_text, result
    assert result.venue_text in result.message
    assert await balance(http, wallet.address) == (D(50), D(50))


async def test_demo_deposit_validates_and_credits(
    venue: VenueProcess, http: HyperliquidHttp
) -> None:
    user = stranger()
    with pytest.raises(TransferError, match="more than zero"):
        await demo_deposit(venue.url, user, D(0), admin_token=venue.admin_token)
    with pytest.raises(TransferError, match="starts with 0x"):
        await demo_deposit(venue.url, "nobody", D(10), admin_token=venue.admin_token)
    await demo_deposit(venue.url, user, D("12.34"), admin_token=venue.admin_token)
    assert await balance(http, user) == (D("12.34"), D("12.34"))


def test_parsers_accept_what_people_type() -> None:
    assert parse_amount("1,000.50") == D("1000.50")
    assert parse_amount("$12") == D(12)
    for bad in ("", "abc", "NaN", "Infinity", "1e400000"):
        with pytest.raises(TransferError):
            parse_amount(bad)
    address = stranger()
    assert parse_destination(f"  {address.upper().replace('0X', '0x')}  ") == address
    with pytest.raises(TransferError, match="zero address"):
        parse_destination("0x" + "0" * 40)


async def test_a_garbled_answer_to_a_withdrawal_is_reconciled_by_the_ledger(
    venue: VenueProcess, http: HyperliquidHttp, wallet: UnlockedWallet
) -> None:
    await demo_deposit(venue.url, wallet.address, D(500), admin_token=venue.admin_token)
    heard: list[TransferResult] = []
    async with AnswerProxy(venue.url) as proxy, HyperliquidHttp(proxy.url) as spoiled:
        proxy.mode = "rewrite"  # the venue withdraws; the client gets a truncated answer
        transfers = Transfers(spoiled, wallet, "local", NonceManager(), reconcile_timeout_s=20)
        result = await transfers.withdraw(wallet.address, D(120), on_unknown=heard.append)

    # At once: "may have gone through", not a failure that invites a retry.
    assert [h.outcome_unknown for h in heard] == [True]
    assert "may have gone through" in heard[0].message and not heard[0].ok
    # Then the ledger settles it: done, and said so.
    assert result.ok and result.reconciled and not result.outcome_unknown, result
    assert "Withdrew $120.00" in result.message and "ledger shows it went through" in result.message
    assert proxy.forwarded == ["withdraw3"]  # sent once, never again
    assert await balance(http, wallet.address) == (D(379), D(379))
    rows = [u for u in await http.user_non_funding_ledger_updates(wallet.address, 0)]
    assert [u.type for u in rows] == ["deposit", "withdraw"]
    assert getattr(rows[1].delta, "nonce", None) == result.nonce


async def test_a_withdrawal_whose_answer_is_lost_may_have_gone_through(
    venue: VenueProcess, http: HyperliquidHttp, wallet: UnlockedWallet
) -> None:
    await demo_deposit(venue.url, wallet.address, D(500), admin_token=venue.admin_token)
    async with AnswerProxy(venue.url) as proxy, HyperliquidHttp(proxy.url) as spoiled:
        proxy.mode = "drop"  # the connection drops; this time the venue never saw it
        transfers = Transfers(spoiled, wallet, "local", NonceManager(), reconcile_timeout_s=1)
        result = await transfers.withdraw(wallet.address, D(120))

    assert not result.ok and result.outcome_unknown and result.submitted, result
    assert not result.reconciled
    assert "may have gone through" in result.message
    assert "not in your account's ledger yet" in result.message
    assert "before trying again" in result.message
    assert proxy.forwarded == []
    assert await balance(http, wallet.address) == (D(500), D(500))


async def test_a_send_answered_while_still_on_its_way_is_found_in_the_ledger(
    venue: VenueProcess, http: HyperliquidHttp, wallet: UnlockedWallet
) -> None:
    await demo_deposit(venue.url, wallet.address, D(100), admin_token=venue.admin_token)
    friend = stranger()
    heard: list[TransferResult] = []
    async with AnswerProxy(venue.url) as proxy, HyperliquidHttp(proxy.url) as spoiled:
        proxy.mode, proxy.late_s = "late", 1.0  # garbage first, the request arrives later
        transfers = Transfers(spoiled, wallet, "local", NonceManager(), reconcile_timeout_s=20)
        result = await transfers.send_usd(friend, D(25), on_unknown=heard.append)
        assert heard and "may have gone through" in heard[0].message

    assert result.ok and result.reconciled, result
    assert result.message.startswith(f"Sent $25.00 to {friend[:6]}")
    assert proxy.forwarded == ["usdSend"]
    assert await balance(http, friend) == (D(25), D(25))
    assert await balance(http, wallet.address) == (D(75), D(75))
