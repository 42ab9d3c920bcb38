"""Atom feeds: valid for a feed reader (ids, updated, links), escaped, public steps only."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from aiohttp.test_utils import TestClient

from tests.tickets.desk import Desk
from tests.web.conftest import BOARD

A = "{http://www.w3.org/2005/Atom}"


async def feed(client: TestClient, path: str) -> ET.Element:
    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == "application/atom+xml"
    root = ET.fromstring(await response.read())
    assert root.tag == f"{A}feed"
    for element in (root, *root.findall(f"{A}entry")):  # RFC 4287's required elements
        assert element.findtext(f"{A}id", "").startswith("http")
        assert element.findtext(f"{A}title")
        assert element.findtext(f"{A}updated", "").endswith("Z")
        assert element.find(f"{A}link[@rel='alternate']") is not None
        assert element.find(f"{A}author/{A}name") is not None or element is not root
    return root


async def test_the_community_feed_lists_public_steps_newest_first(
    desk: Desk, client: TestClient
) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.open("Cy", "Offline <b>mode</b> & more")
    await desk.run("Ben", "/ticket vote #2")
    await desk.run("Amy", "/ticket claim #1")
    await desk.run("Amy", "/ticket update #1 Shipping soon. next:2d")
    root = await feed(client, f"{BOARD}/feed.atom")
    assert root.find(f"{A}link[@rel='self']").get("href", "").endswith(f"{BOARD}/feed.atom")
    titles = [e.findtext(f"{A}title") for e in root.findall(f"{A}entry")]
    assert titles == [
        "#1 Dark mode: Amy posted an update",
        "#1 Dark mode: Amy claimed it",
        "#2 Offline <b>mode</b> & more: Cy opened it",
        "#1 Dark mode: Ben opened it",
    ]
    update = root.findall(f"{A}entry")[0]
    assert update.findtext(f"{A}content") == "Shipping soon."
    ids = [e.findtext(f"{A}id") for e in root.findall(f"{A}entry")]
    assert len(set(ids)) == len(ids)


async def test_a_ticket_feed_follows_one_ticket_and_uses_the_public_url(
    desk: Desk, client: TestClient
) -> None:
    desk.settings.web_public_url = "https://board.example.org"
    await desk.open("Ben", "Dark mode")
    await desk.open("Cy", "Other")
    await desk.run("Amy", "/ticket resolve #1 Done in 2.4.")
    root = await feed(client, f"{BOARD}/1/feed.atom")
    assert root.findtext(f"{A}id") == f"https://board.example.org{BOARD}/1/feed.atom"
    entries = root.findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == ["Amy resolved it", "Ben opened it"]
    assert entries[0].findtext(f"{A}content") == "Done in 2.4."
    link = entries[0].find(f"{A}link[@rel='alternate']")
    assert link is not None and link.get("href") == f"https://board.example.org{BOARD}/1"


async def test_a_feed_without_steps_is_still_valid(desk: Desk, client: TestClient) -> None:
    root = await feed(client, f"{BOARD}/feed.atom")
    assert root.findall(f"{A}entry") == []


async def test_the_feeds_are_linked_from_the_pages(desk: Desk, client: TestClient) -> None:
    await desk.open("Ben", "Dark mode")
    board = await (await client.get(BOARD)).text()
    assert (
        f'type="application/atom+xml" title="Tickets of Botschafter Demo" href="{BOARD}/feed.atom"'
        in board
    )
    ticket = await (await client.get(f"{BOARD}/1")).text()
    assert f'href="{BOARD}/1/feed.atom"' in ticket
