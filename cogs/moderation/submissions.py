"""Member text the bot is asked to post (ticket titles, updates, kudos reasons) against
the community's rules, before anything is stored or posted.

Registered with the core's `TextScreen` by the moderation cog. A text the rules would flag
or delete as a message is refused, with the rule named, and flagged like a message so
moderators see who tried what; a secret (a credentials rule, whose action removes it and
tells the author) is cut out and the rest posted, and the member is told so by direct
message, as the author of a message with a secret is. Watch words only interest ambassadors
in conversations, so they pass. Rules about posts rather than words (mentions, which the
bot never lets ping from echoed text; bursts and duplicates, which count messages) do not
apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.cog import Services
from bot.delivery import Pending
from bot.effects import DirectMessage
from bot.model import ChannelRef
from bot.outgoing import OutgoingMessage
from bot.screening import Screened, Submission
from bot.text import excerpt
from cogs.moderation.checking import RuleSets
from cogs.moderation.config import ModerationConfig
from cogs.moderation.desk import FlagDesk
from cogs.moderation.rules import Action, CheckedMessage, RuleKind, RuleMatch
from cogs.moderation.rules.activity import RecentActivity
from cogs.moderation.view import MATCH_SEPARATOR, REFUSED
from storage.moderation import HitReason, MessageSnapshot, ModerationRepository, NewHit

# What a flag shows of the text: as much as of a message.
_EXCERPT_CHARS = 500
# Stands in a posted text for a secret that was cut out.
_REDACTED = "[…]"


class SubmissionScreener:
    def __init__(
        self, services: Services, repo: ModerationRepository, desk: FlagDesk, rules: RuleSets
    ) -> None:
        self._services = services
        self._repo = repo
        self._desk = desk
        self._rules = rules

    async def __call__(self, submission: Submission, locale: str) -> Screened:
        community = submission.member.community
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        ruleset = await self._rules.get(community.key, section.rules)
        if ruleset is None:
            return Screened(submission.text)
        # `edited` keeps the text out of the spam windows, so a fresh, empty one will do.
        checked = ruleset.check(self._checked(submission), RecentActivity())
        matches = [m for m in checked if m.kind not in _ABOUT_MESSAGES]
        secrets = [m for m in matches if _is_secret(m)]
        breaches = [m for m in matches if m.action in _REFUSING and not _is_secret(m)]
        if breaches:
            await self._flag(submission, breaches, section)
            return Screened(submission.text, self._refusal(submission, breaches, locale))
        if secrets:
            await self._tell_redacted(submission, secrets, locale)
        return Screened(_redacted(submission.text, secrets))

    def _checked(self, submission: Submission) -> CheckedMessage:
        member, channel = submission.member, submission.channel
        return CheckedMessage(
            community_key=member.community.key,
            channel_id=channel.id if channel else "",
            author_id=member.id,
            text=submission.text,
            at=self._services.clock.now(),
            channel_name=channel.name if channel else "",
            author_roles=frozenset(r.id for r in member.roles)
            | frozenset(r.name for r in member.roles),
            account_created_at=member.created_at,
            edited=True,  # not a message: the spam windows neither count nor see it
        )

    async def _flag(
        self, submission: Submission, breaches: Sequence[RuleMatch], section: ModerationConfig
    ) -> None:
        """File the attempt like a message, so it shows on a flag with the author's record."""
        member = submission.member
        community = member.community
        now = self._services.clock.now()
        snap = _snapshot(submission, now)
        written: list[Pending] = []
        async with self._services.db.transaction() as tx:
            recorded = await self._repo.record_hits(
                community.key, snap, _hits(breaches), now, now - section.fold_window, tx=tx
            )
            if recorded.filed is not None:
                pending = await self._desk.publish(tx, community, recorded.filed.flag.id)
                written += [pending] if pending is not None else []
        await self._services.outbox.deliver(*written)

    async def _tell_redacted(
        self, submission: Submission, secrets: Sequence[RuleMatch], locale: str
    ) -> None:
        """Tell the member privately that part of their text was cut out: they see […] in
        the post and should know why, and that the secret itself may need changing."""
        i18n = self._services.i18n
        rules = list(dict.fromkeys(m.rule for m in secrets))
        text = i18n.text(
            "screen.redacted",
            locale,
            what=i18n.text(f"screen.field.{submission.field}", locale),
            rules=i18n.text("notice.rules_separator", locale).join(rules),
            count=len(rules),
        )
        effect = DirectMessage(submission.member.ref, OutgoingMessage.of(text))
        async with self._services.db.transaction() as tx:
            pending = await self._services.outbox.add(tx, effect)
        await self._services.outbox.deliver(pending)

    def _refusal(self, submission: Submission, breaches: Sequence[RuleMatch], locale: str) -> str:
        i18n = self._services.i18n
        rules = list(dict.fromkeys(m.rule for m in breaches))
        return i18n.text(
            "screen.refused",
            locale,
            what=i18n.text(f"screen.field.{submission.field}", locale),
            rules=i18n.text("notice.rules_separator", locale).join(rules),
            count=len(rules),
        )


# Rules about messages as posts, not about words: the bot never pings from echoed text,
# so a mention in a title is harmless, and spam windows count messages.
_ABOUT_MESSAGES = frozenset(
    {
        RuleKind.MASS_MENTIONS,
        RuleKind.MENTION_SPAM,
        RuleKind.DUPLICATES,
        RuleKind.BURST,
        RuleKind.ATTACHMENTS,
    }
)
# Rule actions that would take a message down or before moderators: the bot will not post
# such a text in its own name.
_REFUSING = frozenset({Action.FLAG, Action.DELETE_AND_FLAG, Action.DELETE_AND_NOTIFY_AUTHOR})


def _is_secret(match: RuleMatch) -> bool:
    return match.kind is RuleKind.CREDENTIALS or (
        match.action is Action.DELETE_AND_NOTIFY_AUTHOR and match.span[1] > match.span[0]
    )


def _redacted(text: str, secrets: Sequence[RuleMatch]) -> str:
    """`text` with every secret's span replaced, from the end so spans stay valid."""
    for start, end in sorted({m.span for m in secrets if m.span[1] > m.span[0]}, reverse=True):
        text = text[:start] + _REDACTED + text[end:]
    return text


def _snapshot(submission: Submission, now: datetime) -> MessageSnapshot:
    """What the flag keeps: the text where a message's would be. The id names the field
    and the moment, so two attempts are two hits and a retry within the second is one."""
    member = submission.member
    channel: ChannelRef | None = submission.channel
    return MessageSnapshot(
        channel_id=channel.id if channel else "",
        channel_name=channel.name if channel else "",
        message_id=f"{REFUSED}{submission.field}:{member.id}:{now.isoformat()}",
        author_id=member.id,
        author_name=member.shown_name,
        excerpt=excerpt(submission.text, _EXCERPT_CHARS),
        permalink="",
        posted_at=now,
    )


def _hits(breaches: Sequence[RuleMatch]) -> list[NewHit]:
    """One hit per rule, every place it matched shown together."""
    by_rule: dict[str, list[RuleMatch]] = {}
    for match in breaches:
        by_rule.setdefault(match.rule, []).append(match)
    return [
        NewHit(
            rule,
            matches[0].action,
            MATCH_SEPARATOR.join(dict.fromkeys(m.text for m in matches if m.text)),
            tuple(
                HitReason(str(r.key), r.values) for r in dict.fromkeys(m.reason for m in matches)
            ),
        )
        for rule, matches in by_rule.items()
    ]
