"""Watch words: the ambassadors hear about a member and a topic once per window.

A watch-word rule (action ``notify_ambassadors``) is a topic to follow up, not a breach.
The first mention by a member posts a notice in the ambassadors' channel; each repeat
within ``[moderation] watch_window`` counts on that notice and edits it ("3 times since
14:02", with the latest message), so the people on call read one line per member and
topic instead of one per message. After the window the next mention starts a new notice.

Every step is state plus an outbox entry in one transaction (storage.watch_notices): a
repeat arriving while the first post is still on its way is edited in once the post is
there, a notice someone deleted is posted again on the next repeat, and a restart neither
loses a count nor posts twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bot.cog import Services
from bot.delivery import Outcome, Pending, Then
from bot.effects import Edit, Post
from bot.errors import NotFound
from bot.model import ChannelRef, Community, MessageRef, PostedMessage
from bot.outgoing import ChannelMention, Link, OutgoingMessage
from bot.text import excerpt
from cogs.moderation.config import ModerationConfig
from cogs.moderation.rule_names import rule_name
from cogs.moderation.rules import RuleMatch
from cogs.moderation.view import format_time
from storage import watch_notices
from storage.database import Transaction
from storage.moderation import MessageSnapshot
from storage.watch_notices import Mention, WatchNotice

log = logging.getLogger(__name__)

# Continuations of a notice's post and of its edits.
WATCH_POSTED = "moderation.watch_posted"
WATCH_EDITED = "moderation.watch_edited"
WATCH_EXCERPT_CHARS = 200


class WatchNotices:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def tell(
        self,
        tx: Transaction,
        message: PostedMessage,
        snap: MessageSnapshot,
        watched: Sequence[RuleMatch],
        section: ModerationConfig,
    ) -> list[Pending]:
        """Count the message on its author's notice for each topic it mentions; returns
        the posts and edits to deliver."""
        community = message.ref.community
        config = await self._services.config.get(community)
        platform = self._services.platform(community)
        channel = await platform.find_channel(community, config.community.channels.ambassadors)
        if channel is None:
            log.warning("watch words matched but %s has no ambassadors' channel", community.key)
            return []
        locale = self._services.i18n.pick_locale(None, config.community.locale)
        written: list[Pending] = []
        for topic in dict.fromkeys(m.rule for m in watched):
            mention = Mention(
                member_id=message.author.id,
                author_name=message.author.shown_name,
                topic=topic,
                channel_id=message.ref.channel.id,
                channel_name=message.ref.channel.name,
                excerpt=excerpt(snap.excerpt, WATCH_EXCERPT_CHARS),
                permalink=snap.permalink,
                at=snap.posted_at,
            )
            notice = await watch_notices.note(tx, community.key, mention, section.watch_window)
            pending = await self._show(tx, notice, channel, locale, section)
            written.extend([pending] if pending else [])
        return written

    async def posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """The notice is on the platform: remember where, and edit in the repeats that came
        while it was on its way."""
        notice_id, round_ = int(data["notice"]), int(data["round"])
        if outcome.error is not None:
            log.warning("could not post watch notice %s: %s", notice_id, outcome.error)
            await watch_notices.failed(tx, notice_id, round_)  # the next repeat tries again
            return
        ref: MessageRef = outcome.result
        notice = await watch_notices.posted(
            tx, notice_id, round_, ref.channel.id, ref.id, int(data["count"])
        )
        if notice is not None and notice.count > notice.shown:
            await self._edit(tx, notice, ref, data)

    async def edited(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """An edit went through, or found the notice deleted: then it is posted again."""
        notice_id, round_ = int(data["notice"]), int(data["round"])
        if outcome.error is None:
            await watch_notices.shown(tx, notice_id, round_, int(data["count"]))
            return
        if not isinstance(outcome.error, NotFound):
            log.warning("could not edit watch notice %s: %s", notice_id, outcome.error)
            return
        notice = await watch_notices.lost(tx, notice_id, round_)
        if notice is not None:
            community = Community.from_key(notice.community)
            channel = ChannelRef(community, str(data["channel"]), str(data["channel_name"]))
            await self._post(tx, notice, channel, data, again=True)

    # -- helpers ----------------------------------------------------------------------------

    async def _show(
        self,
        tx: Transaction,
        notice: WatchNotice,
        channel: ChannelRef,
        locale: str,
        section: ModerationConfig,
    ) -> Pending | None:
        data = {
            "notice": notice.id,
            "round": notice.round,
            "count": notice.count,
            "channel": channel.id,
            "channel_name": channel.name,
            "locale": locale,
            "topic": rule_name(self._services.i18n, locale, section, notice.topic),
        }
        if notice.new:
            return await self._post(tx, notice, channel, data, again=False)
        if notice.failed:
            await watch_notices.retrying(tx, notice.id, notice.round)
            return await self._post(tx, notice, channel, data, again=True)
        if notice.post_channel_id is None or notice.post_message_id is None:
            return None  # the post is on its way; its continuation edits the count in
        posted = ChannelRef(channel.community, notice.post_channel_id, channel.name)
        return await self._edit(tx, notice, MessageRef(posted, notice.post_message_id), data)

    async def _post(
        self,
        tx: Transaction,
        notice: WatchNotice,
        channel: ChannelRef,
        data: dict[str, Any],
        *,
        again: bool,
    ) -> Pending:
        data = {**data, "count": notice.count}
        step = f"again:{notice.count}" if again else "post"
        return await self._services.outbox.add(
            tx,
            Post(channel, self._render(notice, data), allow_pings=False),
            key=f"{_key(notice)}:{step}",
            then=Then(WATCH_POSTED, data),
        )

    async def _edit(
        self, tx: Transaction, notice: WatchNotice, ref: MessageRef, data: dict[str, Any]
    ) -> Pending:
        data = {**data, "count": notice.count}
        return await self._services.outbox.add(
            tx,
            Edit(ref, self._render(notice, data)),
            key=f"{_key(notice)}:edit:{notice.count}",
            then=Then(WATCH_EDITED, data),
        )

    def _render(self, notice: WatchNotice, data: dict[str, Any]) -> OutgoingMessage:
        i18n, locale = self._services.i18n, str(data["locale"])
        link = Link(notice.permalink, i18n.text("flag.jump", locale)) if notice.permalink else ""
        text = i18n.t(
            "watch.notice" if notice.count == 1 else "watch.repeated",
            locale,
            author=notice.author_name,
            topics=str(data["topic"]),
            channel=ChannelMention(notice.channel_id, notice.channel_name),
            excerpt=notice.excerpt,
            link=link,
            count=notice.count,
            since=format_time(notice.opened_at, locale),
        )
        return OutgoingMessage(text=text)


def _key(notice: WatchNotice) -> str:
    """Outbox keys of one notice's round; the start keeps them apart should an id ever be
    used again after old notices were pruned."""
    opened = int(notice.opened_at.timestamp() * 1_000_000)
    return f"moderation:watch:{notice.id}:{notice.round}:{opened}"
