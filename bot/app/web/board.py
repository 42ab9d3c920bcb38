"""The public ticket board: the list of boards, a community's tickets, one ticket.

Nothing here needs a sign-in: every page shows only public tickets (`storage.board`), and
a community's board answers only where it is switched on (``community.board``). Filters
a visitor typed wrongly fall back to their defaults instead of failing.
"""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from bot.app.web.pages import context, not_found, presenter, render
from bot.app.web.present import Presenter
from bot.model import Community
from cogs.tickets.config import TicketsConfig
from storage.board import BoardQuery, Order, Show

PAGE_SIZE = 20
# Longer search text is cut: nobody types more, and each word is one more LIKE.
SEARCH_LIMIT = 200
SEARCH_WORDS = 8


def routes() -> list[web.RouteDef]:
    return [
        web.get("/", boards),
        web.get("/board/{platform}/{community}", board),
        web.get(r"/board/{platform}/{community}/{number:\d{1,18}}", ticket),
    ]


async def boards(request: web.Request) -> web.Response:
    """Every community whose board is on."""
    ctx = context(request)
    communities = await ctx.enabled_boards([*ctx.served, *await ctx.board.communities()])
    listed = [(c, await ctx.community_name(c)) for c in communities]
    return render(request, "boards.html", presenter(request), boards=listed)


async def board(request: web.Request) -> web.Response:
    found = await community_of(request)
    if isinstance(found, web.Response):
        return found
    community, name, present = found
    ctx = context(request)
    query = _query(request, community)
    page = await ctx.board.page(query)
    pages = max(1, -(-page.total // PAGE_SIZE))
    if query.offset >= pages * PAGE_SIZE:  # past the end (an old link): the last page
        query = replace(query, offset=(pages - 1) * PAGE_SIZE)
        page = await ctx.board.page(query)
    return render(
        request,
        "board.html",
        present,
        community=community,
        name=name,
        query_values=query,
        tickets=page.tickets,
        total=page.total,
        page=query.offset // PAGE_SIZE + 1,
        pages=pages,
        categories=await _categories(request, community),
        shows=list(Show),
        orders=list(Order),
    )


async def ticket(request: web.Request) -> web.Response:
    found = await community_of(request)
    if isinstance(found, web.Response):
        return found
    community, name, present = found
    ctx = context(request)
    number = int(request.match_info["number"])
    shown = await ctx.board.ticket(community.key, number)
    if shown is None:
        return not_found(request, present)
    steps = [present.step(s.entry) for s in await ctx.board.timeline(community.key, number)]
    return render(
        request, "ticket.html", present, community=community, name=name, ticket=shown, steps=steps
    )


async def community_of(
    request: web.Request,
) -> tuple[Community, str, Presenter] | web.Response:
    """The community in the path, its name and the page's presenter; or the answer that
    it has no board: not found, or switched off."""
    ctx = context(request)
    community = Community(request.match_info["platform"], request.match_info["community"])
    if not await ctx.known(community.key):
        return not_found(request)
    config = await ctx.services.config.get(community)
    present = presenter(request, config.community.locale)
    if not await ctx.board_enabled(community):
        return render(request, "board_off.html", present, status=404)
    return community, await ctx.community_name(community), present


async def _categories(request: web.Request, community: Community) -> list[str]:
    """The categories members pick from (``tickets.categories``), for the filter."""
    config = await context(request).services.config.get(community)
    return list(config.section("tickets", TicketsConfig).categories)


def _query(request: web.Request, community: Community) -> BoardQuery:
    values = request.query
    show = values.get("show", Show.OPEN.value)
    order = values.get("sort", Order.VOTES.value)
    try:
        page = max(1, min(int(values.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    search = " ".join(values.get("q", "")[:SEARCH_LIMIT].split()[:SEARCH_WORDS])
    return BoardQuery(
        community=community.key,
        show=Show(show) if show in Show.__members__.values() else Show.OPEN,
        category=values.get("category", "").strip().lower() or None,
        search=search,
        order=Order(order) if order in Order.__members__.values() else Order.VOTES,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
