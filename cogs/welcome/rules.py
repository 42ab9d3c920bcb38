"""Rules acceptance: the "I accept the rules" button, the member role, one reminder.

Accepting is recorded first (with an audit entry), then the configured member role is
granted where the platform has roles. Pressing again changes nothing, except that a role
the member lost or never got (say the bot lacked the permission) is granted again. A
newcomer who has not accepted after `reminder_hours` gets one reminder, a durable job
that checks the record before it speaks, so acceptance in the meantime silences it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import Enum

from bot.cog import Services
from bot.config import EffectiveConfig
from bot.errors import (
    DirectMessagesClosed,
    MissingPermission,
    NotFound,
    PlatformError,
    UserError,
)
from bot.interaction import Interaction
from bot.model import Community, Member, UserRef
from bot.outgoing import Mention, OutgoingMessage
from bot.permissions import holds_role
from bot.platform import Capability
from cogs.welcome.greeting import Greeter, settings_of
from storage.jobs import Job
from storage.welcome import WelcomeRepository

log = logging.getLogger(__name__)

REMINDER_KIND = "welcome.rules_reminder"


def reminder_key(community: Community, member_id: str) -> str:
    return f"welcome:rules-reminder:{community.key}:{member_id}"


class RoleOutcome(Enum):
    GRANTED = "granted"
    ALREADY_HELD = "held"
    NO_ROLE = "none"
    FAILED = "failed"


class RulesAcceptance:
    def __init__(self, services: Services, newcomers: WelcomeRepository, greeter: Greeter):
        self.services = services
        self.newcomers = newcomers
        self.greeter = greeter

    async def accept(self, interaction: Interaction, owner: str | None = None) -> None:
        """Record that the member accepts the rules and grant the member role; idempotent.

        `owner` is whom the pressed button belongs to; someone else's button accepts
        nothing (the presser is pointed to ``/welcome accept``).
        """
        if not settings_of(interaction.config).rules.enabled:
            raise UserError(interaction.i18n.text("welcome.rules.off", interaction.locale))
        member = interaction.member
        community = member.community
        if owner is not None and not await self._owns(owner, member):
            raise UserError(interaction.i18n.text("welcome.rules.not_yours", interaction.locale))
        now = self.services.clock.now()
        async with self.services.db.transaction() as tx:
            first = await self.newcomers.accept(
                tx, community.key, member.id, member.shown_name, now
            )
            if first:
                await self.services.audit.record(
                    community.key, member.id, "welcome.rules_accepted", now, member.id, tx=tx
                )
        if first:
            await self.services.scheduler.cancel(reminder_key(community, member.id))
        outcome = await self._grant_member_role(member, interaction.config)
        role = interaction.config.community.roles.member
        await interaction.say(_reply_key(first, outcome), role=role)

    async def schedule_reminder(self, member: Member, config: EffectiveConfig) -> None:
        rules = settings_of(config).rules
        if not rules.enabled or rules.reminder_hours == 0:
            return
        due = self.services.clock.now() + timedelta(hours=rules.reminder_hours)
        await self.services.scheduler.schedule(
            member.community,
            REMINDER_KIND,
            due,
            reminder_key(member.community, member.id),
            {"member": member.id},
        )

    async def remind(self, job: Job) -> None:
        """The one reminder, unless the member accepted, left, or already holds the role."""
        community = Community.from_key(job.community)
        config = await self.services.config.get(community)
        if not settings_of(config).rules.enabled:
            return
        platform = self.services.platform(community)
        member = await platform.fetch_member(UserRef(community, str(job.payload["member"])))
        if member is None or holds_role(member, [config.community.roles.member]):
            return
        if not await self.newcomers.claim_reminder(
            community.key, member.id, self.services.clock.now()
        ):
            return
        language = self.services.i18n.pick_locale(member.locale, config.community.locale)
        text = self.services.i18n.t(
            "welcome.rules.reminder",
            language,
            member=Mention(member.id, member.shown_name),
            rules=await self.greeter.rules_channel(community, config),
            community=await self.greeter.community_name(community, config),
        )
        message = self.greeter.with_accept(
            OutgoingMessage(text=text), settings_of(config), language, community, member.id
        )
        try:
            await platform.send_direct(member.ref, message)
            return
        except DirectMessagesClosed:
            pass
        except PlatformError:
            log.warning("could not remind %s by DM", member.id, exc_info=True)
        _, channel = await self.greeter.welcome_channel(community, config)
        if channel is not None:
            await platform.send(channel, message)

    async def _owns(self, owner: str, member: Member) -> bool:
        kind, _, wave_id = owner.partition(":")
        if kind == "wave" and wave_id.isdigit():
            return await self.newcomers.in_wave(int(wave_id), member.id)
        return owner == member.id

    async def _grant_member_role(self, member: Member, config: EffectiveConfig) -> RoleOutcome:
        role = config.community.roles.member
        platform = self.services.platform(member.community)
        if not role or Capability.ROLES not in platform.capabilities:
            return RoleOutcome.NO_ROLE
        if holds_role(member, [role]):
            return RoleOutcome.ALREADY_HELD
        try:
            await platform.grant_role(member.ref, role, "accepted the community rules")
        except (MissingPermission, NotFound):
            log.warning(
                "could not grant %r to %s in %s",
                role,
                member.id,
                member.community.key,
                exc_info=True,
            )
            return RoleOutcome.FAILED
        return RoleOutcome.GRANTED


def _reply_key(first: bool, outcome: RoleOutcome) -> str:
    if outcome is RoleOutcome.FAILED:
        return "welcome.rules.role_failed"
    if first:
        return (
            "welcome.rules.accepted_role"
            if outcome is RoleOutcome.GRANTED
            else "welcome.rules.accepted"
        )
    if outcome is RoleOutcome.GRANTED:
        return "welcome.rules.already_role_restored"
    return "welcome.rules.already"
