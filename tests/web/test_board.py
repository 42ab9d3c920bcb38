"""The public board: what a visitor sees, in which language, and what never shows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient

from bot.app.web.language import accepted
from bot.i18n import SHIPPED_LOCALES
from storage.database import Database
from tests.tickets.desk import Desk
from tests.web.conftest import BOARD

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


async def page(client: TestClient, path: str, status: int = 200, **headers: str) -> str:
    response = await client.get(path, headers=headers)
    assert response.status == status, await response.text()
    return await response.text()


async def test_the_board_lists_open_tickets_with_owner_votes_and_promise(
    desk: Desk, client: TestClient
) -> None:
    await desk.open("Ben", "Dark mode", "category:app")
    await desk.open("Cy", "Invoices as PDF", "category:billing")
    await desk.run("Cy", "/ticket vote #1")
    await desk.run("Amy", "/ticket claim #1")
    await desk.run("Amy", "/ticket update #1 Talked to the app team. next:2d")
    text = await page(client, BOARD)
    assert "2 tickets" in text
    first, second = text.index("Dark mode"), text.index("Invoices as PDF")
    assert first < second  # most votes first
    row = text[first : text.index("</tr>", first)]
    assert "claimed" in row and "Amy" in row and ">1<" in row
    assert "due 2026-01-07 09:00 UTC" in row


async def test_filters_search_sort_and_pages(desk: Desk, client: TestClient) -> None:
    await desk.open("Ben", "Dark mode", 'category:app details:"The white hurts at night"')
    await desk.open("Cy", "Invoices as PDF", "category:billing")
    await desk.run("Amy", "/ticket resolve #2 Invoices are PDFs from today.")
    assert "Invoices" not in await page(client, BOARD)  # open tickets by default
    resolved = await page(client, f"{BOARD}?show=resolved")
    assert "Invoices as PDF" in resolved and "Dark mode" not in resolved
    assert "(done)" in resolved
    billing = await page(client, f"{BOARD}?show=all&category=billing")
    assert "Invoices as PDF" in billing and "Dark mode" not in billing
    found = await page(client, f"{BOARD}?show=all&q=WHITE+night")
    assert "Dark mode" in found and "Invoices" not in found
    assert "Invoices" in await page(client, f"{BOARD}?show=all&q=%232")
    assert "No ticket matches." in await page(client, f"{BOARD}?show=all&q=100%25")
    newest = await page(client, f"{BOARD}?show=all&sort=newest")
    assert newest.index("Invoices") < newest.index("Dark mode")
    waiting = await page(client, f"{BOARD}?show=all&sort=waiting")
    assert waiting.index("Dark mode") < waiting.index("Invoices")
    # Nonsense in the address falls back to the defaults rather than failing.
    assert "Dark mode" in await page(client, f"{BOARD}?show=x&sort=y&page=z")


async def test_pagination_links_keep_the_filters(
    desk: Desk, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.app.web.board.PAGE_SIZE", 2)
    for title in ("One", "Two", "Three"):
        await desk.open("Amy", f"Ticket {title}", "category:app")
    first = await page(client, f"{BOARD}?sort=newest&category=app")
    assert "Page 1 of 2" in first and "Ticket One" not in first
    link = re.search(r'rel="next" href="([^"]+)"', first)
    assert link is not None
    second = await page(client, link.group(1).replace("&amp;", "&"))
    assert "Ticket One" in second and "Ticket Three" not in second
    assert "Page 2 of 2" in second


async def test_a_ticket_page_shows_the_public_timeline_outcome_and_resolution(
    desk: Desk, client: TestClient
) -> None:
    await desk.open("Ben", "Dark mode", 'category:app details:"The white hurts"')
    await desk.open("Cy", "Offline mode")
    await desk.run("Cy", "/ticket vote #1")
    await desk.run("Amy", "/ticket claim #1")
    await desk.run("Amy", "/ticket update #1 On the list. next:2d")
    await desk.run("Amy", "/ticket escalate #1 internal: ask Eve in app team")
    desk.clock.advance(timedelta(days=3))
    await desk.run("Amy", "/ticket resolve #1 It will not fit this year. outcome:declined")
    text = await page(client, f"{BOARD}/1")
    assert "Ticket #1: Dark mode" in text and "Opened 2026-01-05 09:00 UTC by Ben" in text
    assert "The white hurts" in text
    for step in ("opened it", "claimed it", "posted an update", "On the list.", "declined it"):
        assert step in text
    assert "Resolution: declined" in text and "It will not fit this year." in text
    # What stays inside: who voted, and the escalation to the company with its note.
    assert "voted" not in text and "ask Eve" not in text and "escalated" not in text


async def test_a_broken_promise_shows_as_not_kept(desk: Desk, client: TestClient) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Amy", "/ticket claim #1")
    await desk.run("Amy", "/ticket update #1 Soon. next:1d")
    desk.clock.advance(timedelta(days=2))
    assert "not kept: overdue since 2026-01-06 09:00 UTC" in await page(client, f"{BOARD}/1")


@pytest.mark.parametrize("title", HOSTILE)
async def test_hostile_titles_and_notes_are_escaped_everywhere(
    desk: Desk, client: TestClient, title: str
) -> None:
    await desk.open("Ben", title.replace('"', "'"), f'details:"{title.replace(chr(34), "")}"')
    await desk.run("Amy", "/ticket claim #1")
    await desk.run("Amy", f"/ticket update #1 {title}")
    for path in (BOARD, f"{BOARD}/1", f"{BOARD}?show=all&q=alert"):
        text = await page(client, path)
        assert "<script>alert" not in text and "<img" not in text
        assert "&lt;" in text


async def test_unknown_communities_tickets_and_addresses_are_not_found(
    desk: Desk, client: TestClient
) -> None:
    await desk.open("Ben", "Dark mode")
    assert "There is no such page here" in await page(client, "/board/local/nowhere", 404)
    await page(client, "/board/discord/123/1", 404)
    await page(client, f"{BOARD}/99", 404)
    await page(client, f"{BOARD}/99/feed.atom", 404)
    await page(client, "/no/such/page", 404)


async def test_a_switched_off_board_says_so_and_shows_nothing(
    desk: Desk, client: TestClient
) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Alice", "/config set community.board off")
    text = await page(client, BOARD, 404)
    assert "switched off" in text and "Dark mode" not in text
    await page(client, f"{BOARD}/1", 404)
    await page(client, f"{BOARD}/feed.atom", 404)
    assert "/board/local/demo" not in await page(client, "/")


async def test_platform_boards_are_off_until_an_admin_turns_them_on(
    desk: Desk, client: TestClient
) -> None:
    db: Database = desk.session.app.services.db
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO ticket_counters (community, last_number) VALUES ('discord:42', 0)"
        )
    await page(client, "/board/discord/42", 404)
    await desk.session.app.services.config.set_override(
        _community("discord:42"), "community.board", True, "test", desk.clock.now()
    )
    assert "Tickets of discord:42" in await page(client, "/board/discord/42")
    index = await page(client, "/")
    assert "/board/discord/42" in index and "/board/local/demo" in index


async def test_private_tickets_never_show(desk: Desk, client: TestClient) -> None:
    await desk.open("Ben", "Public wish")
    await desk.open("Cy", "My unpaid invoice", "private:yes")
    private = await desk.latest()
    assert private is not None and not private.is_public
    for path in (f"{BOARD}?show=all", f"{BOARD}/feed.atom", "/"):
        assert "unpaid invoice" not in await page(client, path)
    assert "Public wish" in await page(client, f"{BOARD}?show=all")
    assert "No ticket matches." in await page(client, f"{BOARD}?show=all&q=invoice")
    await page(client, f"{BOARD}/{private.number}", 404)
    await page(client, f"{BOARD}/{private.number}/feed.atom", 404)


async def test_german_by_accept_language_and_a_switch_that_sticks(
    desk: Desk, client: TestClient
) -> None:
    await desk.open("Ben", "Dark mode")
    german = await page(client, BOARD, **{"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"})
    assert '<html lang="de">' in german and "Tickets von" in german and "offen" in german
    english = await page(client, f"{BOARD}?lang=en", **{"Accept-Language": "de"})
    assert '<html lang="en">' in english
    # The choice is remembered: the next page is English too, whatever the browser says.
    again = await page(client, f"{BOARD}/1", **{"Accept-Language": "de"})
    assert '<html lang="en">' in again


async def test_a_polish_browser_gets_polish_and_the_switch_offers_every_language(
    desk: Desk, client: TestClient
) -> None:
    await desk.open("Ben", "Dark mode")
    polish = await page(client, BOARD, **{"Accept-Language": "pl-PL,pl;q=0.9"})
    assert '<html lang="pl">' in polish and "Filtruj tickety" in polish
    for code in SHIPPED_LOCALES:
        assert f'lang="{code}"' in polish, code
    assert "Polski" in polish and "Nederlands" in polish and "Português" in polish


def test_accept_language_is_read_by_preference() -> None:
    assert accepted("en;q=0.5, de-AT;q=0.9, fr") == ["fr", "de", "en"]
    assert accepted("de;q=0, en") == ["en"]
    assert accepted("de;q=x, *, en") == ["en"]


async def test_every_answer_carries_the_security_headers(desk: Desk, client: TestClient) -> None:
    for path in ("/", BOARD, "/static/board.css", "/nowhere", f"{BOARD}/feed.atom"):
        response = await client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_pages_have_no_script_and_label_every_field(desk: Desk, client: TestClient) -> None:
    await desk.open("Ben", "Dark mode")
    text = await page(client, BOARD)
    assert "<script" not in text and "style=" not in text
    for field in ("show", "category", "sort", "q"):
        assert f'<label for="{field}">' in text and f'id="{field}"' in text
    assert text.count("<h1>") == 1


def _community(key: str):  # type: ignore[no-untyped-def]
    from bot.model import Community

    return Community.from_key(key)


def test_the_web_catalogs_say_everything_in_english_and_german() -> None:
    import tomllib

    from bot.app.web.language import WEB_LOCALES

    def keys(locale: str) -> set[str]:
        def flat(table: dict[str, object], prefix: str = "") -> set[str]:
            found: set[str] = set()
            for key, value in table.items():
                name = f"{prefix}{key}"
                found |= flat(value, f"{name}.") if isinstance(value, dict) else {name}
            return found

        return flat(tomllib.loads((WEB_LOCALES / f"{locale}.toml").read_text(encoding="utf-8")))

    assert keys("en") == keys("de")
