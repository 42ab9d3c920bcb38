"""Signed sign-in links and sessions for the insights pages, without passwords.

`/dashboard` in chat sends a member a link carrying a token signed with the bot's key
(HMAC-SHA256): it names the member and the community, lives 10 minutes and opens once
(the web side records its id). Opening it gives a session cookie signed the same way.
Neither token grants anything by itself: every insights page asks `may_see_insights`
again with the member as the platform shows them now, so a demoted member loses access on
their next request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.commands import Permission
from bot.config import Roles
from bot.model import Community, Member
from bot.permissions import has_permission
from storage.web_signin import SignInStore

if TYPE_CHECKING:
    from bot.cog import Services

LINK_LIFETIME = timedelta(minutes=10)
# A working day: long enough to read and compare, short enough that a lost laptop's
# cookie stops working soon. Access itself is checked on every request regardless.
SESSION_LIFETIME = timedelta(hours=8)
SIGNIN_PATH = "/signin"


class Kind(StrEnum):
    LINK = "link"
    SESSION = "session"


class Refused(StrEnum):
    """Why a token opens nothing; each has its own polite page."""

    TAMPERED = "tampered"  # not signed by us, or not a token at all
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True, slots=True)
class Claims:
    kind: Kind
    community: str
    member_id: str
    expires: datetime
    id: str


def may_see_insights(member: Member, roles: Roles) -> bool:
    """Admins, ambassadors and moderators: whoever holds either staff level."""
    return has_permission(member, Permission.AMBASSADOR, roles) or has_permission(
        member, Permission.MODERATOR, roles
    )


def issue(key: str, kind: Kind, community: str, member_id: str, now: datetime) -> str:
    lifetime = LINK_LIFETIME if kind is Kind.LINK else SESSION_LIFETIME
    claims = {
        "k": kind.value,
        "c": community,
        "m": member_id,
        "e": int((now + lifetime).timestamp()),
        "n": secrets.token_urlsafe(12),
    }
    body = _encode(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_sign(key, body)}"


def read(key: str, token: str, kind: Kind, now: datetime) -> Claims | Refused:
    """The token's claims if we signed it for `kind` and it has not expired."""
    body, _, signature = token.partition(".")
    if not body or not hmac.compare_digest(signature.encode(), _sign(key, body).encode()):
        return Refused.TAMPERED
    try:
        raw = json.loads(_decode(body))
        claims = Claims(
            Kind(raw["k"]),
            str(raw["c"]),
            str(raw["m"]),
            datetime.fromtimestamp(int(raw["e"]), UTC),
            str(raw["n"]),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        return Refused.TAMPERED
    if claims.kind is not kind:
        return Refused.TAMPERED
    if claims.expires <= now:
        return Refused.EXPIRED
    return claims


def insights_path(community: Community) -> str:
    """Where a community's insights live on the web server."""
    return f"/insights/{community.platform}/{community.id}"


def link(base_url: str, token: str) -> str:
    return f"{base_url}{SIGNIN_PATH}?token={token}"


def _sign(key: str, body: str) -> str:
    return _encode(hmac.new(key.encode(), body.encode(), hashlib.sha256).digest())


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def signing_key(services: Services) -> str:
    """WEB_SECRET when set, else the key kept in the database (made on first use)."""
    if services.web_secret:
        return services.web_secret
    return await SignInStore(services.db).signing_key(services.clock.now())
