"""Composing a welcome in the newcomer's language and delivering it.

A welcome is one of several template variants (the admin's for the member's language, else
the shipped ones), picked with an injectable random source so tests are repeatable. It goes
to the welcome channel, as a direct message, or both; a direct message that cannot be
delivered falls back to the channel, so nobody is left unwelcomed and nobody sees an error.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.cog import Services
from bot.config import EffectiveConfig
from bot.errors import DirectMessagesClosed, PlatformError
from bot.i18n import normalise_locale
from bot.model import ChannelRef, Community, Member
from bot.outgoing import (
    Button,
    ButtonStyle,
    ChannelMention,
    Mention,
    OutgoingMessage,
    Plain,
    Segment,
    join,
)
from bot.platform import Capability
from bot.templates import Value, render
from cogs.welcome._text import NEWLINE, capped
from cogs.welcome.config import WelcomeConfig
from storage.welcome import Newcomer, WelcomeRepository

log = logging.getLogger(__name__)

# The shipped variants; each key exists in every catalog (German falls back per key).
SHIPPED_VARIANTS = ("welcome.greeting.1", "welcome.greeting.2", "welcome.greeting.3")
# A welcome's button belongs to whom it welcomes: ``welcome:accept:<member id>``, or
# ``welcome:accept:wave:<wave id>`` on the shared welcome of a join wave.
ACCEPT_ACTION = "welcome:accept"
# The button on a /welcome preview: it looks like the real one but accepts nothing, so an
# admin who tries it does not record an acceptance of their own.
PREVIEW_ACTION = "welcome:preview"
# Someone who leaves and rejoins within a day is not greeted again: a join-leave loop
# must not make the bot repeat itself, while a member returning next week is welcome.
REWELCOME_AFTER = timedelta(days=1)
# Mentions in one batched welcome; keeps the message far below Discord's 2000 characters.
MAX_BATCH_MENTIONS = 25


def settings_of(config: EffectiveConfig) -> WelcomeConfig:
    return config.section("welcome", WelcomeConfig)


@dataclass(frozen=True, slots=True)
class Composed:
    message: OutgoingMessage
    language: str
    variants: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a welcome went; `dm_closed` means a wanted DM fell back to the channel."""

    dm: bool
    channel: ChannelRef | None
    dm_closed: bool
    missing_channel: str | None = None


