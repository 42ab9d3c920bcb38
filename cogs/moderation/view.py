"""How a flag reads in the moderators' channel, rebuilt from storage on every change.

A pure function of the stored flag, so the message after the twentieth message of a burst,
after a restart or after a refused ban is always the same picture of the same state. Names
are plain text, never mentions: a flag pings nobody, not even when it is edited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import formatting
from bot.i18n import I18n
from bot.outgoing import ChannelMention, Field, Link, Markup, OutgoingMessage, Rich, Segment, join
from bot.platform import Platform
from bot.platform_names import platform_name
from bot.spans import last_span, last_span_of
from bot.templates import Value
from bot.text import excerpt
from cogs.moderation.actions import ModAction, missing, offered
from cogs.moderation.config import ModerationConfig
from cogs.moderation.reasons import reason_texts
from cogs.moderation.rule_names import rule_name
from storage.member_notes import MemberNote
from storage.moderation import FlagDetails, FlaggedMessage, FlagKind, FlagStatus

# The "message id" of a text a member gave the bot to post that the rules refused
# (cogs/moderation/submissions.py): a flag shows it was never posted, not "deleted".
REFUSED = "refused:"
# The "message id" of a message Discord's AutoMod blocked (cogs/moderation/automod): it
# never existed, so a flag shows it was blocked, and nothing is deleted.
BLOCKED = "blocked:"
# Texts that never became messages: nothing to delete.
NEVER_POSTED = (REFUSED, BLOCKED)
# A flag shows the latest few messages of a burst and reports; the rest is one line, so a
# flag stays readable on a phone however much it collects.
SHOWN_MESSAGES = 3
SHOWN_REPORTS = 5
SHOWN_MATCHES_PER_RULE = 3
EXCERPT_CHARS = 300
REPORT_REASON_CHARS = 200
SHOWN_REASON_CHARS = 160
# The newest notes about a member a flag shows; /infractions shows more.
SHOWN_NOTES = 3
# Discord cuts a card's field after 1,024 characters. The excerpts (or report reasons) on
# one field share a budget that leaves room for each line's channel, link and escaping, so
# a long burst never loses its newest message and link to the cut.
MESSAGE_EXCERPTS_BUDGET = 540
REPORT_REASONS_BUDGET = 600

# Between the matched texts of one rule as stored (a hit keeps them in one column); a
# flag shows them in the reader's quotes instead.
MATCH_SEPARATOR = "”, “"

# A rule's line on a flag, by whether there is matched text and a reason to show.
_RULE_LINES = {
    (True, True): "flag.rule_matched_because",
    (True, False): "flag.rule_matched",
    (False, True): "flag.rule_because",
    (False, False): "flag.rule_name",
}


@dataclass(frozen=True)
class FlagView:
    """Everything a flag message shows besides the stored flag itself."""

    details: FlagDetails
    infraction_counts: Mapping[str, int]
    config: ModerationConfig
    platform: Platform
    names: Mapping[str, str]  # member id -> display name, for moderators and reporters
    i18n: I18n
    locale: str
    # Moderators' notes about the member (newest first) and how many there are in all.
    notes: tuple[MemberNote, ...] = ()
    note_count: int = 0

    def t(self, key: str, /, **values: Value) -> Rich:
        return self.i18n.t(key, self.locale, **values)


def render_flag(view: FlagView) -> OutgoingMessage:
    flag = view.details.flag
    fields = [
        *_message_fields(view),
        *_rule_fields(view),
        *_report_fields(view),
        Field(view.t("flag.history"), _history(view)),
        *_note_fields(view),
        Field(view.t("flag.status"), _status(view)),
    ]
    gaps = missing(view.platform)
    if gaps and flag.status is not FlagStatus.SETTLED:
        fields.append(
            Field(
                view.t(
                    "flag.unavailable",
                    platform=platform_name(view.i18n, view.platform.name, view.locale),
                ),
                join(
                    view.t(
                        "flag.unavailable_line",
                        emoji=view.config.reactions.emoji(action),
                        action=action_label(view.i18n, view.locale, action),
                        instead=instead_text(
                            view.i18n, view.locale, view.platform, view.config, action
                        ),
                    )
                    for action in gaps
                ),
            )
        )
    return OutgoingMessage(title=_title(view), fields=tuple(fields))


def action_label(i18n: I18n, locale: str, action: ModAction) -> str:
    return i18n.text(f"action.{action.value}", locale)


def instead_text(
    i18n: I18n, locale: str, platform: Platform, config: ModerationConfig, action: ModAction
) -> str:
    """What a moderator can do by hand where the platform lacks an action."""
    return i18n.text(
        f"instead.{action.value}",
        locale,
        platform=platform_name(i18n, platform.name, locale),
        dismiss=config.reactions.emoji(ModAction.DISMISS),
    )


def format_time(moment: datetime, locale: str) -> str:
    """A moment on a card or in a list, in UTC as the language writes it."""
    return formatting.moment(moment, locale)


# -- parts ----------------------------------------------------------------------------------


def _title(view: FlagView) -> Rich:
    flag = view.details.flag
    if flag.kind is FlagKind.DIRECT:
        by = str(flag.details.get("by", ""))
        return view.t(
            "flag.title_direct", number=flag.id, author=flag.author_name, by=view.names.get(by, by)
        )
    if flag.kind is FlagKind.ESCALATION or not view.details.messages:
        return view.t("flag.title_member", number=flag.id, author=flag.author_name)
    first = view.details.messages[0]
    return view.t(
        "flag.title",
        number=flag.id,
        author=flag.author_name,
        channel=ChannelMention(first.channel_id, first.channel_name),
    )


def _message_fields(view: FlagView) -> list[Field]:
    messages = view.details.messages
    if view.details.flag.kind is FlagKind.ESCALATION:
        details = view.details.flag.details
        text = view.t(
            "flag.escalation_text",
            count=int(details.get("count", 0)),
            kind=view.i18n.text(f"kind.{details.get('kind', 'warn')}", view.locale),
            within=last_span_of(view.i18n, str(details.get("within", "")), view.locale),
            suggestion=_suggestion(view),
        )
        return [Field(view.t("flag.escalation"), text)]
    if not messages:
        return []
    name = (
        view.t("flag.message")
        if len(messages) == 1
        else view.t("flag.messages", count=len(messages))
    )
    lines: list[Rich] = []
    hidden = len(messages) - SHOWN_MESSAGES
    if hidden > 0:
        lines.append(view.t("flag.more_messages", count=hidden))
    shown = messages[-SHOWN_MESSAGES:]
    chars = min(EXCERPT_CHARS, MESSAGE_EXCERPTS_BUDGET // len(shown))
    for message in shown:
        gone = (
            "flag.refused"
            if message.message_id.startswith(REFUSED)
            else "flag.blocked"
            if message.message_id.startswith(BLOCKED)
            else "flag.deleted"
        )
        where: Segment = (
            Markup(view.i18n.text(gone, view.locale))
            if message.deleted_at is not None or not message.permalink
            else Link(message.permalink, view.i18n.text("flag.jump", view.locale))
        )
        line = view.t(
            "flag.message_line",
            channel=ChannelMention(message.channel_id, message.channel_name),
            excerpt=excerpt(message.excerpt, chars),
            link=where,
        )
        lines.append(_with_origin(view, line, message))
    return [Field(name, join(lines))]


def _with_origin(view: FlagView, line: Rich, message: FlaggedMessage) -> Rich:
    """A forwarded message's line says so, and from which channel when it is known."""
    if message.forwarded_from is None:
        return line
    if not message.forwarded_from:
        return (*line, Markup(" "), *view.t("flag.forwarded"))
    origin = ChannelMention(message.forwarded_from, message.forwarded_from_name)
    return (*line, Markup(" "), *view.t("flag.forwarded_from", channel=origin))


