"""Private notes with a public fallback: whoever cannot be told privately is mentioned.

A note to several people (the watchers of a resolved ticket) is a chain of outbox entries:
one direct message after another, each written by the continuation of the one before, with
the names of those it could not reach carried along. After the last, one post mentions all
of them in the ticket's conversation (so members see one "@Ben, @Cy: ..." rather than a post
each), and then, if asked for, the thread is archived: after the mentions, since a post in
an archived thread would open it again. Every entry of a chain is keyed by the one before,
so a re-run adds nothing twice. While one recipient's message waits out an outage, the
rest of the chain waits with it: the fallback post needs to know everyone's outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.codec import decode, encode
from bot.cog import Services
from bot.delivery import Outcome, Then
from bot.effects import ArchiveThread, DirectMessage, Post
from bot.errors import PlatformError
from bot.model import ChannelRef, Community, UserRef
from bot.outgoing import Markup, Mention, OutgoingMessage, Rich, Segment, rich
from bot.platform import Capability
from cogs.tickets.refused import POSTED_AGAIN, retry_data
from storage.database import Transaction

if TYPE_CHECKING:
    from cogs.tickets.announce import Notices

# Continuations (registered by the cog, see `handlers`).
DIRECT_DONE = "tickets.direct-done"
NOTICE_SENT = "tickets.notice-sent"


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: str
    name: str
    locale: str | None


class PrivateNotes:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def recipient(self, community: Community, user_id: str, name: str) -> Recipient:
        """Someone to notify who is not a watcher (an owner): their language if the platform
        knows it; else the community's."""
        try:
            member = await self._services.platform(community).fetch_member(
                UserRef(community, user_id)
            )
        except PlatformError:
            member = None
        return Recipient(user_id, name, member.locale if member else None)

    # -- one note ---------------------------------------------------------------------------

    async def direct(
        self,
        notices: Notices,
        community: Community,
        user_id: str,
        message: OutgoingMessage,
        fallback: tuple[ChannelRef, OutgoingMessage] | None = None,
    ) -> bool:
        """Send a private message; where it cannot be delivered (DMs closed, the member
        gone, refused) the `fallback` is posted instead. False when the platform has no
        DMs (nothing is written then)."""
        platform = self._services.platform(community)
        if Capability.DIRECT_MESSAGES not in platform.capabilities:
            return False
        key = notices.next_key()
        then = None
        if fallback is not None:
            where, public = fallback
            data = {"key": key, "where": encode(where), "message": encode(public)}
            then = Then(DIRECT_DONE, data)
        await notices.add(DirectMessage(UserRef(community, user_id), message), key=key, then=then)
        return True

    async def direct_done(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """A private note that did not reach its member goes to its public fallback (which
        is written again a few times if the platform refuses it)."""
        if outcome.error is None:
            return
        post = Post(decode(data["where"]), decode(data["message"]))
        key = f"{data['key']}:fallback"
        await self._services.outbox.add(
            tx, post, key=key, then=Then(POSTED_AGAIN, retry_data(post, key))
        )

    # -- one note to several people ---------------------------------------------------------

    async def notify(
        self,
        notices: Notices,
        community: Community,
        where: ChannelRef | None,
        recipients: Iterable[Recipient],
        text: tuple[str, dict[str, Segment | str | int]],
        *,
        archive: ChannelRef | None = None,
    ) -> None:
        """Tell each recipient the catalog `text` privately in their language; mention in
        one post in `where` whoever cannot be reached privately; then archive `archive`."""
        key, values = text
        i18n = self._services.i18n
        public = i18n.t(key, notices.locale, **values)
        private = [
            (
                r,
                OutgoingMessage(
                    text=i18n.t(key, i18n.pick_locale(r.locale, notices.locale), **values)
                ),
            )
            for r in recipients
        ]
        platform = self._services.platform(community)
        if not private or Capability.DIRECT_MESSAGES not in platform.capabilities:
            unreachable = [(r.user_id, r.name) for r, _ in private]
            await self._close(notices, where, public, unreachable, archive)
            return
        (first, message), *rest = private
        key = notices.next_key()
        data = {
            "key": key,
            "sent": 1,
            "community": community.key,
            "where": encode(where),
            "public": encode(public),
            "archive": encode(archive),
            "current": [first.user_id, first.name],
            "rest": [[r.user_id, r.name, encode(m)] for r, m in rest],
            "unreachable": [],
        }
        await notices.add(
            DirectMessage(UserRef(community, first.user_id), message),
            key=key,
            then=Then(NOTICE_SENT, data),
        )

    async def notice_sent(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """One note of a chain is settled: send the next, or end the chain."""
        community = Community.from_key(data["community"])
        unreachable = [list(pair) for pair in data["unreachable"]]
        if outcome.error is not None:
            unreachable.append(data["current"])
        outbox = self._services.outbox
        base, sent = str(data["key"]), int(data["sent"])
        if data["rest"]:
            (user_id, name, message), *later = data["rest"]
            following = {
                **data,
                "sent": sent + 1,
                "current": [user_id, name],
                "rest": later,
                "unreachable": unreachable,
            }
            await outbox.add(
                tx,
                DirectMessage(UserRef(community, user_id), decode(message)),
                key=f"{base}:{sent + 1}",
                then=Then(NOTICE_SENT, following),
            )
            return
        where, archive = decode(data["where"]), decode(data["archive"])
        if unreachable and where is not None:
            post = Post(where, OutgoingMessage(text=_mentions(unreachable, decode(data["public"]))))
            key = f"{base}:fallback"
            await outbox.add(tx, post, key=key, then=Then(POSTED_AGAIN, retry_data(post, key)))
        if archive is not None:
            await outbox.add(tx, ArchiveThread(archive, lock=True), key=f"{base}:archive")

    async def _close(
        self,
        notices: Notices,
        where: ChannelRef | None,
        public: Rich,
        unreachable: list[tuple[str, str]],
        archive: ChannelRef | None,
    ) -> None:
        """End a note nobody could be sent privately, in the change's own transaction."""
        if unreachable and where is not None:
            await notices.add(Post(where, OutgoingMessage(text=_mentions(unreachable, public))))
        if archive is not None:
            await notices.add(ArchiveThread(archive, lock=True))


def _mentions(people: Iterable[tuple[str, str] | list[str]], public: Rich) -> Rich:
    """``@Ben, @Cy: <text>``."""
    segments: list[Segment] = []
    for index, (user_id, name) in enumerate(people):
        if index:
            segments.append(Markup(", "))
        segments.append(Mention(user_id, name))
    return rich(segments, Markup(": "), public)
