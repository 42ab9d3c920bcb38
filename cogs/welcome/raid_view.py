"""The raid section of a join-wave alert: each measure the bot took, and what became of it.

Pure rendering from the stored raid and its steps, so the alert says exactly what the
platform answered: a measure waiting for the platform says so, a refused one shows the
refusal, one the platform does not have says it was not available. Time-outs are grouped
by what became of them, so a raid of fifty accounts stays a few lines.
"""

from __future__ import annotations

import hashlib
from itertools import groupby

from bot.i18n import I18n
from bot.outgoing import ChannelMention, Markup, Mention, Plain, Rich, join
from bot.platform_names import platform_name
from cogs.welcome._text import capped
from storage.raids import ACTIVE, ENDED, Raid, Step

SLOW_MODE, INVITES, TIMEOUT, RULES = "slow_mode", "invites", "timeout", "rules"
PENDING, DONE, REFUSED, UNAVAILABLE, MISSING = (
    "pending",
    "done",
    "refused",
    "unavailable",
    "missing",
)
UNDOING, UNDONE, UNDO_REFUSED = "undoing", "undone", "undo_refused"
# A take-back left to a later raid holding the same channel (or invites): it restores the
# value from before both when it ends.
HANDED_OVER = "handed_over"
# An undo found a time-out that is not the raid's any more (a moderator changed it since).
KEPT = "kept"
# An undo found the timed-out member gone (left, or banned since): the platform has no
# member to lift it from, and a retry would find none either; the time-out ends by itself.
GONE = "gone"
# An undo found the slowed channel deleted (its slow mode went with it): nothing to take
# back, and nothing a retry could do.
CHANNEL_GONE = "channel_gone"
# An undo came after the raid's time-out had run out: nothing of the raid's left to lift.
EXPIRED = "expired"
# Steps an undo has not brought back (yet): the heading does not claim it undone.
NOT_BACK = (UNDOING, UNDO_REFUSED)
# The rules requirement asked for without rules acceptance switched on.
NEEDS_RULES = "needs_rules"
# The alert's two controls: undo everything, or end the raid state.
UNDO_EMOJI, END_EMOJI = "↩️", "⏹️"
# Who ended a raid that ended by itself (after its quiet period), in the raid and audit log.
BOT = "bot"
# Members named per group of time-outs; the rest are counted.
MAX_NAMED = 15


def raid_state(raid: Raid, steps: list[Step]) -> str:
    """A short digest of what the section shows, for the alert edit's idempotency key."""
    seen = repr((raid.state, [(s.kind, s.channel_id, s.member_id, s.status) for s in steps]))
    return hashlib.sha256(seen.encode()).hexdigest()[:12]


def render_raid(
    raid: Raid,
    steps: list[Step],
    *,
    platform: str,
    quiet_minutes: int,
    i18n: I18n,
    locale: str,
) -> list[Rich]:
    """The lines about the raid's measures, with the controls while they can be used."""
    t = i18n.t
    lines = [_heading(raid, steps, i18n, locale)]
    where = platform_name(i18n, platform, locale)
    for step in sorted(steps, key=lambda s: s.kind != SLOW_MODE):
        if step.kind == SLOW_MODE:
            channel = (
                ChannelMention(step.channel_id, step.name)
                if step.status != MISSING and step.status != UNAVAILABLE
                else f"#{step.name}"
            )
            status = _status(step, where, i18n, locale)
            lines.append(
                (
                    *t("welcome.raid.slow_mode", locale, channel=channel, seconds=step.setting),
                    *_separator(),
                    *status,
                )
            )
        elif step.kind in (INVITES, RULES):
            status = _status(step, where, i18n, locale)
            lines.append((*t(f"welcome.raid.{step.kind}", locale), *_separator(), *status))
    timeouts = sorted((s for s in steps if s.kind == TIMEOUT), key=lambda s: s.status)
    for _, group in groupby(timeouts, key=lambda s: s.status):
        members = list(group)
        lines.append(_timeouts(members, where, i18n, locale))
    if raid.state == ACTIVE:
        lines.append(
            t("welcome.raid.controls", locale, undo=UNDO_EMOJI, end=END_EMOJI, count=quiet_minutes)
        )
    elif raid.state == ENDED:
        lines.append(t("welcome.raid.controls_ended", locale, undo=UNDO_EMOJI))
        if any(s.status == UNDO_REFUSED for s in steps):  # ⏹️ retries it, time-outs stay
            lines.append(t("welcome.raid.controls_ended_retry", locale, end=END_EMOJI))
    elif any(s.status == UNDO_REFUSED for s in steps):
        lines.append(t("welcome.raid.controls_retry", locale, undo=UNDO_EMOJI))
    return lines


def _heading(raid: Raid, steps: list[Step], i18n: I18n, locale: str) -> Rich:
    if raid.state == ACTIVE:
        return i18n.t("welcome.raid.heading", locale)
    if raid.state == ENDED:
        if raid.ended_by == BOT:
            return i18n.t("welcome.raid.heading_ended_quiet", locale)
        return i18n.t("welcome.raid.heading_ended", locale, moderator=_who(raid.ended_by))
    if any(s.status in NOT_BACK for s in steps):
        return i18n.t("welcome.raid.heading_undoing", locale, moderator=_who(raid.undone_by))
    return i18n.t("welcome.raid.heading_undone", locale, moderator=_who(raid.undone_by))


def _who(member_id: str | None) -> Mention:
    return Mention(member_id or "")


def _timeouts(steps: list[Step], where: str, i18n: I18n, locale: str) -> Rich:
    first = steps[0]
    status = _status(first, where, i18n, locale)
    if first.member_id == "":  # the platform has no time-outs: one line says so
        return (*i18n.t("welcome.raid.timeouts_none", locale), *_separator(), *status)
    shown, more = capped(steps, MAX_NAMED)
    members = join([Mention(s.member_id, s.name) for s in shown], Plain(", "))
    if more:
        members = (*members, *i18n.t("welcome.raid.more", locale, count=more))
    heading = i18n.t("welcome.raid.timeouts", locale, hours=first.setting, count=len(steps))
    return (*heading, Markup(" "), *members, *_separator(), *status)


def _status(step: Step, where: str, i18n: I18n, locale: str) -> Rich:
    return i18n.t(f"welcome.raid.status.{step.status}", locale, error=step.error, platform=where)


def _separator() -> Rich:
    return (Markup(": "),)
