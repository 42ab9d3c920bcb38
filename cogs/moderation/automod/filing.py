"""The platform's own filter (Discord's AutoMod) on the flag desk: one flag per message.

Each action AutoMod took arrives as its own `FilterActed` event, and the bot's own rules
may see the same message too; all of them end up on one flag entry:

- a message AutoMod let through (an alert or a timeout without a block) has its id, so
  it is filed like any flagged message: the bot's own hits on it, and every further
  action's event, land on the same entry (hits are unique per message and rule);
- a blocked message has no id: its events are paired in storage (`storage.automod`) and
  the execution's id stands in for the message (``blocked:<id>``), so a block and its
  alert make one entry, and the same text sent twice makes two.

The entry is a hit of the rule ``AutoMod: <rule name>``, folded into the author's open
flag like any other breach, settled with the same reactions; deleting a blocked message
deletes nothing, as it never existed.
"""

from __future__ import annotations

from bot.cog import Services
from bot.events import FilterActed, FilterAction
from bot.model import MessageRef
from bot.text import excerpt
from cogs.moderation.config import ModerationConfig
from cogs.moderation.desk import FlagDesk
from cogs.moderation.rules import Action
from cogs.moderation.rules.credentials import secret_spans
from cogs.moderation.snapshots import STORED_CHARS, redacted
from cogs.moderation.view import BLOCKED
from storage.automod import ExecutionEvent, pair
from storage.moderation import HitReason, MessageSnapshot, ModerationRepository, NewHit

# Before the rule's name on a flag, so moderators tell AutoMod's rules from the bot's.
RULE_PREFIX = "AutoMod: "
# The catalogs' [reason] key for AutoMod's hits.
REASON = "automod"


class FilterDesk:
    def __init__(self, services: Services, repo: ModerationRepository, desk: FlagDesk) -> None:
        self._services = services
        self._repo = repo
        self._desk = desk

    async def file(self, event: FilterActed) -> None:
        if event.member.is_bot:
            return
        community = event.community
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        now = self._services.clock.now()
        link = await self._permalink(event)
        async with self._services.db.transaction() as tx:
            message_id = event.message_id
            if message_id is None:
                paired = await pair(tx, _execution(event))
                message_id = f"{BLOCKED}{paired.execution_id}"
            recorded = await self._repo.record_hits(
                community.key,
                _snapshot(event, message_id, link),
                [_hit(event)],
                now,
                now - section.fold_window,
                tx=tx,
            )
            written = None
            if recorded.new and recorded.filed is not None:
                written = await self._desk.publish(tx, community, recorded.filed.flag.id)
        if written is not None:
            await self._services.outbox.deliver(written)

    async def _permalink(self, event: FilterActed) -> str:
        """A link to the message when it was posted; a blocked one has none."""
        if event.message_id is None:
            return ""
        platform = self._services.platform(event.community)
        return await platform.permalink(MessageRef(event.channel, event.message_id))


def _execution(event: FilterActed) -> ExecutionEvent:
    return ExecutionEvent(
        community=event.community.key,
        rule_id=event.rule_id,
        user_id=event.member.id,
        channel_id=event.channel.id,
        content=event.content,
        action=event.action.value,
        alert_message_id=event.alert_id,
        at=event.at,
    )


def _snapshot(event: FilterActed, message_id: str, link: str) -> MessageSnapshot:
    return MessageSnapshot(
        channel_id=event.channel.id,
        channel_name=event.channel.name,
        message_id=message_id,
        author_id=event.member.id,
        author_name=event.member.shown_name,
        excerpt=excerpt(_without_secrets(event.content), STORED_CHARS),
        permalink=link,
        posted_at=event.at,
    )


def _hit(event: FilterActed) -> NewHit:
    blocked = event.message_id is None or event.action is FilterAction.BLOCK
    return NewHit(
        rule=f"{RULE_PREFIX}{event.rule_name}",
        action=Action.DELETE_AND_FLAG if blocked else Action.FLAG,
        matched=_without_secrets(event.matched or event.keyword),
        reasons=(
            HitReason(
                REASON, (("keyword", _without_secrets(event.keyword or event.matched or "…")),)
            ),
        ),
    )


def _without_secrets(text: str) -> str:
    """AutoMod's text with any token or key in it redacted: the bot's rules never saw a
    blocked message, and a flag must not show a secret (a server's own rule may even have
    matched the token itself)."""
    return redacted(text, secret_spans(text))
