"""What members hear from moderation: the author of a flagged message, and reporters.

Every notice is an outbox entry written with the state change it tells about, and the
author hears about a timeout, kick or ban only once the platform carried it out. Private
first. A warning that cannot be delivered privately (closed DMs) becomes a short mention in
a channel, because a warning nobody reads is no warning; a kicked or banned member who can
no longer be reached is reported to the moderators as not notified; every other notice is
best effort and never blocks the action itself. Each text is in the member's own locale.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot import formatting
from bot.cog import Services
from bot.delivery import Outcome, Pending, Then
from bot.effects import DirectMessage, Post
from bot.errors import DirectMessagesClosed
from bot.model import ChannelRef, Community, Member, MessageRef, UserRef
from bot.outgoing import ChannelMention, Mention, OutgoingMessage, Rich, join
from bot.spans import last_span_of
from bot.text import excerpt
from cogs.moderation.actions import ModAction
from cogs.moderation.config import ModerationConfig
from cogs.moderation.reasons import Worded, reason_texts
from cogs.moderation.rule_names import rule_names
from storage.database import Transaction
from storage.moderation import FlagDetails, FlaggedMessage, FlagKind, Report

log = logging.getLogger(__name__)

# Continuations of the author's notice about a decision, and of a secret's notice.
AUTHOR_TOLD = "moderation.author_told"
SECRET_TOLD = "moderation.secret_told"

# Enough of the message that the author recognises it, not so much that the DM is a wall.
NOTICE_EXCERPT_CHARS = 200


class Notifier:
    def __init__(self, services: Services) -> None:
        self._services = services

    async def tell_author(
        self,
        tx: Transaction,
        community: Community,
        details: FlagDetails,
        action: ModAction,
        reason: str,
        duration: timedelta,
    ) -> Pending:
        """Tell the author what was decided and why; the continuation `AUTHOR_TOLD` deals
        with a notice that cannot be delivered."""
        flag = details.flag
        user = UserRef(community, flag.author_id)
        platform = self._services.platform(community)
        config = await self._services.config.get(community)
        locale = await self._locale(user, config.community.locale)
        t = self._services.i18n.t
        name = config.community.name or await platform.community_name(community)
        section = config.section("moderation", ModerationConfig)
        why = self._why(details, locale, section)
        parts: list[Rich] = [
            t(
                f"notice.{action.value}",
                locale,
                community=name,
                duration=formatting.duration(duration, locale),
                why=why,
            )
        ]
        found = self._found(details, locale, section)
        if found:
            parts.append(t("notice.reasons", locale, reasons=found))
        if reason and flag.kind is not FlagKind.DIRECT:  # a direct action's reason is its why
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
        data = {"community": community.key, "flag": flag.id, "action": action.value}
        return await self._services.outbox.add(
            tx,
            DirectMessage(user, OutgoingMessage(text=join(parts, "\n\n"))),
            key=f"moderation:flag:{flag.id}:notice",
            then=Then(AUTHOR_TOLD, data),
        )

    async def author_not_told(
        self, tx: Transaction, community: Community, details: FlagDetails, action: ModAction
    ) -> None:
        """The author's notice could not be delivered: a warning goes to a channel instead;
        for anything else the moderators see that the member was not notified."""
        flag = details.flag
        config = await self._services.config.get(community)
        locale = self._services.i18n.pick_locale(None, config.community.locale)
        if action is ModAction.WARN:
            section = config.section("moderation", ModerationConfig)
            await self._warn_in_channel(tx, community, details, self._why(details, locale, section))
            return
        if flag.post_channel_id is None:
            log.warning("flag %s: %s was not notified of the %s", flag.id, flag.author_id, action)
            return
        # Said next to the flag: in the language of its desk.
        section = config.section("moderation", ModerationConfig)
        if flag.language in section.desks:
            locale = self._services.i18n.pick_locale(flag.language, config.community.locale)
        label = self._services.i18n.text(f"action.{action.value}", locale)
        text = self._services.i18n.t(
            "feedback.not_notified", locale, number=flag.id, member=flag.author_name, action=label
        )
        await self._services.outbox.add(
            tx,
            Post(ChannelRef(community, flag.post_channel_id), OutgoingMessage(text=text), False),
            key=f"moderation:flag:{flag.id}:not-notified",
        )

    async def tell_reporters(
        self, tx: Transaction, community: Community, details: FlagDetails
    ) -> tuple[list[Report], list[Pending]]:
        """One private note to each reporter that the flag was settled; returns the reports
        now answered (a member who reported several messages of one flag hears once) and
        the notes written."""
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        if not section.reports.notify_on_settle:
            return [], []
        outcome = details.flag.outcome
        key = "notice.report_dismissed" if outcome == ModAction.DISMISS else "notice.report_acted"
        by_reporter: dict[str, list[Report]] = {}
        for report in details.reports:
            if report.notified_at is None:
                by_reporter.setdefault(report.reporter_id, []).append(report)
        told: list[Report] = []
        notes: list[Pending] = []
        for reports in by_reporter.values():
            report = reports[0]
            locale = self._services.i18n.pick_locale(
                report.reporter_locale, config.community.locale
            )
            channel = next((m for m in details.messages if m.message_id == report.message_id), None)
            where = ChannelMention(channel.channel_id, channel.channel_name) if channel else ""
            text = self._services.i18n.t(key, locale, channel=where)
            note = DirectMessage(UserRef(community, report.reporter_id), OutgoingMessage(text=text))
            notes.append(
                await self._services.outbox.add(
                    tx, note, key=f"moderation:report:{report.id}:settled"
                )
            )
            told.extend(reports)
        return told, notes

    async def tell_about_secret(
        self,
        tx: Transaction,
        author: Member,
        message: MessageRef,
        kinds: Sequence[Worded],
        deleted: bool,
    ) -> Pending:
        """Tell the author privately that their message held a secret (and is gone), naming
        its `kinds` in the author's language; closed DMs: `secret_not_told`."""
        locale = await self._services.locale_for(author)
        i18n = self._services.i18n
        what = ", ".join(reason_texts(i18n, locale, kinds))
        key = "notice.credentials" if deleted else "notice.credentials_undeletable"
        channel = message.channel
        text = i18n.t(key, locale, channel=ChannelMention(channel.id, channel.name), what=what)
        data = {
            "community": author.community.key,
            "channel": channel.id,
            "channel_name": channel.name,
            "author": author.id,
            "name": author.shown_name,
            "locale": locale,
        }
        return await self._services.outbox.add(
            tx,
            DirectMessage(author.ref, OutgoingMessage(text=text)),
            key=f"moderation:secret:{channel.id}:{message.id}:notice",
            then=Then(SECRET_TOLD, data),
        )

    async def secret_not_told(
        self, tx: Transaction, outcome: Outcome, data: dict[str, Any]
    ) -> None:
        """Closed DMs: a mention in the channel, without the secret."""
        if not isinstance(outcome.error, DirectMessagesClosed):
            return
        community = Community.from_key(str(data["community"]))
        public = self._services.i18n.t(
            "notice.credentials_public",
            str(data["locale"]),
            member=Mention(str(data["author"]), str(data["name"])),
        )
        channel = ChannelRef(community, str(data["channel"]), str(data["channel_name"]))
        await self._services.outbox.add(
            tx,
            Post(channel, OutgoingMessage(text=public)),
            key=f"moderation:secret:{outcome.entry_id}:public",
        )

    # -- helpers ----------------------------------------------------------------------------

    async def _locale(self, user: UserRef, default: str) -> str:
        member = await self._services.platform(user.community).fetch_member(user)
        return self._services.i18n.pick_locale(member.locale if member else None, default)

    def _found(self, details: FlagDetails, locale: str, section: ModerationConfig) -> str:
        """What the rules with `show_reason = true` found, in the member's language."""
        showing = {rule.name for rule in section.rules if rule.show_reason}
        found = [reason for hit in details.hits if hit.rule in showing for reason in hit.reasons]
        return "; ".join(reason_texts(self._services.i18n, locale, found))

    def _why(self, details: FlagDetails, locale: str, section: ModerationConfig) -> str:
        t = self._services.i18n.text
        flag = details.flag
        if flag.kind is FlagKind.ESCALATION:
            return t(
                "notice.why_escalation",
                locale,
                count=int(flag.details.get("count", 0)),
                kind=self._services.i18n.text(f"kind.{flag.details.get('kind', 'warn')}", locale),
                within=last_span_of(
                    self._services.i18n, str(flag.details.get("within", "")), locale
                ),
            )
        if flag.kind is FlagKind.DIRECT:  # the moderator's own words are the reason
            return flag.reason or t("notice.why_general", locale)
        rules = rule_names(self._services.i18n, locale, section, details.rules)
        if rules:
            separator = t("notice.rules_separator", locale)
            return t("notice.why_rules", locale, rules=separator.join(rules), count=len(rules))
        return t("notice.why_general", locale)

    async def _rules_channel(self, community: Community, name: str) -> ChannelMention | str:
        channel = await self._services.platform(community).find_channel(community, name)
        return ChannelMention(channel.id, channel.name) if channel else f"#{name}"

    async def _warn_in_channel(
        self, tx: Transaction, community: Community, details: FlagDetails, why: str
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
        user = UserRef(community, details.flag.author_id)
        locale = await self._locale(user, config.community.locale)
        text = self._services.i18n.t(
            "notice.warn_public",
            locale,
            member=Mention(details.flag.author_id, details.flag.author_name),
            why=self._why(details, locale, section),
            rules=await self._rules_channel(community, config.community.channels.rules),
        )
        await self._services.outbox.add(
            tx,
            Post(channel, OutgoingMessage(text=text)),
            key=f"moderation:flag:{details.flag.id}:notice:public",
        )


def _quoted(details: FlagDetails) -> FlaggedMessage | None:
    """The message to show its author: the first that broke a rule (the one the notice's
    "why" is about), else the latest reported one."""
    broke = {(hit.channel_id, hit.message_id) for hit in details.hits}
    return next(
        (m for m in details.messages if (m.channel_id, m.message_id) in broke),
        details.messages[-1] if details.messages else None,
    )
