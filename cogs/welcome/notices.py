"""What moderators see about newcomers: the join-wave alert and the join log line.

Pure rendering, no I/O: the alert is rebuilt from stored wave members every time, so an
edit after a restart shows exactly what a fresh alert would. Newcomers appear as mentions
that moderators can click; the alert is sent without pings, so raiders are not notified.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import formatting
from bot.i18n import I18n
from bot.outgoing import Markup, Mention, OutgoingMessage, Rich, join
from cogs.welcome._text import capped
from storage.welcome import Wave, WaveMember

# Newcomers listed in one alert; 25 lines of ~60 characters stay under Discord's 2000.
MAX_LISTED = 25


def describe_age(age: timedelta | None, i18n: I18n, locale: str) -> str:
    """An account age a moderator can take in at a glance: ``3d``, ``5h`` or ``12m``."""
    if age is None:
        return i18n.text("welcome.age.unknown", locale)
    return formatting.age(max(age, timedelta(minutes=1)), locale)


def is_young(created_at: datetime | None, joined_at: datetime, young: timedelta) -> bool:
    """Younger than the configured age at the moment of joining; unknown counts as young."""
    return created_at is None or joined_at - created_at < young


def render_alert(
    wave: Wave,
    members: list[WaveMember],
    *,
    young: timedelta,
    i18n: I18n,
    locale: str,
    measures: list[Rich] | None = None,
) -> OutgoingMessage:
    """The alert; `measures` (the raid section) replaces the suggested actions: when the
    bot acted by itself, the alert says what it did instead of what one might do."""
    young_count = sum(is_young(m.account_created_at, m.joined_at, young) for m in members)
    times = {
        "count": len(members),
        "young": i18n.text("welcome.wave.young", locale, count=young_count),
        "start": f"{wave.started_at:%H:%M:%S} UTC",
        "end": f"{wave.last_join_at:%H:%M:%S} UTC",
    }
    over = wave.ended_at is not None
    title = i18n.t("welcome.wave.title_over" if over else "welcome.wave.title", locale, **times)
    shown, more = capped(members, MAX_LISTED)
    body = [_member_line("welcome.wave.line", m, young, i18n, locale) for m in shown]
    if more:
        body.append(i18n.t("welcome.wave.more", locale, count=more))
    if measures:
        body += measures
    if over:
        body.append(i18n.t("welcome.wave.over_note", locale))
    elif not measures:
        body.append(i18n.t("welcome.wave.suggestions", locale))
    return OutgoingMessage(title=title, text=join(body))


def render_join_log(
    member: WaveMember, *, young: timedelta, i18n: I18n, locale: str
) -> OutgoingMessage:
    """One line per join for the moderators' join log, young accounts marked."""
    return OutgoingMessage(text=_member_line("welcome.join_log.line", member, young, i18n, locale))


def _member_line(key: str, member: WaveMember, young: timedelta, i18n: I18n, locale: str) -> Rich:
    created = member.account_created_at
    line = i18n.t(
        key,
        locale,
        member=Mention(member.member_id, member.name),
        age=describe_age(None if created is None else member.joined_at - created, i18n, locale),
    )
    if is_young(created, member.joined_at, young):
        line = (*line, Markup(" "), *i18n.t("welcome.wave.young_mark", locale))
    return line
