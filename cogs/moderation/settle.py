"""Settling flags: one moderator decision, carried out exactly once.

A decision is claimed in one transaction (with the infraction and the audit entry) before
anything happens on the platform; then messages are deleted, the author is told and the
member is timed out, kicked or banned. If the platform refuses, the claim is undone and the
flag opens again with the reason shown, so moderators can choose something else. A crash
after the claim leaves the flag "acting"; the cog resumes it after the restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.cog import Services
from bot.errors import MissingPermission, NotFound, PlatformError, Unsupported
from bot.model import ChannelRef, Community, MessageRef, UserRef
from bot.outgoing import Rich
from bot.platform import Capability, Platform
from bot.templates import Value
from cogs.moderation.actions import INFRACTIONS, LADDER, ModAction, can_perform
from cogs.moderation.config import ModerationConfig
from cogs.moderation.desk import FlagDesk
from cogs.moderation.escalation import reached_step, step_details, step_duration
from cogs.moderation.notices import Notifier
from cogs.moderation.view import action_label, instead_text, outcome_text
from storage.moderation import (
    DecisionKind,
    Flag,
    FlagDetails,
    FlagStatus,
    InfractionDraft,
    ModerationRepository,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Feedback:
    """What the moderator who acted is told, in their locale."""

    text: Rich
    acted: bool


class Settler:
    def __init__(
        self,
        services: Services,
        repo: ModerationRepository,
        desk: FlagDesk,
        notifier: Notifier,
    ) -> None:
        self._services = services
        self._repo = repo
        self._desk = desk
        self._notifier = notifier

    async def decide(
        self,
        community: Community,
        flag_id: int,
        action: ModAction,
        moderator_id: str,
        reason: str,
        locale: str,
        duration: timedelta | None = None,
    ) -> Feedback:
        """A moderator's decision on a flag, by reaction or by /flag resolve.

        `duration` overrides the timeout length (the flag's own or the configured default).
        """
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        platform = self._services.platform(community)
        details = await self._repo.details(community.key, flag_id)
        if details is None:
            return self._say(locale, "feedback.missing", False, number=flag_id)
        if action is ModAction.DELETE and not details.messages:
            return self._say(locale, "feedback.nothing_to_delete", False, number=flag_id)
        if not can_perform(platform, action):
            return self._say(
                locale,
                "feedback.unsupported",
                False,
                platform=platform.name,
                action=action_label(self._services.i18n, locale, action),
                instead=instead_text(self._services.i18n, locale, platform, section, action),
            )
        decision = await self._repo.decide(
            community.key,
            flag_id,
            action,
            moderator_id,
            reason,
            self._services.clock.now(),
            section.quorum.needed(action),
            self._infraction(details, action, reason, section, duration),
            int(duration.total_seconds()) if duration else None,
        )
        if decision.kind is DecisionKind.CLAIMED:
            error = await self.carry_out(community, flag_id, decision.infraction_id)
            return self._after_claim(
                flag_id, action, duration or _duration(details.flag, section), error, locale
            )
        if decision.kind is DecisionKind.PENDING:
            await self._desk.refresh(community, flag_id)
            needed = section.quorum.needed(action)
            return self._say(
                locale,
                "feedback.pending",
                True,
                number=flag_id,
                emoji=section.reactions.emoji(action),
                action=action_label(self._services.i18n, locale, action),
                have=len(decision.votes),
                needed=needed,
            )
        if decision.kind is DecisionKind.DUPLICATE_VOTE:
            label = action_label(self._services.i18n, locale, action)
            return self._say(locale, "feedback.duplicate_vote", False, number=flag_id, action=label)
        return await self._closed(community, decision.flag or details.flag, locale)

    def _after_claim(
        self,
        flag_id: int,
        action: ModAction,
        duration: timedelta,
        error: str | None,
        locale: str,
    ) -> Feedback:
        i18n = self._services.i18n
        if error is not None:
            return self._say(
                locale,
                "feedback.failed",
                False,
                number=flag_id,
                action=action_label(i18n, locale, action),
                error=i18n.text(f"error.{error}", locale),
            )
        outcome = outcome_text(i18n, locale, action, duration)
        return self._say(locale, "feedback.done", True, number=flag_id, outcome=outcome)

    async def carry_out(
        self, community: Community, flag_id: int, infraction_id: int | None
    ) -> str | None:
        """Do what a claimed flag says; returns an error code if the platform refused."""
        details = await self._repo.details(community.key, flag_id)
        if details is None or details.flag.status is not FlagStatus.ACTING:
            return None
        flag = details.flag
        action = ModAction(flag.outcome or ModAction.DISMISS)
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        platform = self._services.platform(community)
        duration = _duration(flag, section)
        try:
            if action is ModAction.DELETE or action in section.delete_with:
                await self._delete_messages(
                    community, platform, details, required=action is ModAction.DELETE
                )
            if action in INFRACTIONS:
                await self._tell_and_punish(community, platform, details, action, duration)
        except PlatformError as error:
            code = _error_code(error)
            log.warning("flag %s: %s refused: %s", flag.id, action, error)
            await self._repo.reopen(
                community.key,
                flag.id,
                code,
                infraction_id,
                flag.acted_by or LADDER,
                self._services.clock.now(),
            )
            await self._desk.refresh(community, flag.id)
            return code
        await self._repo.finish(community.key, flag.id)
        await self._desk.refresh(community, flag.id)
        for report in await self._notifier.tell_reporters(community, details):
            await self._repo.mark_notified(community.key, report.id, self._services.clock.now())
        if action in INFRACTIONS and flag.acted_by != LADDER:
            await self._escalate(community, flag, action, section)
        return None

    async def _tell_and_punish(
        self,
        community: Community,
        platform: Platform,
        details: FlagDetails,
        action: ModAction,
        duration: timedelta,
    ) -> None:
        """Tell the author, and act. A kicked or banned member can no longer be reached, so
        they hear first; a timed-out one still reads DMs, so they hear once it took effect
        (never "you were timed out" when the platform refused)."""
        flag = details.flag
        user = UserRef(community, flag.author_id)
        if action is ModAction.TIMEOUT:
            await _punish(platform, user, action, duration, flag)
        await self._notifier.tell_author(community, details, action, flag.reason, duration)
        if action is not ModAction.TIMEOUT:
            await _punish(platform, user, action, duration, flag)

    # -- escalation -------------------------------------------------------------------------

    async def _escalate(
        self, community: Community, flag: Flag, kind: ModAction, section: ModerationConfig
    ) -> None:
        """Suggest (or apply) the ladder's step once a member's record reaches it."""

        async def count(kind_name: str, since: datetime) -> int:
            counts = await self._repo.infraction_counts(community.key, flag.author_id, since)
            return counts.get(kind_name, 0)

        now = self._services.clock.now()
        step = await reached_step(section.escalation, kind, now, count)
        if step is None:
            return
        then = ModAction(step.then)
        duration = step_duration(step, section.timeout_duration)
        filed = await self._repo.file_escalation(
            community.key,
            flag.author_id,
            flag.author_name,
            then,
            duration if then is ModAction.TIMEOUT else None,
            step_details(step),
            now,
        )
        if not filed.created:
            return
        platform = self._services.platform(community)
        if step.apply and can_perform(platform, then):
            decision = await self._repo.decide(
                community.key,
                filed.flag.id,
                then,
                LADDER,
                "",
                now,
                1,
                self._infraction(FlagDetails(filed.flag), then, "", section),
            )
            if decision.kind is DecisionKind.CLAIMED:
                # Posted after the claim, so the flag shows the outcome from the start (or,
                # if the platform refuses, opens for moderators with the reason).
                await self.carry_out(community, filed.flag.id, decision.infraction_id)
                return
        await self._desk.refresh(community, filed.flag.id)

    # -- helpers ----------------------------------------------------------------------------

    def _infraction(
        self,
        details: FlagDetails,
        action: ModAction,
        reason: str,
        section: ModerationConfig,
        duration: timedelta | None = None,
    ) -> InfractionDraft | None:
        if action not in INFRACTIONS:
            return None
        flag = details.flag
        expires = None
        if action is ModAction.TIMEOUT:
            expires = self._services.clock.now() + (duration or _duration(flag, section))
        why = reason or ", ".join(details.rules) or _escalation_reason(flag)
        return InfractionDraft(flag.author_id, flag.author_name, action, why, expires)

    async def _delete_messages(
        self, community: Community, platform: Platform, details: FlagDetails, *, required: bool
    ) -> None:
        """Delete the flag's messages; only a 🗑️ decision fails when the platform cannot."""
        if Capability.DELETE_OTHERS not in platform.capabilities and not required:
            return
        for message in details.messages:
            if message.deleted_at is not None:
                continue
            ref = MessageRef(
                ChannelRef(community, message.channel_id, message.channel_name),
                message.message_id,
            )
            try:
                await platform.delete(ref)
            except NotFound:
                pass  # already gone: the goal is reached
            except PlatformError:
                if required:
                    raise
                log.warning("flag %s: could not delete message %s", details.flag.id, ref.id)
                continue
            await self._repo.mark_deleted(
                community.key,
                details.flag.id,
                message.channel_id,
                message.message_id,
                self._services.clock.now(),
            )

    async def _closed(self, community: Community, flag: Flag, locale: str) -> Feedback:
        section = (await self._services.config.get(community)).section(
            "moderation", ModerationConfig
        )
        action = ModAction(flag.outcome or ModAction.DISMISS)
        names = await self._desk.names(community, {flag.acted_by or ""})
        return self._say(
            locale,
            "feedback.closed",
            False,
            number=flag.id,
            moderator=names.get(flag.acted_by or "", ""),
            outcome=outcome_text(self._services.i18n, locale, action, _duration(flag, section)),
        )

    def _say(self, locale: str, key: str, acted: bool, **values: Value) -> Feedback:
        return Feedback(self._services.i18n.t(key, locale, **values), acted)


async def _punish(
    platform: Platform, user: UserRef, action: ModAction, duration: timedelta, flag: Flag
) -> None:
    # The platform's own audit log shows this reason next to the action.
    reason = f"Botschafter flag #{flag.id}" + (f": {flag.reason}" if flag.reason else "")
    match action:
        case ModAction.TIMEOUT:
            await platform.timeout(user, duration, reason)
        case ModAction.KICK:
            await platform.kick(user, reason)
        case ModAction.BAN:
            await platform.ban(user, reason)


def _duration(flag: Flag, section: ModerationConfig) -> timedelta:
    if flag.timeout_seconds:
        return timedelta(seconds=flag.timeout_seconds)
    return section.timeout_duration


def _escalation_reason(flag: Flag) -> str:
    details = flag.details
    if not details:
        return ""
    return f"{details.get('count')} × {details.get('kind')} within {details.get('within')}"


def _error_code(error: PlatformError) -> str:
    if isinstance(error, MissingPermission):
        return "missing_permission"
    if isinstance(error, NotFound):
        return "not_found"
    if isinstance(error, Unsupported):
        return "unsupported"
    return "failed"
