"""The insights pages of a community, for its admins, ambassadors and moderators.

Sign-in: ``/dashboard`` in chat sends a link to ``/signin?token=…``. Opening it shows a
button; only pressing it (a POST) uses the link up and starts the session. Chat apps
open links to preview them, and a preview must not spend a one-time link. A tampered,
expired or used link, and a member who is not staff, get a page saying what to do.

Every page, chart and CSV here checks the member again (`sessions.staff_member`). The
date range is ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (both days included), by default the
last 12 weeks; a range typed wrongly is said so and the default shown instead.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NoReturn

from aiohttp import web

from bot import signin
from bot.app.web import charts, sessions
from bot.app.web.insight_tables import Table, moderation_tables, ticket_tables, welcome_tables
from bot.app.web.pages import context, not_found, presenter, render
from bot.app.web.present import Presenter
from bot.model import Community
from storage.insights import Insights
from storage.web_signin import SignInStore

DEFAULT_WEEKS = 12
# Further back than this is no range anyone means (and would be a slow page for nothing).
LONGEST = timedelta(days=3 * 366)
PREFIX = "/insights/{platform}/{community}"


def routes() -> list[web.RouteDef]:
    return [
        web.get(signin.SIGNIN_PATH, signin_page),
        web.post(signin.SIGNIN_PATH, signin_post),
        web.post("/signout", signout),
        web.get(PREFIX, page),
        web.get(PREFIX + "/{table}.csv", download),
        web.get(PREFIX + "/{table}.svg", chart),
    ]


@dataclass(frozen=True, slots=True)
class Range:
    start: date
    end: date  # exclusive
    error: str = ""

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def moments(self) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.start, time(), UTC),
            datetime.combine(self.end, time(), UTC),
        )

    def query(self) -> str:
        return f"from={self.start.isoformat()}&to={self.last.isoformat()}"


async def signin_page(request: web.Request) -> web.Response:
    """The link from the DM: checked (not used) and a button to sign in."""
    present = presenter(request)
    token = request.query.get("token", "")
    claims = await _check(request, token)
    if isinstance(claims, signin.Refused):
        return _refused(request, present, claims)
    return render(request, "signin.html", present, token=token)


async def signin_post(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = str(form.get("token", ""))
    present = presenter(request)
    ctx = context(request)
    now = ctx.services.clock.now()
    claims = await _check(request, token)
    if not isinstance(claims, signin.Claims):
        return _refused(request, present, claims)
    community = Community.from_key(claims.community)
    member = await sessions.current_staff(request, community, claims.member_id)
    if isinstance(member, sessions.Denied):
        return _refused(request, present, member)
    used = SignInStore(ctx.services.db)
    if not await used.use_link(claims.id, claims.community, claims.member_id, now, claims.expires):
        return _refused(request, present, signin.Refused.USED)
    key = await signin.signing_key(ctx.services)
    session = signin.issue(key, signin.Kind.SESSION, claims.community, claims.member_id, now)
    response = web.HTTPSeeOther(signin.insights_path(community))
    sessions.start(request, response, session)
    raise response


async def signout(request: web.Request) -> NoReturn:
    response = web.HTTPSeeOther("/")
    sessions.end(request, response)
    raise response


async def page(request: web.Request) -> web.Response:
    found = await _staff(request)
    if isinstance(found, web.Response):
        return found
    community, present = found
    span = _range(request, present, context(request).services.clock.now().date())
    tables = await _tables(request, community, present, span)
    response = render(
        request,
        "insights.html",
        present,
        community=community,
        name=await context(request).community_name(community),
        span=span,
        base=signin.insights_path(community),
        sections=tables,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def download(request: web.Request) -> web.Response:
    """One table as CSV: the same rows as on the page."""
    found = await _find(request)
    if isinstance(found, web.Response):
        return found
    table, community = found
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    response = web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8")
    filename = f"{community.platform}-{community.id}-{table.name}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def chart(request: web.Request) -> web.Response:
    found = await _find(request)
    if isinstance(found, web.Response):
        return found
    table, _ = found
    if table.chart is None:
        return not_found(request)
    labels, series = table.counts()
    body = charts.bars(table.title, labels, series, stacked=table.chart.stacked)
    response = web.Response(body=body, content_type="image/svg+xml")
    response.headers["Content-Security-Policy"] = charts.CHART_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def _find(request: web.Request) -> tuple[Table, Community] | web.Response:
    found = await _staff(request)
    if isinstance(found, web.Response):
        return found
    community, present = found
    span = _range(request, present, context(request).services.clock.now().date())
    sections = await _tables(request, community, present, span)
    wanted = request.match_info["table"]
    for _, tables in sections:
        for table in tables:
            if table.name == wanted:
                return table, community
    return not_found(request, present)


async def _tables(
    request: web.Request, community: Community, present: Presenter, span: Range
) -> list[tuple[str, list[Table]]]:
    services = context(request).services
    insights = Insights(services.db)
    start, end = span.moments()
    now = services.clock.now()
    tickets = await insights.tickets(community.key, start, end, now)
    moderation = await insights.moderation(community.key, start, end)
    welcome = await insights.welcome(community.key, start, end, now)
    return [
        (present.t("insights.tickets"), ticket_tables(present, tickets, span.start, span.end)),
        (present.t("insights.moderation"), moderation_tables(present, moderation)),
        (present.t("insights.welcome"), welcome_tables(present, welcome, span.start, span.end)),
    ]


async def _staff(request: web.Request) -> tuple[Community, Presenter] | web.Response:
    """The community in the path and the page's presenter, for a signed-in staff member;
    else the page that says why not."""
    ctx = context(request)
    community = Community(request.match_info["platform"], request.match_info["community"])
    config = await ctx.services.config.get(community)
    present = presenter(request, config.community.locale)
    member = await sessions.staff_member(request, community)
    if isinstance(member, sessions.Denied):
        return _refused(request, present, member)
    return community, present


async def _check(request: web.Request, token: str) -> signin.Claims | signin.Refused:
    services = context(request).services
    key = await signin.signing_key(services)
    return signin.read(key, token, signin.Kind.LINK, services.clock.now())


def _refused(
    request: web.Request, present: Presenter, why: signin.Refused | sessions.Denied
) -> web.Response:
    status = 503 if why is sessions.Denied.UNREACHABLE else 403
    response = render(request, "refused.html", present, status=status, why=why.value)
    response.headers["Cache-Control"] = "no-store"
    return response


def _range(request: web.Request, present: Presenter, today: date) -> Range:
    default = Range(
        today - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1), today + timedelta(days=1)
    )
    given_from, given_to = request.query.get("from", ""), request.query.get("to", "")
    if not given_from and not given_to:
        return default
    try:
        start = date.fromisoformat(given_from) if given_from else default.start
        last = date.fromisoformat(given_to) if given_to else default.last
    except ValueError:
        return Range(default.start, default.end, present.t("insights.bad_date"))
    if last < start:
        return Range(default.start, default.end, present.t("insights.backwards"))
    if last - start > LONGEST:
        return Range(default.start, default.end, present.t("insights.too_long"))
    return Range(start, last + timedelta(days=1))
