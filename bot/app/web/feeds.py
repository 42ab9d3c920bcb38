"""Atom feeds (RFC 4287) of a community's board and of one ticket: members and company
departments follow the public steps without joining the chat.

Built with ElementTree, which escapes every text and attribute; ids and links are absolute,
on ``WEB_PUBLIC_URL`` when set (behind a proxy the request's own host is an inside name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from aiohttp import web

from bot.app.web import paths
from bot.app.web.board import community_of
from bot.app.web.pages import context, not_found
from bot.app.web.present import StepView

ATOM = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 cannot carry at all, escaped or not; a title may hold one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A feed reader polls; the newest steps are what it needs.
FEED_ENTRIES = 50


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str
    title: str
    link: str
    step: StepView


def routes() -> list[web.RouteDef]:
    return [
        web.get("/board/{platform}/{community}/feed.atom", board_feed),
        web.get(r"/board/{platform}/{community}/{number:\d{1,18}}/feed.atom", ticket_feed),
    ]


async def board_feed(request: web.Request) -> web.Response:
    found = await community_of(request)
    if isinstance(found, web.Response):
        return found
    community, name, present = found
    ctx = context(request)
    base = public_base(request)
    entries = [
        FeedEntry(
            f"{base}{paths.ticket(community, s.number)}#step-{s.id}",
            present.t(
                "web.step",
                number=s.number,
                title=s.title,
                actor=(view := present.step(s.entry)).actor,
                action=view.action,
            ),
            f"{base}{paths.ticket(community, s.number)}",
            view,
        )
        for s in await ctx.board.recent_steps(community.key, FEED_ENTRIES)
    ]
    title = present.t("web.feed_title", community=name)
    page = f"{base}{paths.board(community)}"
    return _atom(f"{base}{paths.board_feed(community)}", title, page, entries, present.now)


async def ticket_feed(request: web.Request) -> web.Response:
    found = await community_of(request)
    if isinstance(found, web.Response):
        return found
    community, _, present = found
    ctx = context(request)
    number = int(request.match_info["number"])
    shown = await ctx.board.ticket(community.key, number)
    if shown is None:
        return not_found(request, present)
    base = public_base(request)
    page = f"{base}{paths.ticket(community, number)}"
    history = await ctx.board.timeline(community.key, number)
    entries = [
        FeedEntry(
            f"{page}#step-{s.id}",
            f"{(view := present.step(s.entry)).actor} {view.action}",
            page,
            view,
        )
        for s in reversed(history)
    ]
    title = present.t("web.ticket_feed_title", number=number, title=shown.title)
    return _atom(f"{page}/feed.atom", title, page, entries[:FEED_ENTRIES], shown.opened_at)


def public_base(request: web.Request) -> str:
    configured = context(request).settings.web_public_url
    return configured or str(request.url.origin())


def _atom(
    feed_id: str, title: str, page: str, entries: Iterable[FeedEntry], empty_updated: datetime
) -> web.Response:
    entries = list(entries)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", feed_id)
    _text(feed, "title", title)
    _text(feed, "updated", _stamp(max((e.step.at for e in entries), default=empty_updated)))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=feed_id)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=page)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "Botschafter")
    for entry in entries:
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(item, "id", entry.id)
        _text(item, "title", entry.title)
        _text(item, "updated", _stamp(entry.step.at))
        ET.SubElement(item, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=entry.link)
        who = ET.SubElement(item, f"{{{ATOM}}}author")
        _text(who, "name", entry.step.actor)
        if entry.step.note:
            _text(item, "content", entry.step.note).set("type", "text")
    body = ET.tostring(feed, encoding="unicode", xml_declaration=True)
    return web.Response(text=body, content_type="application/atom+xml", charset="utf-8")


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = _NOT_XML.sub("", text)
    return element


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
