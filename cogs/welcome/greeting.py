"""Composing a welcome in the newcomer's language and delivering it.

A welcome is one of several template variants (the admin's for the member's language, else
the shipped ones), picked with an injectable random source so tests are repeatable. It goes
to the welcome channel, as a direct message, or both; a direct message that cannot be
delivered falls back to the channel, so nobody is left unwelcomed and nobody sees an error.

Welcomes are outbox entries written in the transaction that marks the member welcomed, so
a crash or an outage delays a welcome but never loses or repeats it.
"""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.codec import decode, encode
from bot.cog import Services
from bot.config import EffectiveConfig
from bot.delivery import Outcome, Pending, Then
from bot.effects import DirectMessage, Post
from bot.errors import DirectMessagesClosed
from bot.i18n import normalise_locale
from bot.model import ChannelRef, Community, Member, UserRef
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
from bot.templates import Value, placeholders, render
from cogs.welcome._text import NEWLINE, capped
from cogs.welcome.config import WelcomeConfig
from storage.database import Transaction
from storage.jobs import Job
from storage.welcome import WelcomeRepository

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
# The continuation that turns a refused welcome or reminder DM into a channel post.
DM_REFUSED = "welcome.dm_refused"
# Mentions in one batched welcome; keeps the message far below Discord's 2000 characters.
MAX_BATCH_MENTIONS = 25
# A welcome the platform could not be asked about at the join (an outage, a rate limit,
# Slack's member count still being counted after a start) is a job, tried again this much
# later and then with the scheduler's back-off: it arrives late, never not at all.
LATER_KIND = "welcome.later"
LATER_AFTER = timedelta(minutes=1)


def settings_of(config: EffectiveConfig) -> WelcomeConfig:
    return config.section("welcome", WelcomeConfig)


@dataclass(frozen=True, slots=True)
class Composed:
    message: OutgoingMessage
    language: str
    variants: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of a welcome sent now: `dm` and `channel` say where it was delivered,
    `dm_closed` that a wanted DM was refused, `queued` that part of it waits for the
    platform, `missing_channel` the configured channel it could not be posted in."""

    dm: bool
    channel: ChannelRef | None
    dm_closed: bool
    missing_channel: str | None = None
    queued: bool = False


@dataclass(frozen=True, slots=True)
class Prepared:
    """A member's welcome before it is written: the platform facts it needs."""

    member: Member
    settings: WelcomeConfig
    values: dict[str, Value]
    language: str
    templates: list[str]
    configured: str
    channel: ChannelRef | None
    dm_possible: bool


@dataclass(frozen=True, slots=True)
class Written:
    """The outbox entries of one welcome; the fallback post, if the DM is refused, is
    written by the DM's continuation under `fallback_key`."""

    dm: Pending | None
    post: Pending | None
    fallback_key: str
    message: OutgoingMessage