def _rule_fields(view: FlagView) -> list[Field]:
    matched: dict[str, dict[str, None]] = {}
    reasons: dict[str, dict[str, None]] = {}
    for hit in view.details.hits:
        matched.setdefault(hit.rule, {})
        worded = reason_texts(view.i18n, view.locale, hit.reasons)
        if hit.legacy_reason:
            worded.append(hit.legacy_reason)
        if hit.matched:
            matched[hit.rule][hit.matched] = None
            reasons.setdefault(hit.rule, {}).update(dict.fromkeys(worded))
        elif worded:
            # A rule about the whole message (a burst): its latest count says it all.
            reasons[hit.rule] = dict.fromkeys(worded)
    if not matched:
        return []
    # Several matched texts of one rule, each in the language's own quotes: „a“, „b“.
    quotes = view.i18n.text("notice.rules_separator", view.locale)
    lines = []
    for rule, texts in matched.items():
        shown_reasons = list(reasons.get(rule, ()))[:SHOWN_MATCHES_PER_RULE]
        why = excerpt("; ".join(shown_reasons), SHOWN_REASON_CHARS)
        parts = dict.fromkeys(part for text in texts for part in text.split(MATCH_SEPARATOR))
        shown = quotes.join(excerpt(t, 80) for t in list(parts)[:SHOWN_MATCHES_PER_RULE])
        lines.append(
            view.t(
                _RULE_LINES[bool(shown), bool(why)],
                rule=rule_name(view.i18n, view.locale, view.config, rule),
                matched=shown,
                reason=why,
            )
        )
    return [Field(view.t("flag.rules", count=len(lines)), join(lines))]


