"""The hot path: every posted or edited message against the community's rules.

The check itself is the rule engine's synchronous, pure `RuleSet.check`; nothing here
touches storage or the platform unless a rule matched, which almost no message does.
Each community's `RuleSet` is compiled once and cached; when the community's rules
change, the new set is compiled in a worker thread while checks go on with the old one.

When a rule matches: a leaked secret is deleted at once (before anything else, since
every second counts), then the hits are stored (the same rule never twice for one
message, so an edit is not flagged again), then flags are posted or updated, messages
marked "delete and flag" removed, and ambassadors told about watch words (cogs/moderation/
watch.py: once per member, topic and window).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from bot.cog import Services
from bot.delivery import Outcome, Pending, Then
from bot.effects import Delete
from bot.errors import NotFound
from bot.heap import keep_built
from bot.languages import channel_language
from bot.model import Community, PostedMessage, Role
from bot.platform import Capability
from cogs.moderation.config import ModerationConfig
from cogs.moderation.desk import FlagDesk
from cogs.moderation.notices import Notifier
from cogs.moderation.reasons import in_english
from cogs.moderation.rules import (
    Action,
    AnyRuleSettings,
    CheckedMessage,
    Reason,
    RuleKind,
    RuleMatch,
    RuleSet,
)
from cogs.moderation.snapshots import snapshot
from cogs.moderation.view import MATCH_SEPARATOR
from cogs.moderation.watch import WatchNotices
from cogs.moderation.windows import window_store
from storage.database import Transaction
from storage.moderation import HitReason, ModerationRepository, NewHit

log = logging.getLogger(__name__)

Rules = tuple[AnyRuleSettings, ...]

# Rule actions that put the message on a flag for moderators.
_FLAGGING = frozenset({Action.FLAG, Action.DELETE_AND_FLAG})
# Continuation of a rule's deletion: flags holding the message show it as deleted.
REMOVED = "moderation.removed"


class MessageChecker:
    def __init__(
        self,
        services: Services,
        repo: ModerationRepository,
        desk: FlagDesk,
        notifier: Notifier,
        watch: WatchNotices,
    ) -> None:
        self._services = services
        self._repo = repo
        self._desk = desk
        self._notifier = notifier
        self._watch = watch
        self.rulesets = RuleSets()
        # Recent posts for the window rules, shared by every rule set (memory on SQLite, the
        # database on PostgreSQL, where other processes may hear the same community).
        self._windows = window_store(services.db)
        self._scope_names = _ScopeNames()

    async def check(self, message: PostedMessage, *, edited: bool) -> None:
        if message.author.is_bot:
            return
        community = message.ref.community
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        ruleset = await self.rulesets.get(community.key, section.rules)
        if ruleset is None:
            return
        started = perf_counter()
        matches = await ruleset.check_with(self._checked(message, edited), self._windows)
        self._services.metrics.rule_checks.observe(perf_counter() - started)
        if matches:
            await self._act(message, matches, section)

    def _checked(self, message: PostedMessage, edited: bool) -> CheckedMessage:
        author = message.author
        ref = message.ref
        channel = ref.channel
        files = message.all_attachments
        return CheckedMessage(
            community_key=channel.community.key,
            channel_id=channel.id,
            author_id=author.id,
            text=message.full_text,  # a forward is checked by what it carries
            at=self._services.clock.now(),
            channel_name=channel.name,
            author_roles=self._scope_names.of(author.roles),
            account_created_at=author.created_at,
            attachments=tuple(a.filename for a in files) if files else (),
            mention_count=len(message.mentioned_user_ids),
            mentions_everyone=message.mentions_everyone,
            edited=edited,
            message_id=ref.id,
        )

    async def _act(
        self, message: PostedMessage, matches: list[RuleMatch], section: ModerationConfig
    ) -> None:
        community = message.ref.community
        secrets = [m for m in matches if m.action is Action.DELETE_AND_NOTIFY_AUTHOR]
        removed = await self._delete_now(message) if secrets else False
        now = self._services.clock.now()
        # A secret never reaches storage or a flag, whatever action its rule was given.
        hidden = [m.span for m in matches if m in secrets or m.kind is RuleKind.CREDENTIALS]
        platform = self._services.platform(community)
        config = await self._services.config.get(community)
        language = await channel_language(config.community, platform, message.ref.channel)
        snap = await snapshot(platform, message, now, hidden, language or "")
        # A secret the bot could not delete stays in public: moderators must remove it.
        flag_secrets = bool(secrets) and not removed
        written: list[Pending] = []
        async with self._services.db.transaction() as tx:
            recorded = await self._repo.record_hits(
                community.key,
                snap,
                _hits(matches, flag_secrets),
                now,
                now - section.fold_window,
                tx=tx,
            )
            new = {hit.rule for hit in recorded.new}
            self._services.metrics.flags.update(new)
            fresh = [m for m in matches if m.rule in new]
            if any(m.action is Action.DELETE_AND_NOTIFY_AUTHOR for m in fresh):
                written.append(await self._secret_removed(tx, message, secrets, removed))
            if any(m.action is Action.DELETE_AND_FLAG for m in fresh) and not removed:
                pending = await self._delete(tx, message, then=True)
                if pending is not None:
                    written.append(pending)
            stale = {recorded.filed.flag.id} if recorded.filed is not None else set()
            if removed:  # also on a flag from before an edit, which must not link to nothing
                stale |= set(
                    await self._repo.mark_message_deleted(
                        community.key, snap.channel_id, snap.message_id, now, tx=tx
                    )
                )
            watched = [m for m in fresh if m.action is Action.NOTIFY_AMBASSADORS]
            if watched:
                written.extend(await self._watch.tell(tx, message, snap, watched, section))
            for flag_id in sorted(stale):
                pending = await self._desk.publish(tx, community, flag_id, also=written)
                if pending is not None:
                    written.append(pending)
        await self._services.outbox.deliver(*written)

    async def removed(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """A message deleted by its rule: every flag holding it shows it as deleted."""
        if outcome.error is not None and not isinstance(outcome.error, NotFound):
            log.warning("could not delete message %s in #%s", data["message"], data["name"])
            return
        community = Community.from_key(str(data["community"]))
        now = self._services.clock.now()
        for flag_id in await self._repo.mark_message_deleted(
            community.key, str(data["channel"]), str(data["message"]), now, tx=tx
        ):
            await self._desk.publish(tx, community, flag_id)

    async def _delete_now(self, message: PostedMessage) -> bool:
        """Delete a leaked secret before anything else; True once it is gone."""
        async with self._services.db.transaction() as tx:
            pending = await self._delete(tx, message, then=False)
        if pending is None:
            return False
        (outcome,) = await self._services.outbox.deliver(pending)
        return outcome.delivered or isinstance(outcome.error, NotFound)

    async def _delete(
        self, tx: Transaction, message: PostedMessage, *, then: bool
    ) -> Pending | None:
        """Write the message's deletion where the platform lets the bot delete it; `then`
        marks it deleted on its flags once it is gone."""
        platform = self._services.platform(message.ref.community)
        if Capability.DELETE_OTHERS not in platform.capabilities:
            return None
        ref = message.ref
        data = {
            "community": ref.community.key,
            "channel": ref.channel.id,
            "name": ref.channel.name,
            "message": ref.id,
        }
        return await self._services.outbox.add(
            tx,
            Delete(ref),
            key=f"moderation:message:{ref.channel.id}:{ref.id}:delete",
            then=Then(REMOVED, data) if then else None,
        )

    async def _secret_removed(
        self, tx: Transaction, message: PostedMessage, secrets: Sequence[RuleMatch], removed: bool
    ) -> Pending:
        kinds = list(dict.fromkeys(m.reason for m in secrets))
        await self._services.audit.record(
            message.ref.community.key,
            "botschafter",
            "moderation.secret_removed" if removed else "moderation.secret_found",
            self._services.clock.now(),
            subject=f"message:{message.ref.channel.id}/{message.ref.id}",
            # The audit log is the admins' record, in English like their command line.
            details={"author": message.author.id, "kinds": ", ".join(map(in_english, kinds))},
            tx=tx,
        )
        return await self._notifier.tell_about_secret(
            tx, message.author, message.ref, kinds, removed
        )


def _hits(matches: Sequence[RuleMatch], flag_secrets: bool = False) -> list[NewHit]:
    """One hit per rule; several places one rule matched are shown together. With
    `flag_secrets`, secrets go on a flag too (they could not be deleted)."""
    flagging = _FLAGGING | {Action.DELETE_AND_NOTIFY_AUTHOR} if flag_secrets else _FLAGGING
    texts: dict[str, dict[str, None]] = {}
    reasons: dict[str, dict[Reason, None]] = {}
    first: dict[str, RuleMatch] = {}
    for match in matches:
        first.setdefault(match.rule, match)
        if match.text:
            texts.setdefault(match.rule, {})[match.text] = None
        reasons.setdefault(match.rule, {})[match.reason] = None
    return [
        NewHit(
            rule,
            m.action,
            MATCH_SEPARATOR.join(texts.get(rule, ())),
            tuple(HitReason(str(r.key), r.values) for r in reasons[rule]),
            m.action in flagging,
        )
        for rule, m in first.items()
    ]


class _ScopeNames:
    """What a rule's scope may name of an author's roles: their ids and their names.

    Adapters hand out one roles tuple per member for as long as the roles stay the same
    (adapters/discord/convert.py), so the set is made once per member rather than once per
    message; a tuple not seen before (another adapter, changed roles) is read afresh. The
    tuples remembered are kept alive, so an id is never reused while remembered.
    """

    MOST = 20_000  # members remembered before starting afresh

    def __init__(self) -> None:
        self._known: dict[int, tuple[tuple[Role, ...], frozenset[str]]] = {}

    def of(self, roles: tuple[Role, ...]) -> frozenset[str]:
        if not roles:
            return _NO_ROLES
        known = self._known.get(id(roles))
        if known is not None and known[0] is roles:
            return known[1]
        names = frozenset(r.id for r in roles) | frozenset(r.name for r in roles)
        if len(self._known) >= self.MOST:
            self._known.clear()
        self._known[id(roles)] = (roles, names)
        return names


_NO_ROLES: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Compiled:
    rules: Rules
    ruleset: RuleSet | None


class RuleSets:
    """One compiled `RuleSet` per community, swapped for a new one when its rules change.

    Compiling a large keyword list takes tens of milliseconds, so it happens in a worker
    thread; until it is done, messages are checked with the previous set. Only a
    community's very first check waits for its set.
    """

    def __init__(self) -> None:
        self._ready: dict[str, _Compiled] = {}
        self._building: dict[str, tuple[Rules, asyncio.Task[_Compiled]]] = {}

    async def get(self, community: str, rules: Rules) -> RuleSet | None:
        ready = self._ready.get(community)
        if ready is not None and ready.rules is rules:
            return ready.ruleset
        if ready is not None and ready.rules == rules:
            self._ready[community] = _Compiled(rules, ready.ruleset)  # same rules, new config
            return ready.ruleset
        task = self._build(community, rules)
        if ready is not None:
            return ready.ruleset
        return (await asyncio.shield(task)).ruleset

    async def idle(self) -> None:
        """Wait until every rule set being compiled is in use (for tests and shutdown)."""
        while self._building:
            await asyncio.gather(*(task for _, task in list(self._building.values())))

    def _build(self, community: str, rules: Rules) -> asyncio.Task[_Compiled]:
        building = self._building.get(community)
        if building is not None and building[0] == rules:
            return building[1]

        async def compile_rules() -> _Compiled:
            try:
                compiled = _Compiled(
                    rules, await asyncio.to_thread(RuleSet, rules) if rules else None
                )
            finally:
                if self._building.get(community, (None,))[0] is rules:
                    del self._building[community]
            if community not in self._building:  # no newer rules arrived meanwhile
                self._ready[community] = compiled
                keep_built()
            return compiled

        task = asyncio.create_task(compile_rules(), name=f"compile rules of {community}")
        self._building[community] = (rules, task)
        return task
