"""Who is signed in to the insights pages, checked again on every request.

The session cookie (`bot.signin`, kind "session") says which member of which community
signed in; it grants nothing by itself. Each insights request fetches that member from
the platform as they are now and asks `may_see_insights` with the community's current
roles, so a member demoted since sign-in is refused on their next request.

The cookie is HttpOnly and SameSite=Lax always, and Secure when the page is served over
HTTPS: WEB_PUBLIC_URL starts with https, the connection itself is TLS, or a reverse proxy
on this machine (127.0.0.1 or ::1, the only proxy we trust) says ``X-Forwarded-Proto:
https``.
"""

from __future__ import annotations

from enum import StrEnum

from aiohttp import web

from bot import signin
from bot.app.web.pages import context
from bot.model import Community, Member, UserRef

COOKIE = "botschafter_session"
TRUSTED_PROXIES = frozenset({"127.0.0.1", "::1"})


class Denied(StrEnum):
    """Why the insights pages are not shown; each has its own polite page."""

    SIGNED_OUT = "signed_out"  # no session, an expired or a forged one
    OTHER_COMMUNITY = "other_community"
    NOT_STAFF = "not_staff"  # not (or no longer) an admin, ambassador or moderator
    UNREACHABLE = "unreachable"  # the platform cannot tell us who the member is now


def over_https(request: web.Request) -> bool:
    public = context(request).settings.web_public_url or ""
    forwarded = request.headers.get("X-Forwarded-Proto", "").lower() == "https"
    return (
        public.startswith("https://")
        or request.secure
        or (forwarded and request.remote in TRUSTED_PROXIES)
    )


def start(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(signin.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=over_https(request),
        path="/",
    )


def end(request: web.Request, response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/", secure=over_https(request), samesite="Lax")


async def staff_member(request: web.Request, community: Community) -> Member | Denied:
    """The signed-in member, if they may see this community's insights right now."""
    ctx = context(request)
    token = request.cookies.get(COOKIE)
    if not token:
        return Denied.SIGNED_OUT
    key = await signin.signing_key(ctx.services)
    claims = signin.read(key, token, signin.Kind.SESSION, ctx.services.clock.now())
    if isinstance(claims, signin.Refused):
        return Denied.SIGNED_OUT
    if claims.community != community.key:
        return Denied.OTHER_COMMUNITY
    return await current_staff(request, community, claims.member_id)


async def current_staff(
    request: web.Request, community: Community, member_id: str
) -> Member | Denied:
    """The member as the platform shows them now, if they hold a staff level."""
    services = context(request).services
    try:
        member = await services.platform(community).fetch_member(UserRef(community, member_id))
    except Exception:  # not connected here, or the platform is down: no answer either way
        return Denied.UNREACHABLE
    roles = (await services.config.get(community)).community.roles
    if member is None or not signin.may_see_insights(member, roles):
        return Denied.NOT_STAFF
    return member
