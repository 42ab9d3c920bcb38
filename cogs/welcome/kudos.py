"""Kudos: members thank each other in public, and the month's most-thanked are shown.

"Praise member contributions" from the ambassador's checklist, made easy for everyone.
A thank-you is stored together with its post (an outbox entry), and the giver hears
"posted" only once it is; self-kudos and kudos for bots are refused;
each giver has a budget per window so kudos stay meaningful and cannot be farmed.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from bot import formatting
from bot.cog import Services
from bot.delivery import Outcome
from bot.effects import Post
from bot.errors import UserError
from bot.interaction import Interaction
from bot.model import ChannelRef, Member, UserRef
from bot.outgoing import ChannelMention, Mention, OutgoingMessage, Rich, join
from bot.spans import last_span
from cogs.welcome.greeting import settings_of
from storage.kudos import KudosRepository, LeaderboardEntry, RateLimited

# A top ten fits one screen and still names more than the usual two or three regulars.
LEADERBOARD_SIZE = 10


def month_start(moment: datetime) -> datetime:
    """The start of the calendar month (UTC) that `moment` falls in."""
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class Kudos:
    def __init__(self, services: Services, repository: KudosRepository) -> None:
        self.services = services
        self.repository = repository

    async def give(self, interaction: Interaction) -> None:
        settings = settings_of(interaction.config).kudos
        if not settings.enabled:
            raise UserError(interaction.i18n.text("kudos.off", interaction.locale))
        giver = interaction.member
        receiver = await self._receiver(interaction)
        reason = await self.services.screen.allowed(
            giver,
            interaction.locale,
            "kudos_reason",
            interaction.args.text("reason") or "",
            interaction.channel,
        )
        now = self.services.clock.now()
        window = timedelta(hours=settings.window_hours)
        target = await self._channel(interaction, settings.channel)
        async with self.services.db.transaction() as tx:
            result = await self.repository.give(
                tx,
                giver.community.key,
                giver.id,
                receiver.id,
                receiver.shown_name,
                reason,
                now,
                limit=settings.limit,
                window=window,
                count_since=month_start(now),
            )
            if isinstance(result, RateLimited):
                wait = _round_up_to_minute(result.retry_at - now)
                raise UserError(
                    interaction.i18n.text(
                        "kudos.rate_limited",
                        interaction.locale,
                        limit=settings.limit,
                        window=last_span(interaction.i18n, window, interaction.locale),
                        wait=formatting.duration(wait, interaction.locale),
                    )
                )
            thanks = OutgoingMessage(
                text=interaction.t_public(
                    "kudos.thanks",
                    giver=giver.shown_name,
                    receiver=Mention(receiver.id, receiver.shown_name),
                    name=receiver.shown_name,
                    reason=reason,
                    count=result.receiver_since,
                )
            )
            posting = None
            if target is not None:
                posting = await self.services.outbox.add(
                    tx,
                    Post(target, thanks),
                    key=f"kudos:{giver.community.key}:{result.id}:post",
                )
        if posting is None:
            await interaction.reply(thanks, private=False)
            return
        assert target is not None
        (outcome,) = await self.services.outbox.deliver(posting)
        await interaction.say(_confirmation(outcome), private=True, channel=_mention(target))

    async def top(self, interaction: Interaction) -> None:
        now = self.services.clock.now()
        since = month_start(now)
        community = interaction.community
        entries = await self.repository.leaderboard(community.key, since, LEADERBOARD_SIZE)
        own = await self.repository.received(community.key, interaction.member.id, since)
        # The board is public: in the community's language, and "you" needs a name.
        t = interaction.t_public
        body: list[Rich] = [
            t("kudos.top.title", month=formatting.month(now, interaction.community_locale))
        ]
        if not entries:
            body.append(t("kudos.top.empty"))
        for rank, entry in enumerate(entries, start=1):
            name = await self._current_name(interaction, entry)
            body.append(t("kudos.top.line", rank=rank, name=name, count=entry.count))
        body.append(t("kudos.top.yours", name=interaction.member.shown_name, count=own))
        await interaction.reply(join(body))

    async def _receiver(self, interaction: Interaction) -> Member:
        target = interaction.args["member"]
        if not isinstance(target, UserRef):
            raise UserError(interaction.i18n.text("kudos.not_member", interaction.locale))
        if target.id == interaction.member.id:
            raise UserError(interaction.i18n.text("kudos.self", interaction.locale))
        receiver = await interaction.platform.fetch_member(target)
        if receiver is None:
            raise UserError(interaction.i18n.text("kudos.not_member", interaction.locale))
        if receiver.is_bot:
            raise UserError(interaction.i18n.text("kudos.bot", interaction.locale))
        return receiver

    async def _channel(self, interaction: Interaction, channel: str) -> ChannelRef | None:
        """Where the thanks is posted: the kudos channel if one is set and exists, else
        where the command was given. Either way it is a post through the outbox, so it is
        stored with the kudos and cannot be lost to a crash the way a reply could."""
        if channel:
            target = await interaction.platform.find_channel(interaction.community, channel)
            if target is not None:
                return target
        return interaction.channel

    async def _current_name(self, interaction: Interaction, entry: LeaderboardEntry) -> str:
        member = await interaction.platform.fetch_member(
            UserRef(interaction.community, entry.receiver_id)
        )
        return member.shown_name if member is not None else entry.receiver_name


def _confirmation(outcome: Outcome) -> str:
    """What the giver hears: posted, waiting for the platform, or not posted at all."""
    if outcome.delivered:
        return "kudos.posted_in"
    if outcome.queued:
        return "kudos.post_queued"
    return "kudos.post_failed"


def _mention(channel: ChannelRef) -> ChannelMention:
    return ChannelMention(channel.id, channel.name)


def _round_up_to_minute(delta: timedelta) -> timedelta:
    return timedelta(minutes=max(math.ceil(delta.total_seconds() / 60), 1))
