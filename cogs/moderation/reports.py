"""Member reports: ``/report <link> <reason>`` and the "Report message" message action.

A report is stored (one per member and message, within the member's rate limit) and folded
into the message's flag before the reporter hears anything; the reporter's confirmation is
private. Moderators are not rate-limited: they report to leave a note for the team.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from bot import formatting
from bot.cog import Services
from bot.commands import Permission
from bot.delivery import Pending
from bot.errors import UserError
from bot.interaction import Interaction
from bot.languages import channel_language
from bot.model import ChannelRef, Community, MessageRef, PostedMessage
from bot.outgoing import Form, FormField
from bot.permissions import has_permission
from bot.platform import Capability
from cogs.moderation.config import ModerationConfig
from cogs.moderation.desk import FlagDesk
from cogs.moderation.snapshots import snapshot
from storage.moderation import (
    AlreadyReported,
    ModerationRepository,
    ReportLimit,
    ReportLimitReached,
)

FORM_PREFIX = "moderation.report:"
# Long enough to explain context, short enough to read at a glance on the flag.
REASON_MAX_CHARS = 500


class ReportDesk:
    def __init__(self, services: Services, repo: ModerationRepository, desk: FlagDesk) -> None:
        self._services = services
        self._repo = repo
        self._desk = desk

    async def report(self, interaction: Interaction, target: PostedMessage, reason: str) -> None:
        """File a member's report and confirm it privately, truthfully: "it went to the
        moderators" only once the flag is in their channel."""
        member = interaction.member
        _refuse_target(interaction, target)
        section = interaction.config.section("moderation", ModerationConfig)
        now = self._services.clock.now()
        channel = target.ref.channel
        language = await channel_language(
            interaction.config.community, interaction.platform, channel
        )
        message = await snapshot(interaction.platform, target, now, language=language or "")
        try:
            async with self._services.db.transaction() as tx:
                filed = await self._repo.file_report(
                    member.community.key,
                    message,
                    member.id,
                    member.shown_name,
                    member.locale,
                    reason.strip(),
                    now,
                    now - section.fold_window,
                    _limit(interaction),
                    tx=tx,
                )
                told_admins: list[Pending] = []
                written = await self._desk.publish(
                    tx, member.community, filed.flag.id, also=told_admins
                )
        except (AlreadyReported, ReportLimitReached) as refused:
            raise _refusal(interaction, refused, now) from None
        await self._services.outbox.deliver(*told_admins)
        outcome = (await self._services.outbox.deliver(written))[0] if written else None
        if outcome is not None and outcome.delivered:
            key = "report.thanks_notify" if section.reports.notify_on_settle else "report.thanks"
        elif outcome is not None and outcome.queued:
            key = "report.stored_queued"
        else:
            key = "report.stored_unreachable"
        await interaction.say(key, private=True)

    async def report_by_link(self, interaction: Interaction) -> None:
        link = interaction.args["message"]
        assert isinstance(link, MessageRef)
        target = await interaction.platform.fetch_message(link)
        if target is None:
            raise UserError(interaction.i18n.text("report.gone", interaction.locale))
        await self.report(interaction, target, interaction.args.text("reason") or "")

    async def report_by_action(self, interaction: Interaction) -> None:
        """The message action: ask for a reason in a form where the platform has forms."""
        target = interaction.target
        assert target is not None
        if Capability.FORMS not in interaction.platform.capabilities:
            await self.report(interaction, target, "")
            return
        # Refuse before the form, so nobody types a reason only to hear it was for nothing.
        _refuse_target(interaction, target)
        now = self._services.clock.now()
        try:
            await self._repo.check_report(
                interaction.community.key,
                target.ref.channel.id,
                target.ref.id,
                interaction.member.id,
                now,
                _limit(interaction),
            )
        except (AlreadyReported, ReportLimitReached) as refused:
            raise _refusal(interaction, refused, now) from None
        text = interaction.i18n.text
        await interaction.open_form(
            Form(
                form_id=f"{FORM_PREFIX}{target.ref.channel.id}:{target.ref.id}",
                title=text("report.form_title", interaction.locale),
                fields=(
                    FormField(
                        "reason",
                        text("report.form_reason", interaction.locale),
                        long=True,
                        required=True,
                        max_length=REASON_MAX_CHARS,
                    ),
                ),
            )
        )

    async def report_by_form(self, interaction: Interaction) -> None:
        channel_id, _, message_id = interaction.action_id.removeprefix(FORM_PREFIX).rpartition(":")
        target = await interaction.platform.fetch_message(
            _message_ref(interaction.community, channel_id, message_id)
        )
        if target is None:
            raise UserError(interaction.i18n.text("report.gone", interaction.locale))
        reason = interaction.form_values.get("reason", "")[:REASON_MAX_CHARS]
        await self.report(interaction, target, reason)


def _refuse_target(interaction: Interaction, target: PostedMessage) -> None:
    """Bots' and one's own messages cannot be reported."""
    if target.author.is_bot:
        raise UserError(interaction.i18n.text("report.bot", interaction.locale))
    if target.author.id == interaction.member.id:
        raise UserError(interaction.i18n.text("report.own", interaction.locale))


def _limit(interaction: Interaction) -> ReportLimit | None:
    """The member's report limit; moderators have none."""
    if has_permission(interaction.member, Permission.MODERATOR, interaction.config.community.roles):
        return None
    reports = interaction.config.section("moderation", ModerationConfig).reports
    return ReportLimit(reports.limit, reports.per)


def _refusal(
    interaction: Interaction, refused: AlreadyReported | ReportLimitReached, now: datetime
) -> UserError:
    if isinstance(refused, AlreadyReported):
        return UserError(interaction.i18n.text("report.duplicate", interaction.locale))
    reports = interaction.config.section("moderation", ModerationConfig).reports
    return UserError(
        interaction.i18n.text(
            "report.limited",
            interaction.locale,
            count=reports.limit,
            per=formatting.duration(reports.per, interaction.locale),
            wait=formatting.duration(_wait(refused.retry_at, now), interaction.locale),
        )
    )


def _message_ref(community: Community, channel_id: str, message_id: str) -> MessageRef:
    return MessageRef(ChannelRef(community, channel_id), message_id)


def _wait(retry_at: datetime, now: datetime) -> timedelta:
    """Round the wait up to whole minutes: "again in 14m", not "again in 13m27s"."""
    return timedelta(minutes=max(1, math.ceil((retry_at - now).total_seconds() / 60)))