@dataclass(frozen=True, slots=True)
class BatchPlace:
    """Where and how a wave's shared welcome goes, read before its transaction."""

    community: Community
    settings: WelcomeConfig
    language: str
    name: str
    rules: Segment
    configured: str
    channel: ChannelRef | None


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
        prepared = await self.prepare(member, config, locale)
        return Composed(self.render(prepared), prepared.language, len(prepared.templates))

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

    async def values(
        self, member: Member, config: EffectiveConfig, templates: list[str]
    ) -> dict[str, Value]:
        """The placeholders' values; the member count only when a variant uses it (on
        Slack it is a running count that may not be ready yet after a start)."""
        community = member.community
        values: dict[str, Value] = {
            "member": Mention(member.id, member.shown_name),
            "name": member.shown_name,
            "community": await self.community_name(community, config),
            "rules": await self.rules_channel(community, config),
        }
        if any("member_count" in placeholders(t) for t in templates):
            platform = self.services.platform(community)
            values["member_count"] = await platform.member_count(community)
        return values

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
        self, community: Community, config: EffectiveConfig, language: str | None = None
    ) -> tuple[str, ChannelRef | None]:
        """The configured welcome channel's name and, if it exists, the channel: the one
        ``[community.languages] welcome`` names for the newcomer's `language`, else (also
        while that one is missing, which the community check reports) the community's."""
        platform = self.services.platform(community)
        own = config.community.languages.welcome.get(language or "")
        if own and (channel := await platform.find_channel(community, own)) is not None:
            return own, channel
        configured = settings_of(config).channel or config.community.channels.welcome
        if not configured:
            return configured, None
        return configured, await platform.find_channel(community, configured)

    # -- delivering -----------------------------------------------------------------------

    async def prepare(
        self, member: Member, config: EffectiveConfig, locale: str | None = None
    ) -> Prepared:
        """Everything a welcome needs from the platform, read before the transaction that
        writes it (no network call holds the database)."""
        settings = settings_of(config)
        language, templates = self.variants(
            settings, locale or member.locale, config.community.locale
        )
        configured, channel = await self.welcome_channel(member.community, config, language)
        platform = self.services.platform(member.community)
        return Prepared(
            member=member,
            settings=settings,
            values=await self.values(member, config, templates),
            language=language,
            templates=templates,
            configured=configured,
            channel=channel,
            dm_possible=Capability.DIRECT_MESSAGES in platform.capabilities,
        )

    def render(self, prepared: Prepared) -> OutgoingMessage:
        """Pick a variant (here, so only welcomes actually written use the random source)."""
        text = render(self.random.choice(prepared.templates), prepared.values)
        member = prepared.member
        return self.with_accept(
            OutgoingMessage(text=text),
            prepared.settings,
            prepared.language,
            member.community,
            member.id,
        )

    async def welcome_newcomer(
        self, tx: Transaction, prepared: Prepared, now: datetime
    ) -> Written | None:
        """Greet a member who just joined, unless they were greeted moments ago; the mark
        and the welcome are written together, so a crash loses neither."""
        member = prepared.member
        claimed = await self.newcomers.claim_welcome(
            tx, member.community.key, [member.id], now, now - REWELCOME_AFTER
        )
        if not claimed:
            log.info("not welcoming %s again: welcomed within %s", member.id, REWELCOME_AFTER)
            return None
        return await self.write(tx, prepared, f"welcome:{member.community.key}:{member.id}:{now}")

    async def welcome_later(self, tx: Transaction, member: Member, now: datetime) -> None:
        """Arm the retry of a welcome the platform could not be asked about now, in the
        join's transaction (so the join and its welcome are never parted)."""
        community = member.community
        await self.services.scheduler.schedule(
            community,
            LATER_KIND,
            now + LATER_AFTER,
            f"welcome:later:{community.key}:{member.id}:{now.isoformat()}",
            {"member": member.id},
            tx=tx,
        )

    async def on_later(self, job: Job) -> list[Pending]:
        """Write the welcome of `welcome_later`'s job; the pending entries to deliver.

        An outage again raises, and the scheduler tries later; a member who has left is not
        greeted, and the claim keeps a re-run (or a rejoin meanwhile) from greeting twice.
        """
        community = Community.from_key(job.community)
        config = await self.services.config.get(community)
        if not settings_of(config).enabled:
            return []
        platform = self.services.platform(community)
        member = await platform.fetch_member(UserRef(community, str(job.payload["member"])))
        if member is None:
            return []
        prepared = await self.prepare(member, config)
        async with self.services.db.transaction() as tx:
            written = await self.welcome_newcomer(tx, prepared, self.services.clock.now())
        if written is None:
            return []
        return [p for p in (written.dm, written.post) if p is not None]

    async def write(self, tx: Transaction, prepared: Prepared, key: str) -> Written:
        """Write the welcome as configured: a DM (whose continuation falls back to the
        channel when it is refused), a channel post, or both."""
        settings, member, channel = prepared.settings, prepared.member, prepared.channel
        message = self.render(prepared)
        outbox = self.services.outbox
        by_dm = settings.dm and prepared.dm_possible
        dm = post = None
        if by_dm:
            fallback = channel if not settings.public else None
            dm = await outbox.add(
                tx,
                DirectMessage(member.ref, message),
                key=f"{key}:dm",
                then=Then(
                    DM_REFUSED,
                    {
                        "key": f"{key}:fallback",
                        "fallback": not settings.public,
                        "channel": encode(fallback),
                        "configured": prepared.configured,
                        "message": encode(message),
                    },
                ),
            )
        if settings.public or not by_dm:
            if channel is not None:
                post = await outbox.add(tx, Post(channel, message), key=f"{key}:post")
            else:
                log.warning(
                    "welcome channel %r of %s is missing",
                    prepared.configured,
                    member.community.key,
                )
        return Written(dm, post, f"{key}:fallback", message)

    async def after_dm(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """A refused welcome or reminder DM (closed DMs, or any other refusal) becomes a post
        in the welcome channel, written under a key derived from the DM's, so a recovered
        continuation adds it once; nobody is left unwelcomed and nobody sees an error."""
        if outcome.error is None or not data["fallback"]:
            return
        if not isinstance(outcome.error, DirectMessagesClosed):
            log.warning("a welcome DM was refused (%s); posting it instead", outcome.error)
        channel = decode(data["channel"])
        if channel is None:
            log.warning(
                "welcome channel %r is missing: a refused DM stays undelivered", data["configured"]
            )
            return
        await self.services.outbox.add(tx, Post(channel, decode(data["message"])), key=data["key"])

    async def deliver(self, member: Member, config: EffectiveConfig) -> Delivery:
        """Send a member's welcome now (``/welcome test``) and report what truly happened."""
        prepared = await self.prepare(member, config)
        # Each /welcome test sends a welcome of its own (a command is never replayed).
        key = f"welcome:test:{member.community.key}:{member.id}:{secrets.token_hex(8)}"
        async with self.services.db.transaction() as tx:
            written = await self.write(tx, prepared, key)
        outbox = self.services.outbox
        asked = [p for p in (written.dm, written.post) if p is not None]
        outcomes = dict(zip([p.id for p in asked], await outbox.deliver(*asked), strict=True))
        dm = outcomes.get(written.dm.id) if written.dm else None
        post = outcomes.get(written.post.id) if written.post else None
        dm_closed = prepared.settings.dm and (dm is None or dm.error is not None)
        if dm is not None and dm.error is not None and not prepared.settings.public:
            post = await self._fallback_outcome(prepared, written)
        queued = any(o is not None and o.queued for o in (dm, post))
        posted = post is not None and post.delivered
        failed_post = post is not None and post.error is not None
        return Delivery(
            dm=dm is not None and dm.delivered,
            channel=prepared.channel if posted else None,
            dm_closed=dm_closed,
            missing_channel=prepared.configured
            if (prepared.channel is None and (dm is None or dm.error is not None)) or failed_post
            else None,
            queued=queued,
        )

    async def _fallback_outcome(self, prepared: Prepared, written: Written) -> Outcome | None:
        """The outcome of the fallback post the refused DM's continuation wrote under its
        key (adding the same key again adds nothing; it finds that entry)."""
        if prepared.channel is None:
            return None
        async with self.services.db.transaction() as tx:
            fallback = await self.services.outbox.add(
                tx, Post(prepared.channel, written.message), key=written.fallback_key
            )
        (outcome,) = await self.services.outbox.deliver(fallback)
        return outcome

    async def prepare_batch(self, community: Community, config: EffectiveConfig) -> BatchPlace:
        """What the shared welcome of a wave needs from the platform, read beforehand."""
        configured, channel = await self.welcome_channel(community, config)
        return BatchPlace(
            community=community,
            settings=settings_of(config),
            language=self.services.i18n.pick_locale(None, config.community.locale),
            name=await self.community_name(community, config),
            rules=await self.rules_channel(community, config),
            configured=configured,
            channel=channel,
        )

    async def welcome_batch(
        self, tx: Transaction, members: list[Member], place: BatchPlace, wave_id: int
    ) -> Pending | None:
        """One shared welcome for the newcomers of a join wave, in the community language."""
        if not members:
            return None
        if place.channel is None:
            log.warning(
                "welcome channel %r of %s is missing", place.configured, place.community.key
            )
            return None
        language = place.language
        t = self.services.i18n.t
        shown, more = capped(members, MAX_BATCH_MENTIONS)
        parts = [
            t("welcome.batch.intro", language, count=len(members), community=place.name),
            join([Mention(m.id, m.shown_name) for m in shown], Plain(", ")),
        ]
        if more:
            parts.append(t("welcome.batch.more", language, count=more))
        parts.append(t("welcome.batch.rules", language, rules=place.rules, count=len(members)))
        message = self.with_accept(
            OutgoingMessage(text=join(parts)),
            place.settings,
            language,
            place.community,
            f"wave:{wave_id}",
        )
        key = f"welcome:wave:{place.community.key}:{wave_id}:batch"
        return await self.services.outbox.add(tx, Post(place.channel, message), key=key)