def _report_fields(view: FlagView) -> list[Field]:
    reports = view.details.reports
    if not reports:
        return []
    lines = []
    shown = reports[:SHOWN_REPORTS]
    chars = min(REPORT_REASON_CHARS, REPORT_REASONS_BUDGET // len(shown))
    for report in shown:
        if report.reason:
            lines.append(
                view.t(
                    "flag.report_line",
                    reporter=report.reporter_name,
                    reason=excerpt(report.reason, chars),
                )
            )
        else:
            lines.append(view.t("flag.report_line_bare", reporter=report.reporter_name))
    if len(reports) > SHOWN_REPORTS:
        lines.append(view.t("flag.more_reports", count=len(reports) - SHOWN_REPORTS))
    return [Field(view.t("flag.reports", count=len(reports)), join(lines))]


def _note_fields(view: FlagView) -> list[Field]:
    """Moderators' notes about the member: context for whoever decides."""
    if not view.notes:
        return []
    lines = [
        view.t(
            "flag.note_line",
            time=format_time(note.at, view.locale),
            author=view.names.get(note.author_id, note.author_id),
            text=excerpt(note.text, REPORT_REASON_CHARS),
        )
        for note in view.notes
    ]
    if view.note_count > len(view.notes):
        lines.append(view.t("flag.more_notes", count=view.note_count - len(view.notes)))
    return [Field(view.t("flag.notes", count=view.note_count), join(lines))]


def _history(view: FlagView) -> Rich:
    window = last_span(view.i18n, view.config.history_window, view.locale)
    counts = {k: n for k, n in view.infraction_counts.items() if n}
    if not counts:
        return view.t("flag.history_none", window=window)
    parts = [
        view.i18n.text(
            "flag.history_item",
            view.locale,
            count=n,
            kind=view.i18n.text(f"kind.{kind}", view.locale),
        )
        for kind, n in sorted(counts.items())
    ]
    return view.t("flag.history_some", summary=", ".join(parts), window=window)


def _status(view: FlagView) -> Rich:
    flag = view.details.flag
    reactions = view.config.reactions
    if flag.status is FlagStatus.SETTLED or flag.status is FlagStatus.ACTING:
        action = ModAction(flag.outcome or ModAction.DISMISS)
        key = "flag.settled" if flag.status is FlagStatus.SETTLED else "flag.acting"
        deciders = [v.moderator_id for v in view.details.votes if v.action == action] or [
            flag.acted_by or ""
        ]
        line = view.t(
            key,
            emoji=reactions.emoji(action),
            outcome=outcome_text(view.i18n, view.locale, action, _timeout(view)),
            moderator=", ".join(view.names.get(m, m) for m in deciders),
            time=format_time(flag.acted_at or flag.created_at, view.locale),
        )
        if flag.reason:
            line = (*line, Markup("\n"), *view.t("flag.settled_reason", reason=flag.reason))
        return line
    lines: list[Rich] = []
    if flag.error:
        error = view.i18n.text(f"error.{flag.error}", view.locale)
        lines.append(view.t("flag.failed", error=error))
    lines.extend(_votes(view))
    legend = " · ".join(
        f"{reactions.emoji(a)} {action_label(view.i18n, view.locale, a)}"
        + (f" {formatting.duration(_timeout(view), view.locale)}" if a is ModAction.TIMEOUT else "")
        for a in offered(view.platform, messages=bool(view.details.messages))
    )
    lines.append(view.t("flag.open", legend=legend))
    return join(lines)


def _votes(view: FlagView) -> list[Rich]:
    by_action: dict[str, list[str]] = {}
    for vote in view.details.votes:
        by_action.setdefault(vote.action, []).append(
            view.names.get(vote.moderator_id, vote.moderator_id)
        )
    lines = []
    for action_name, names in by_action.items():
        action = ModAction(action_name)
        lines.append(
            view.t(
                "flag.votes",
                emoji=view.config.reactions.emoji(action),
                action=action_label(view.i18n, view.locale, action),
                names=", ".join(names),
                have=len(names),
                needed=view.config.quorum.needed(action),
            )
        )
    return lines


def _suggestion(view: FlagView) -> str:
    flag = view.details.flag
    action = ModAction(flag.suggested or ModAction.TIMEOUT)
    label = action_label(view.i18n, view.locale, action)
    emoji = view.config.reactions.emoji(action)
    if action is ModAction.TIMEOUT:
        return f"{emoji} {label} {formatting.duration(_timeout(view), view.locale)}"
    return f"{emoji} {label}"


def _timeout(view: FlagView) -> timedelta:
    seconds = view.details.flag.timeout_seconds
    return timedelta(seconds=seconds) if seconds else view.config.timeout_duration


def outcome_text(i18n: I18n, locale: str, action: ModAction, duration: timedelta) -> str:
    return i18n.text(
        f"outcome.{action.value}", locale, duration=formatting.duration(duration, locale)
    )