class Greeter:
    def __init__(
        self, services: Services, newcomers: WelcomeRepository, rng: random.Random
    ) -> None:
        self.services = services
        self.newcomers = newcomers
        self.random = rng

    # -- composing ------------------------------------------------------------------------

    def variants(
        self, settings: WelcomeConfig, member_locale: str | None, community_locale: str
    ) -> tuple[str, list[str]]:
        """The catalog language and the template variants for a member.

        The admin's templates for the member's own language come first, then the shipped
        texts if that language is shipped, then the admin's templates for the catalog
        language the member falls back to, then the shipped texts in it.
        """
        i18n = self.services.i18n
        language = i18n.pick_locale(member_locale, community_locale)
        for candidate in (normalise_locale(member_locale), language):
            if candidate and settings.templates.get(candidate):
                return language, list(settings.templates[candidate])
        return language, [i18n.raw(key, language) for key in SHIPPED_VARIANTS]

    async def compose(
        self, member: Member, config: EffectiveConfig, locale: str | None = None
    ) -> Composed:
        """The welcome `member` would get; `locale` overrides theirs (for previews)."""
        settings = settings_of(config)
        language, templates = self.variants(
            settings, locale or member.locale, config.community.locale
        )
        values = await self.values(member, config)
        text = render(self.random.choice(templates), values)
        message = self.with_accept(
            OutgoingMessage(text=text), settings, language, member.community, member.id
        )
        return Composed(message, language, len(templates))

    def with_accept(
        self,
        message: OutgoingMessage,
        settings: WelcomeConfig,
        language: str,
        community: Community,
        owner: str,
    ) -> OutgoingMessage:
        """Add the "I accept the rules" button for `owner` when rules acceptance is on, or,
        where the platform has no buttons, a line pointing to ``/welcome accept``."""
        if not settings.rules.enabled:
            return message
        if Capability.BUTTONS in self.services.platform(community).capabilities:
            label = self.services.i18n.text("welcome.rules.button", language)
            accept = Button(f"{ACCEPT_ACTION}:{owner}", label, ButtonStyle.SUCCESS)
            return replace(message, buttons=(*message.buttons, accept))
        hint = self.services.i18n.t("welcome.rules.use_command", language)
        return replace(message, text=(*message.text, NEWLINE, *hint))

    async def values(self, member: Member, config: EffectiveConfig) -> dict[str, Value]:
        community = member.community
        platform = self.services.platform(community)
        return {
            "member": Mention(member.id, member.shown_name),
            "name": member.shown_name,
            "community": await self.community_name(community, config),
            "rules": await self.rules_channel(community, config),
            "member_count": await platform.member_count(community),
        }

    async def community_name(self, community: Community, config: EffectiveConfig) -> str:
        return config.community.name or await self.services.platform(community).community_name(
            community
        )

    async def rules_channel(self, community: Community, config: EffectiveConfig) -> Segment:
        configured = config.community.channels.rules
        channel = await self.services.platform(community).find_channel(community, configured)
        if channel is None:
            return Plain(f"#{configured}")
        return ChannelMention(channel.id, channel.name)

    async def welcome_channel(
        self, community: Community, config: EffectiveConfig
    ) -> tuple[str, ChannelRef | None]:
        """The configured welcome channel's name and, if it exists, the channel."""
        configured = settings_of(config).channel or config.community.channels.welcome
        if not configured:
            return configured, None
        platform = self.services.platform(community)
        return configured, await platform.find_channel(community, configured)

    # -- delivering -----------------------------------------------------------------------

    async def welcome_newcomer(
        self, newcomer: Newcomer, member: Member, config: EffectiveConfig
    ) -> None:
        """Greet a member who just joined, unless they were greeted moments ago."""
        now = self.services.clock.now()
        if recently_welcomed(newcomer, now):
            log.info("not welcoming %s again: welcomed at %s", member.id, newcomer.welcomed_at)
            return
        await self.newcomers.mark_welcomed(member.community.key, [member.id], now)
        await self.deliver(member, config)

    async def deliver(self, member: Member, config: EffectiveConfig) -> Delivery:
        """Send the welcome as configured; a closed DM falls back to the channel."""
        settings = settings_of(config)
        platform = self.services.platform(member.community)
        message = (await self.compose(member, config)).message
        dm_sent = dm_closed = False
        if settings.dm:
            if Capability.DIRECT_MESSAGES in platform.capabilities:
                try:
                    await platform.send_direct(member.ref, message)
                    dm_sent = True
                except DirectMessagesClosed:
                    dm_closed = True
                except PlatformError:
                    # Any other refusal (rate limit, permission) also falls back to the channel.
                    log.warning("could not send %s the welcome by DM", member.id, exc_info=True)
                    dm_closed = True
            else:
                dm_closed = True
        if dm_sent and not settings.public:
            return Delivery(dm=True, channel=None, dm_closed=False)
        configured, channel = await self.welcome_channel(member.community, config)
        if channel is not None and await self._post(channel, message):
            return Delivery(dm=dm_sent, channel=channel, dm_closed=dm_closed)
        log.warning("welcome channel %r of %s is missing", configured, member.community.key)
        return Delivery(dm=dm_sent, channel=None, dm_closed=dm_closed, missing_channel=configured)

    async def welcome_batch(
        self, members: list[Member], config: EffectiveConfig, wave_id: int
    ) -> None:
        """One shared welcome for the newcomers of a join wave, in the community language."""
        if not members:
            return
        community = members[0].community
        language = self.services.i18n.pick_locale(None, config.community.locale)
        t = self.services.i18n.t
        shown, more = capped(members, MAX_BATCH_MENTIONS)
        name = await self.community_name(community, config)
        parts = [
            t("welcome.batch.intro", language, count=len(members), community=name),
            join([Mention(m.id, m.shown_name) for m in shown], Plain(", ")),
        ]
        if more:
            parts.append(t("welcome.batch.more", language, count=more))
        rules = await self.rules_channel(community, config)
        parts.append(t("welcome.batch.rules", language, rules=rules, count=len(members)))
        message = OutgoingMessage(text=join(parts))
        message = self.with_accept(
            message, settings_of(config), language, community, f"wave:{wave_id}"
        )
        configured, channel = await self.welcome_channel(community, config)
        if channel is None or not await self._post(channel, message):
            log.warning("welcome channel %r of %s is missing", configured, community.key)

    async def _post(self, channel: ChannelRef, message: OutgoingMessage) -> bool:
        try:
            await self.services.platform(channel.community).send(channel, message)
        except PlatformError:
            log.warning("could not post a welcome in %s", channel, exc_info=True)
            return False
        return True


def recently_welcomed(newcomer: Newcomer | None, now: datetime) -> bool:
    return (
        newcomer is not None
        and newcomer.welcomed_at is not None
        and now - newcomer.welcomed_at < REWELCOME_AFTER
    )
