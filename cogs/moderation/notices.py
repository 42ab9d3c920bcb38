"""What members hear from moderation: the author of a flagged message, and reporters.

Private first. A warning that cannot be delivered privately (closed DMs) becomes a short
mention in a channel, because a warning nobody reads is no warning; every other notice is
best effort and never blocks the action itself. Each text is in the member's own locale.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.cog import Services
from bot.commands import format_duration
from bot.errors import DirectMessagesClosed, PlatformError
from bot.model import ChannelRef, Community, Member, UserRef
from bot.outgoing import ChannelMention, Mention, OutgoingMessage, Rich, join
from bot.text import excerpt
from cogs.moderation.actions import ModAction
from cogs.moderation.config import ModerationConfig
from cogs.moderation.reasons import Worded, reason_texts
from storage.moderation import FlagDetails, FlaggedMessage, FlagKind, Report

log = logging.getLogger(__name__)

# Enough of the message that the author recognises it, not so much that the DM is a wall.
NOTICE_EXCERPT_CHARS = 200


class Notifier:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def tell_author(
        self,
        community: Community,
        details: FlagDetails,
        action: ModAction,
        reason: str,
        duration: timedelta,
    ) -> None:
        """Tell the author what was decided and why; warnings fall back to a mention."""
        flag = details.flag
        user = UserRef(community, flag.author_id)
        platform = self._services.platform(community)
        config = await self._services.config.get(community)
        locale = await self._locale(user, config.community.locale)
        t = self._services.i18n.t
        name = config.community.name or await platform.community_name(community)
        why = self._why(details, locale)
        parts: list[Rich] = [
            t(
                f"notice.{action.value}",
                locale,
                community=name,
                duration=format_duration(duration),
                why=why,
            )
        ]
        if reason:
            parts.append(t("notice.note", locale, reason=reason))
        quoted = _quoted(details)
        if quoted is not None:
            parts.append(
                t(
                    "notice.excerpt",
                    locale,
                    channel=ChannelMention(quoted.channel_id, quoted.channel_name),
                    excerpt=excerpt(quoted.excerpt, NOTICE_EXCERPT_CHARS),
                )
            )
        if action is ModAction.WARN:
            rules = await self._rules_channel(community, config.community.channels.rules)
            parts.append(t("notice.read_rules", locale, rules=rules))
        try:
            await platform.send_direct(user, OutgoingMessage(text=join(parts, "\n\n")))
        except DirectMessagesClosed:
            if action is ModAction.WARN:
                await self._warn_in_channel(community, details, why, locale)
        except PlatformError:
            log.warning("could not tell %s about %s on flag %s", user.id, action, flag.id)

    async def tell_reporters(self, community: Community, details: FlagDetails) -> list[Report]:
        """One private note to each reporter that the flag was settled; returns the reports
        now answered (a member who reported several messages of one flag hears once)."""
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        if not section.reports.notify_on_settle:
            return []
        platform = self._services.platform(community)
        outcome = details.flag.outcome
        key = "notice.report_dismissed" if outcome == ModAction.DISMISS else "notice.report_acted"
        by_reporter: dict[str, list[Report]] = {}
        for report in details.reports:
            if report.notified_at is None:
                by_reporter.setdefault(report.reporter_id, []).append(report)
        told = []
        for reports in by_reporter.values():
            report = reports[0]
            locale = self._services.i18n.pick_locale(
                report.reporter_locale, config.community.locale
            )
            channel = next((m for m in details.messages if m.message_id == report.message_id), None)
            where = ChannelMention(channel.channel_id, channel.channel_name) if channel else ""
            text = self._services.i18n.t(key, locale, channel=where)
            try:
                await platform.send_direct(
                    UserRef(community, report.reporter_id), OutgoingMessage(text=text)
                )
            except PlatformError:
                log.info(
                    "reporter %s could not be told about flag %s",
                    report.reporter_id,
                    details.flag.id,
                )
            told.extend(reports)
        return told

    async def tell_about_secret(
        self, author: Member, channel: ChannelRef, kinds: Sequence[Worded], deleted: bool
    ) -> None:
        """Tell the author privately that their message held a secret (and is gone), naming
        its `kinds` in the author's language."""
        community = author.community
        platform = self._services.platform(community)
        locale = await self._services.locale_for(author)
        i18n = self._services.i18n
        what = ", ".join(reason_texts(i18n, locale, kinds))
        key = "notice.credentials" if deleted else "notice.credentials_undeletable"
        where = ChannelMention(channel.id, channel.name)
        text = i18n.t(key, locale, channel=where, what=what)
        try:
            await platform.send_direct(author.ref, OutgoingMessage(text=text))
            return
        except DirectMessagesClosed:
            pass
        public = self._services.i18n.t(
            "notice.credentials_public", locale, member=Mention(author.id, author.shown_name)
        )
        try:
            await platform.send(channel, OutgoingMessage(text=public))
        except PlatformError:
            log.warning("could not tell %s that their message held a secret", author.id)

    # -- helpers ----------------------------------------------------------------------------

    async def _locale(self, user: UserRef, default: str) -> str:
        member = await self._services.platform(user.community).fetch_member(user)
        return self._services.i18n.pick_locale(member.locale if member else None, default)

    def _why(self, details: FlagDetails, locale: str) -> str:
        t = self._services.i18n.text
        flag = details.flag
        if flag.kind is FlagKind.ESCALATION:
            return t(
                "notice.why_escalation",
                locale,
                count=int(flag.details.get("count", 0)),
                kind=self._services.i18n.text(f"kind.{flag.details.get('kind', 'warn')}", locale),
                within=str(flag.details.get("within", "")),
            )
        rules = details.rules
        if rules:
            separator = t("notice.rules_separator", locale)
            return t("notice.why_rules", locale, rules=separator.join(rules))
        return t("notice.why_general", locale)

    async def _rules_channel(self, community: Community, name: str) -> ChannelMention | str:
        channel = await self._services.platform(community).find_channel(community, name)
        return ChannelMention(channel.id, channel.name) if channel else f"#{name}"

    async def _warn_in_channel(
        self, community: Community, details: FlagDetails, why: str, locale: str
    ) -> None:
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        platform = self._services.platform(community)
        wanted = section.warn_fallback_channel
        channel = await platform.find_channel(community, wanted) if wanted else None
        if channel is None and details.messages:
            first = details.messages[0]
            channel = ChannelRef(community, first.channel_id, first.channel_name)
        if channel is None:
            channel = await platform.find_channel(community, config.community.channels.general)
        if channel is None:
            log.warning(
                "flag %s: no channel to warn %s in", details.flag.id, details.flag.author_id
            )
            return
        text = self._services.i18n.t(
            "notice.warn_public",
            locale,
            member=Mention(details.flag.author_id, details.flag.author_name),
            why=why,
            rules=await self._rules_channel(community, config.community.channels.rules),
        )
        try:
            await platform.send(channel, OutgoingMessage(text=text))
        except PlatformError:
            log.warning("flag %s: could not post the warning in #%s", details.flag.id, channel.name)


def _quoted(details: FlagDetails) -> FlaggedMessage | None:
    """The message to show its author: the first that broke a rule (the one the notice's
    "why" is about), else the latest reported one."""
    broke = {(hit.channel_id, hit.message_id) for hit in details.hits}
    return next(
        (m for m in details.messages if (m.channel_id, m.message_id) in broke),
        details.messages[-1] if details.messages else None,
    )
