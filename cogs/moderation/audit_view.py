"""/audit: what moderators did, newest first, a page at a time, filtered by the member it
was about, the moderator who did it, or the action.

The log itself is append-only (`storage/audit.py`); this only reads it. Names are plain
text, never mentions, so reading the log pings nobody.
"""

from __future__ import annotations

from bot.cog import Services, command
from bot.commands import Option, OptionType, Permission
from bot.i18n import I18n
from bot.interaction import Interaction
from bot.model import UserRef
from bot.outgoing import OutgoingMessage, Rich, join
from bot.text import excerpt
from cogs.moderation.actions import ModAction
from cogs.moderation.desk import FlagDesk
from cogs.moderation.view import format_time
from storage.appeals import AppealStatus
from storage.audit import AuditEntry, AuditQuery
from storage.moderation import ModerationRepository

# Ten lines fit a phone screen and Discord's 2,000-character reply with reasons shown.
PAGE_SIZE = 10
SHOWN_REASON_CHARS = 80
# /audit shows moderation; tickets keep their own history (`/ticket show`).
SCOPE = "moderation."
# What a subject ("flag:3") reads as on a line.
_SUBJECTS = {"flag": "audit.flag", "infraction": "audit.infraction", "appeal": "audit.appeal"}
# Every action the moderation cog logs (after SCOPE); each has a name in the catalogs
# (`audit.action.*`): decisions on flags and infractions, lifts, votes, notes, appeals and
# leaked secrets.
ACTIONS = (
    *(a.value for a in ModAction),
    "unban",
    "untimeout",
    "note",
    "report",
    "vote",
    "vote_withdrawn",
    "action_failed",
    "pardon",
    "pardon_vote",
    "appeal",
    "appeal_vote",
    *(f"appeal_{s.value}" for s in AppealStatus if s is not AppealStatus.OPEN),
    "secret_found",
    "secret_removed",
)


class AuditCommands:
    """The /audit command, mixed into the moderation cog (which provides these attributes)."""

    services: Services
    desk: FlagDesk
    repo: ModerationRepository

    @command(
        "audit",
        "Recent moderation actions, newest first; filter by member, moderator or action.",
        Option(
            "member",
            "Only actions about this member",
            OptionType.USER,
            required=False,
            keyword_only=True,
        ),
        Option(
            "moderator",
            "Only actions by this moderator",
            OptionType.USER,
            required=False,
            keyword_only=True,
        ),
        Option(
            "action",
            "Only this action, e.g. warn, ban, pardon, note, appeal",
            required=False,
            max_length=40,
            keyword_only=True,
        ),
        Option(
            "page",
            "Page number",
            OptionType.INTEGER,
            required=False,
            min_value=1,
            max_value=10000,
            keyword_only=True,
        ),
        permission=Permission.MODERATOR,
        private=True,
        description_de="Letzte Moderationsaktionen; Filter: Mitglied, Moderation, Aktion.",
    )
    async def audit(self, interaction: Interaction) -> None:
        args = interaction.args
        member, moderator = args["member"], args["moderator"]
        query = AuditQuery(
            member_id=member.id if isinstance(member, UserRef) else "",
            actor_id=moderator.id if isinstance(moderator, UserRef) else "",
            action=_code(interaction, args.text("action") or ""),
            prefix=SCOPE,
        )
        page = int(args["page"] or 1)  # type: ignore[call-overload]
        community = interaction.community
        entries, total = await self.services.audit.search(
            community.key, query, PAGE_SIZE, (page - 1) * PAGE_SIZE
        )
        pages = max(1, -(-total // PAGE_SIZE))
        if not entries:
            key = "audit.empty" if page == 1 else "audit.past_end"
            await interaction.say(key, pages=pages)
            return
        ids = {e.actor_id for e in entries} | {e.member_id for e in entries if e.member_id}
        names = await self.desk.names(community, ids)
        for member_id in [i for i, shown in names.items() if i == shown]:
            found = await self.repo.find_member(community.key, member_id)  # left or banned
            if found is not None:
                names[member_id] = found[1]
        lines = [_line(interaction.i18n, interaction.locale, e, names) for e in entries]
        if page < pages:
            lines.append(interaction.t("audit.more", page=page + 1))
        await interaction.reply(
            OutgoingMessage(
                title=interaction.t("audit.title", count=total, page=page, pages=pages),
                text=join(lines),
            )
        )


def _code(interaction: Interaction, typed: str) -> str:
    """The action a moderator filters by: its code ("warn") or its name in their language
    ("verwarnt"), so the filter takes the words the log shows."""
    typed = typed.strip().casefold().removeprefix(SCOPE)
    for code in ACTIONS:
        if action_name(interaction.i18n, interaction.locale, code).casefold() == typed:
            return code
    return typed


def action_name(i18n: I18n, locale: str, action: str) -> str:
    """What a logged action reads as; an action this version does not know (one a newer
    version logged) shows as it was stored."""
    code = action.removeprefix(SCOPE)
    return i18n.text(f"audit.action.{code}", locale) if code in ACTIONS else code


def _line(i18n: I18n, locale: str, entry: AuditEntry, names: dict[str, str]) -> Rich:
    action = action_name(i18n, locale, entry.action)
    about = names.get(entry.member_id, entry.member_id) if entry.member_id else "—"
    kind, _, number = entry.subject.partition(":")
    subject = i18n.text(_SUBJECTS[kind], locale, number=number) if kind in _SUBJECTS else ""
    reason = entry.details.get("reason")
    line = i18n.t(
        "audit.line",
        locale,
        number=entry.id,
        time=format_time(entry.at, locale),
        moderator=names.get(entry.actor_id, entry.actor_id),
        action=action,
        member=about,
        subject=f" · {subject}" if subject else "",
        reason=f" · {excerpt(str(reason), SHOWN_REASON_CHARS)}" if reason else "",
    )
    return line
