"""The Market pulse page against a real venue with synthetic traders (no wallet needed).

Samples are taken every 0.3 s here (5 s in the app) so a reading exists within a second or two.
"""

from __future__ import annotations

from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.ui.qasync_helpers import locked_session, run_on_qasync, until
from tests.venue_process import VenueProcess
from wallet_perps.core.pulse import MEANINGS
from wallet_perps.ui.adapter import SessionAdapter
from wallet_perps.ui.pages.pulse import WINDOWS, PulsePage


def test_the_reading_in_words_and_the_charts_follow_the_selected_market(
    qtbot: QtBot, venue: VenueProcess
) -> None:
    async def scenario() -> None:
        session = await locked_session(venue.url)
        adapter = SessionAdapter(session)
        page = PulsePage(adapter, sample_every_s=0.3)
        qtbot.addWidget(page)
        page.resize(1100, 760)
        page.show()
        try:
            assert page.coin == "BTC"
            # First: a clear "collecting" state, then the reading for BTC.
            assert page.reading_label.text().startswith("BTC")
            await until(lambda: page.reading is not None, "a BTC reading", 10)
            check_reading(page, "BTC")
            await until(lambda: page.price_chart.point_count > 0, "the price chart")
            assert page.oi_chart.point_count >= 2
            assert page.funding_chart.point_count >= 2
            assert page.premium_chart.point_count >= 2
            # The samples are the venue's own numbers for BTC.
            page.sampler.sample()
            ctx = session.market.context("BTC")
            assert ctx is not None
            latest = page.sampler.samples("BTC")[-1]
            assert (latest.mark_px, latest.oracle_px) == (ctx.mark_px, ctx.oracle_px)
            assert (latest.open_interest, latest.funding) == (ctx.open_interest, ctx.funding)

            # The user picks ETH from the list: the reading and charts follow.
            page.market_box.setFocus()
            QTest.keyClicks(page.market_box, "ETH")
            assert page.coin == "ETH"
            await until(
                lambda: page.reading is not None and page.reading_label.text().startswith("ETH"),
                "an ETH reading",
                10,
            )
            check_reading(page, "ETH")

            # A longer window keeps the reading (it uses what has been sampled so far).
            page.window_box.setCurrentIndex(len(WINDOWS) - 1)
            assert page.window_ms == WINDOWS[-1][1]
            assert page.reading is not None and page.reading_label.text().startswith("ETH")
            # Memory stays bounded: one ring per market, never longer than ``keep``.
            assert all(
                len(page.sampler.samples(c)) <= page.sampler.keep for c in page.sampler.coins()
            )
        finally:
            await adapter.aclose()
            await session.stop()

    run_on_qasync(qtbot, scenario)


def check_reading(page: PulsePage, coin: str) -> None:
    """The headline names the market, the three moves and one meaning from the classic table."""
    text = page.reading_label.text()
    assert text.startswith(f"{coin}, last ")
    assert "rice " in text and "open interest " in text and "funding " in text
    assert any(meaning in text for meaning in MEANINGS.values()), text
    assert page.detail_label.text().startswith("Price ")
    assert "%/h" in page.detail_label.text()
    assert page.reading_label.toolTip().startswith("How to read it")
