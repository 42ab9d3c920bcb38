"""Lists moderators ask for: open flags (``/flags open``) and a member's record
(``/infractions @member``). Plain functions from stored values to one private reply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot import formatting
from bot.i18n import I18n
from bot.outgoing import Link, Markup, OutgoingMessage, Rich, join
from cogs.moderation.config import ModerationConfig
from cogs.moderation.rule_names import rule_names
from cogs.moderation.view import format_time
from storage.member_notes import MemberNote
from storage.moderation import FlagDetails, FlagKind, Infraction

# A private reply stays readable; moderators page through the rest on the flags themselves.
SHOWN_FLAGS = 20
SHOWN_INFRACTIONS = 25
SHOWN_NOTES = 10


def open_flags_reply(
    i18n: I18n,
    locale: str,
    flags: list[FlagDetails],
    total: int,
    links: Mapping[int, str],
    now: datetime,
    section: ModerationConfig,
    language: str | None = None,
) -> OutgoingMessage:
    if not flags and language:
        return OutgoingMessage(text=i18n.t("list.open_none_language", locale, language=language))
    if not flags:
        return OutgoingMessage(text=i18n.t("list.open_none", locale))
    lines = [i18n.t("list.open_title", locale, count=total)]
    for details in flags:
        flag = details.flag
        if flag.kind is FlagKind.ESCALATION:
            about = i18n.text("list.escalation", locale)
        elif flag.kind is FlagKind.DIRECT:
            about = i18n.text(
                "list.direct", locale, action=i18n.text(f"action.{flag.suggested or 'ban'}", locale)
            )
        else:
            rules = rule_names(i18n, locale, section, details.rules)
            about = ", ".join(rules) or i18n.text("list.reported", locale)
        link = links.get(flag.id)
        lines.append(
            i18n.t(
                "list.open_line",
                locale,
                number=flag.id,
                author=flag.author_name,
                about=about,
                reports=i18n.text("list.reports", locale, count=len(details.reports))
                if details.reports
                else "",
                age=formatting.duration(_whole_minutes(now - flag.created_at), locale),
                link=Link(link, i18n.text("list.jump", locale)) if link else "",
            )
        )
    if total > len(flags):
        lines.append(i18n.t("list.more", locale, count=total - len(flags)))
    return OutgoingMessage(text=join(lines))


def infractions_reply(
    i18n: I18n,
    locale: str,
    member_name: str,
    infractions: list[Infraction],
    recent: int,
    window: str,
    moderators: Mapping[str, str],
    notes: Sequence[MemberNote] = (),
    note_count: int = 0,
) -> OutgoingMessage:
    note_lines = _note_lines(i18n, locale, notes, note_count, moderators)
    if not infractions:
        none = i18n.t("infractions.none", locale, member=member_name)
        return OutgoingMessage(text=join([none, *note_lines]))
    lines = [
        i18n.t(
            "infractions.title",
            locale,
            member=member_name,
            count=len(infractions),
            recent=recent,
            window=window,
        )
    ]
    for infraction in infractions[:SHOWN_INFRACTIONS]:
        extra: list[Rich] = []
        if infraction.flag_id is not None:
            extra.append(i18n.t("infractions.flag", locale, number=infraction.flag_id))
        if infraction.expires_at is not None:
            extra.append(
                i18n.t("infractions.until", locale, time=format_time(infraction.expires_at, locale))
            )
        if infraction.pardoned_by is not None:
            extra.append(
                i18n.t(
                    "infractions.pardoned_because"
                    if infraction.pardon_reason
                    else "infractions.pardoned",
                    locale,
                    moderator=moderators.get(infraction.pardoned_by, infraction.pardoned_by),
                    reason=infraction.pardon_reason,
                )
            )
        line = i18n.t(
            "infractions.line",
            locale,
            number=infraction.id,
            kind=i18n.text(f"kind.{infraction.kind}", locale),
            time=format_time(infraction.at, locale),
            moderator=", ".join(moderators.get(m, m) for m in infraction.deciders),
            reason=infraction.reason or "—",
        )
        lines.append((*line, *(s for part in extra for s in (Markup(" · "), *part))))
    return OutgoingMessage(text=join([*lines, *note_lines]))


def _note_lines(
    i18n: I18n,
    locale: str,
    notes: Sequence[MemberNote],
    total: int,
    names: Mapping[str, str],
) -> list[Rich]:
    """Moderators' notes under the record: a heading, the newest notes, how many more."""
    if not notes:
        return []
    lines = [i18n.t("infractions.notes", locale, count=total)]
    for note in notes:
        lines.append(
            i18n.t(
                "infractions.note_line",
                locale,
                number=note.id,
                time=format_time(note.at, locale),
                author=names.get(note.author_id, note.author_id),
                text=note.text,
            )
        )
    if total > len(notes):
        lines.append(i18n.t("flag.more_notes", locale, count=total - len(notes)))
    return lines


def _whole_minutes(delta: timedelta) -> timedelta:
    return timedelta(minutes=max(int(delta.total_seconds() // 60), 1))
