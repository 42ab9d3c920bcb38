"""The moderators' desk: posts each stored flag and keeps its message current, through the
outbox.

A flag is stored and its post written to the outbox in one transaction; the post's message
id is stored by the post's continuation, so a crash in between never posts a flag twice
(the post carries the nonce ``moderation:flag:<id>:post``). Every later change (another
rule, a report, a vote, the outcome) writes an edit that re-renders the whole message from
storage, queued behind the post while the post is still on its way; a later edit
supersedes a pending one, so a burst of twenty messages never costs twenty edits once the
platform is slow. The reactions moderators decide with are pre-added as one entry.

When the moderators' channel is missing or refuses the bot, the flags stay stored: the
admins are told once per outage (in `[moderation] alert_channel`, else the ambassadors'
channel), and a retry (`RETRY_CALL`, with the outbox's back-off) posts every unposted flag
as soon as the channel can be found again; a post that is refused again keeps the outage
going, with longer waits, without telling the admins twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.cog import Services
from bot.config import EffectiveConfig
from bot.delivery import Outcome, Pending, Then
from bot.effects import Attempt, Call, Edit, Post, ReactAll
from bot.errors import PlatformUnavailable
from bot.model import ChannelRef, Community, MessageRef, UserRef
from bot.outgoing import OutgoingMessage
from bot.platform import Capability
from cogs.moderation.actions import LADDER, offered
from cogs.moderation.config import ModerationConfig
from cogs.moderation.view import SHOWN_NOTES, FlagView, render_flag
from storage.database import Transaction
from storage.member_notes import MemberNotes
from storage.moderation import Flag, FlagDetails, FlagStatus, ModerationRepository

log = logging.getLogger(__name__)

# The job kind older versions scheduled to post or refresh a flag; still handled, so such
# jobs left in a database finish.
REFRESH_JOB = "moderation.refresh"
# Continuation of a flag's post: stores its message id, adds the reactions.
POSTED = "moderation.flag_posted"
# The outbox call that posts a community's unposted flags once the channel works again.
RETRY_CALL = "moderation.post_unposted"
# After a refused post, the channel is tried again after these waits (then daily): an
# admin needs minutes to hours to fix a channel, and each try costs one refused request.
RETRY_AFTER = (
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(days=1),
)


class FlagDesk:
    def __init__(self, services: Services, repo: ModerationRepository) -> None:
        self._services = services
        self._repo = repo
        self.notes = MemberNotes(services.db, services.audit)

    async def publish(
        self,
        tx: Transaction,
        community: Community,
        flag_id: int,
        *,
        retry: str = "",
        also: list[Pending] | None = None,
    ) -> Pending | None:
        """Write the flag's post (if it has no message yet) or an edit to match storage.

        Returns the entry, or None when there is nothing to write: there is no channel to
        post in (the admins are told and a retry is queued; those entries go into `also`,
        for the caller to deliver). While the flag's post is on its way, the edit waits
        behind it and is carried out on the posted message (or fails with the post, whose
        retry then posts the flag as it is by then). `retry` names the outage a retry
        belongs to, so its posts get their own keys.
        """
        await self._repo.hold(tx, community.key, flag_id)  # render the latest state, last
        details = await self._repo.details(community.key, flag_id, tx)
        if details is None:
            return None
        flag = details.flag
        outbox = self._services.outbox
        if flag.post_channel_id is not None and flag.post_message_id is not None:
            message = render_flag(await self.view(community, details, tx))
            return await outbox.add(tx, Edit(post_ref(community, flag), message))
        on_its_way = await self._repo.under_way(tx, _post_key(flag.id))
        if on_its_way is not None:
            message = render_flag(await self.view(community, details, tx))
            return await outbox.add(tx, Edit(_to_be_posted(community, on_its_way), message))
        config = await self._services.config.get(community)
        channel = await self.flag_channel(community, config, flag.language)
        if channel is None:
            written = await self.channel_down(tx, community, flag.id, "not_found", retry)
            if also is not None:
                also.extend(written)
            return None
        message = render_flag(await self.view(community, details, tx))
        key = f"{_post_key(flag.id)}:{retry}" if retry else _post_key(flag.id)
        # Whether the flag has messages decides its reactions; it never changes (messages
        # join only flags filed with one), so the continuation need not read the flag again.
        data = {
            "community": community.key,
            "flag": flag.id,
            "messages": bool(details.messages),
            "retry": retry,
        }
        return await outbox.add(
            tx, Post(channel, message, allow_pings=False), key=key, then=Then(POSTED, data)
        )

    async def posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """A flag's post went out (store its id, add the reactions: changes made meanwhile
        queued their edits behind the post) or was refused for good (tell the admins, retry
        later)."""
        flag_id, retry = int(data["flag"]), str(data.get("retry") or "")
        community = Community.from_key(str(data["community"]))
        flag = await self._repo.flag(community.key, flag_id, tx)
        if flag is None:
            return
        if outcome.error is not None:
            code = type(outcome.error).__name__
            await self.channel_down(tx, community, flag_id, code, retry, refused=True)
            return
        ref: MessageRef = outcome.result
        await self._repo.set_post(tx, community.key, flag_id, ref.channel.id, ref.id)
        messages = data.get("messages")
        if messages is None:
            # Written by an older version, which queued no edits behind its post: bring
            # the message up to date once.
            details = await self._repo.details(community.key, flag_id, tx)
            assert details is not None
            current = render_flag(await self.view(community, details, tx))
            await self._services.outbox.add(tx, Edit(ref, current))
            messages = bool(details.messages)
        if flag.status is FlagStatus.OPEN:
            await self._add_reactions(tx, community, flag_id, ref, bool(messages))

    async def channel_down(
        self,
        tx: Transaction,
        community: Community,
        flag_id: int,
        problem: str,
        retry: str,
        *,
        refused: bool = False,
    ) -> list[Pending]:
        """Flags cannot reach the moderators: a new outage tells the admins and queues a
        retry; a retry's post refused again queues the next, longer one. Returns the
        entries written."""
        outbox = self._services.outbox
        if retry:
            outage, _, number = retry.rpartition(":")
            round_ = int(number) + 1 if refused else int(number)
            return [await self._queue_retry(tx, community, outage, round_)]
        if await self._repo.under_way(tx, f"{RETRY_CALL}:{community.key}:") is not None:
            return []  # this outage is known; its retry will post this flag too
        outage = f"{community.key}:{flag_id}"
        log.error(
            "flag %s in %s is stored but cannot reach the moderators (%s); telling the admins",
            flag_id,
            community.key,
            problem,
        )
        written = []
        alert = await self._alert(community, flag_id, problem)
        if alert is not None:
            written.append(await outbox.add(tx, alert, key=f"{RETRY_CALL}:{outage}:alert"))
        written.append(await self._queue_retry(tx, community, outage, 0))
        return written

    async def post_unposted(self, data: dict[str, Any], attempt: Attempt) -> None:
        """The retry: post every unposted flag once the channel can be found; until then it
        raises `PlatformUnavailable`, so the outbox tries again with its back-off."""
        community = Community.from_key(str(data["community"]))
        config = await self._services.config.get(community)
        if await self.flag_channel(community, config) is None:
            raise PlatformUnavailable("the moderators' channel cannot be found")
        retry = f"{data['outage']}:{data['round']}"
        async with self._services.db.transaction() as tx:
            for flag in await self._repo.unposted(tx, community.key):
                await self.publish(tx, community, flag.id, retry=retry)

    async def flag_channel(
        self, community: Community, config: EffectiveConfig, language: str = ""
    ) -> ChannelRef | None:
        """The desk of `language` (``[moderation] desks``), else the flag channel."""
        section = config.section("moderation", ModerationConfig)
        platform = self._services.platform(community)
        desk = section.desks.get(language) if language else None
        if desk:
            found = await platform.find_channel(community, desk)
            if found is not None:
                return found
            log.warning("%s: the %s flag desk %r is missing", community.key, language, desk)
        wanted = section.flag_channel or config.community.channels.moderators
        if not wanted:
            return None
        return await platform.find_channel(community, wanted)

    async def view(
        self, community: Community, details: FlagDetails, tx: Transaction | None = None
    ) -> FlagView:
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        platform = self._services.platform(community)
        since = self._services.clock.now() - section.history_window
        counts = await self._repo.infraction_counts(
            community.key, details.flag.author_id, since, tx
        )
        notes, note_count = await self.notes.about(
            community.key, details.flag.author_id, SHOWN_NOTES, tx
        )
        authors = {note.author_id for note in notes} | {str(details.flag.details.get("by", ""))}
        return FlagView(
            details=details,
            infraction_counts=counts,
            config=section,
            platform=platform,
            names=await self.names(community, (_moderators(details) | authors) - {""}),
            i18n=self._services.i18n,
            locale=self._services.i18n.pick_locale(
                details.flag.language if details.flag.language in section.desks else None,
                config.community.locale,
            ),
            notes=tuple(notes),
            note_count=note_count,
        )

    async def names(self, community: Community, ids: set[str]) -> dict[str, str]:
        """Display names for member ids; someone who left keeps their id."""
        platform = self._services.platform(community)
        config = await self._services.config.get(community)
        locale = self._services.i18n.pick_locale(None, config.community.locale)
        found = {LADDER: self._services.i18n.text("flag.ladder", locale)}
        for member_id in ids - {LADDER}:
            member = await platform.fetch_member(UserRef(community, member_id))
            found[member_id] = member.shown_name if member else member_id
        return found

    # -- helpers ----------------------------------------------------------------------------

    async def _queue_retry(
        self, tx: Transaction, community: Community, outage: str, round_: int
    ) -> Pending:
        after = RETRY_AFTER[min(round_, len(RETRY_AFTER) - 1)]
        return await self._services.outbox.add(
            tx,
            Call(
                community,
                RETRY_CALL,
                {"community": community.key, "outage": outage, "round": round_},
            ),
            key=f"{RETRY_CALL}:{outage}:{round_}",
            after=after if round_ else timedelta(0),
        )

    async def _alert(self, community: Community, flag_id: int, problem: str) -> Post | None:
        """The admins' notice: what is wrong and what to do; None if it has nowhere to go."""
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        wanted = section.alert_channel or config.community.channels.ambassadors
        platform = self._services.platform(community)
        channel = await platform.find_channel(community, wanted) if wanted else None
        if channel is None:
            log.error("no channel to tell the admins of %s about it", community.key)
            return None
        locale = self._services.i18n.pick_locale(None, config.community.locale)
        moderators = section.flag_channel or config.community.channels.moderators or "?"
        text = self._services.i18n.t(
            "desk.down",
            locale,
            number=flag_id,
            channel=f"#{moderators}",
            problem=self._services.i18n.text(f"desk.problem.{_problem(problem)}", locale),
        )
        return Post(channel, OutgoingMessage(text=text), allow_pings=False)

    async def _add_reactions(
        self, tx: Transaction, community: Community, flag_id: int, ref: MessageRef, messages: bool
    ) -> None:
        """Pre-add one reaction per action the platform can perform, mildest first, as
        one outbox entry (its key names the post, so a re-run continuation adds none)."""
        platform = self._services.platform(community)
        if Capability.REACT not in platform.capabilities:
            return
        config = await self._services.config.get(community)
        reactions = config.section("moderation", ModerationConfig).reactions
        emojis = tuple(reactions.emoji(action) for action in offered(platform, messages=messages))
        await self._services.outbox.add(
            tx, ReactAll(ref, emojis), key=f"moderation:flag:{flag_id}:react:{ref.id}"
        )


def post_ref(community: Community, flag: Flag) -> MessageRef:
    """The flag's own message in the moderators' channel."""
    assert flag.post_channel_id is not None and flag.post_message_id is not None
    return MessageRef(ChannelRef(community, flag.post_channel_id), flag.post_message_id)


def _post_key(flag_id: int) -> str:
    return f"moderation:flag:{flag_id}:post"


def _to_be_posted(community: Community, post_id: int) -> MessageRef:
    """The message that outbox entry `post_id` (a flag's post on its way) will be: an edit
    of it waits for the post and is carried out on the posted message, whose channel comes
    with it."""
    return Pending(post_id, Post(ChannelRef(community, ""), OutgoingMessage())).message


def _problem(error_kind: str) -> str:
    return {"MissingPermission": "permission", "NotFound": "not_found"}.get(
        error_kind, "not_found" if error_kind == "not_found" else "other"
    )


def _moderators(details: FlagDetails) -> set[str]:
    ids = {vote.moderator_id for vote in details.votes}
    if details.flag.acted_by:
        ids.add(details.flag.acted_by)
    return ids
