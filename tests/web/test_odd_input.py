"""What a curious or hostile visitor types into the address bar: never a 500 without the
security headers, never their text unescaped, never a private ticket."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app.web import board as web_board
from storage.board import BoardRepository
from tests.tickets.desk import Desk
from tests.web.conftest import BOARD

HUGE = "9" * 30  # past any database integer
ODD_QUERIES = [
    "page=-5",
    f"page={HUGE}",
    "page=abc",
    "page=500",
    "page=1&page=2",
    "sort=%3Cb%3Ehi",
    "show=%3Cb%3Ehi",
    "category=%3Cb%3Ehi",
    "q=%3Cb%3Ehi%22%27",
    "q=%25",
    "q=_",
    "q=%00",
    "lang=%3Cb%3Ehi",
    "q=" + "a" * 5000,
]


def assert_protected(response: Any) -> None:
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("query", ODD_QUERIES)
async def test_odd_filters_answer_the_board_with_their_text_escaped(
    desk: Desk, client: TestClient, query: str
) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.open("Cy", "Secret zebra invoice", "private:yes")
    for method in ("GET", "HEAD"):
        response = await client.request(method, f"{BOARD}?{query}")
        assert response.status == 200, query
        assert_protected(response)
    text = await (await client.get(f"{BOARD}?{query}&show=all")).text()
    assert "<b>" not in text and "zebra" not in text


@pytest.mark.parametrize("path", [f"{BOARD}/{HUGE}", f"{BOARD}/{HUGE}/feed.atom"])
async def test_a_ticket_number_past_any_integer_is_not_found(
    desk: Desk, client: TestClient, path: str
) -> None:
    await desk.open("Ben", "Dark mode")
    for method in ("GET", "HEAD"):
        response = await client.request(method, path)
        assert response.status == 404
        assert_protected(response)


async def test_a_fault_of_ours_is_a_short_500_with_the_security_headers(
    desk: Desk, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any) -> Any:
        raise RuntimeError("database file vanished at /srv/secret/path")

    monkeypatch.setattr(BoardRepository, "page", broken)
    response = await client.get(BOARD)
    assert response.status == 500
    assert_protected(response)
    text = await response.text()
    assert "went wrong on our side" in text and "/srv/secret" not in text
    french = await client.get(BOARD, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert french.status == 500
    assert "Un problème est survenu de notre côté" in await french.text()


async def test_a_page_past_the_end_shows_the_last_page(
    desk: Desk, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_board, "PAGE_SIZE", 2)
    for who in ("Ben", "Cy", "Dee"):
        await desk.open(who, f"Wish of {who}")
    text = await (await client.get(f"{BOARD}?page=500&sort=newest")).text()
    assert "Page 2 of 2" in text and "Wish of Ben" in text and "Wish of Dee" not in text
