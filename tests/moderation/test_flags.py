"""Rule breaches become flags: stored, posted once, folded, updated; secrets removed at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.local import LocalCommunity
from adapters.local.community import LocalMessage
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.errors import MissingPermission
from bot.settings import Settings
from cogs.moderation.cog import ModerationCog
from storage.moderation import ModerationRepository

CONFIG = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn", "heck*"]

[[moderation.rules]]
name = "shouting"
type = "caps"

[[moderation.rules]]
name = "secrets"
type = "credentials"

[[moderation.rules]]
name = "invites"
type = "invites"

[[moderation.rules]]
name = "refunds"
type = "watch_words"
keywords = ["refund*"]

[[moderation.rules]]
name = "flooding"
type = "burst"
max_messages = 4
window_seconds = 10
"""

SLACK_TOKEN = "xoxb-1234567890-abcdefghijklmnopqrst"


@pytest.fixture
async def session(
    settings: Settings, clock: VirtualClock, write_config: object
) -> AsyncIterator[LocalSession]:
    write_config(CONFIG)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    for name, roles in (("Alice", ("Admins",)), ("Mo", ("Moderators",)), ("Ben", ())):
        community.add_member(name, roles=roles)
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()


def moderation(session: LocalSession) -> ModerationCog:
    return next(c for c in session.app.dispatcher.cogs if isinstance(c, ModerationCog))


def flags(session: LocalSession) -> list[LocalMessage]:
    return session.community.read("#moderators")


async def test_a_breach_is_stored_then_posted_with_everything_a_moderator_needs(
    session: LocalSession,
) -> None:
    c = session.community
    await c.post(c.member("Ben"), "#general", "what the d.a.r.n is this")
    [flag] = flags(session)
    assert "Flag #1" in flag.text and "Ben in #general" in flag.text
    assert "“what the d.a.r.n is this”" in flag.text
    assert "**swearing**: “d.a.r.n”" in flag.text
    assert "local:/general/1" in flag.text  # link to the message
    assert "No infractions in the last 90 days" in flag.text
    assert flag.pinged == ()
    assert set(flag.reactions) == {"✅", "🗑️", "⚠️", "🔇", "👢", "🔨"}
    stored = await ModerationRepository(session.app.services.db, session.app.services.audit).flag(
        c.community.key, 1
    )
    assert stored is not None and stored.post_message_id == str(flag.number)


async def test_an_innocent_message_creates_nothing(session: LocalSession) -> None:
    c = session.community
    await c.post(c.member("Ben"), "#general", "Scunthorpe is a classic town, no darning here")
    assert flags(session) == []


async def test_an_excerpt_with_mass_mentions_pings_nobody(session: LocalSession) -> None:
    c = session.community
    await c.post(c.member("Ben"), "#general", "@everyone @here darn you all, <@&123> too")
    [flag] = flags(session)
    assert "@everyone" not in flag.text and "@here" not in flag.text
    assert flag.pinged == ()


async def test_several_rules_on_one_message_fold_into_one_flag(session: LocalSession) -> None:
    c = session.community
    await c.post(c.member("Ben"), "#general", "WHAT THE DARN IS GOING ON HERE")
    [flag] = flags(session)
    assert "**swearing**" in flag.text and "**shouting**" in flag.text


async def test_an_edit_is_checked_again_but_never_flagged_twice_for_one_rule(
    session: LocalSession,
) -> None:
    c = session.community
    ben = c.member("Ben")
    message = await c.post(ben, "#general", "darn it")
    await c.edit(ben, message.number, "darn it, darn it")
    [flag] = flags(session)
    assert not flag.edited
    await c.edit(ben, message.number, "DARN IT ALL, I SAID DARN IT ALL")
    [flag] = flags(session)
    assert flag.edited and "**shouting**" in flag.text
    assert flag.text.count("**swearing**") == 1


async def test_an_edit_that_adds_a_breach_flags_a_clean_message(session: LocalSession) -> None:
    c = session.community
    ben = c.member("Ben")
    message = await c.post(ben, "#general", "have a nice day")
    assert flags(session) == []
    await c.edit(ben, message.number, "have a darn day")
    [flag] = flags(session)
    assert "“have a darn day”" in flag.text


async def test_a_burst_by_one_member_is_one_flag_updated_not_twenty(
    session: LocalSession,
) -> None:
    c = session.community
    ben = c.member("Ben")
    for n in range(20):
        await c.post(ben, "#general", f"spam number {n}")
    [flag] = flags(session)
    assert "Messages (16)" in flag.text  # the 5th to the 20th broke the burst limit
    assert "spam number 19" in flag.text and "… and 13 earlier" in flag.text
    assert "**flooding**: 20 messages within 10 s (limit 4)" in flag.text
    assert flag.edited


async def test_breaches_by_another_member_or_much_later_get_their_own_flag(
    session: LocalSession,
) -> None:
    c = session.community
    await c.post(c.member("Ben"), "#general", "darn")
    await c.post(c.member("Alice"), "#general", "darn")
    await session.advance(timedelta(minutes=11))
    await c.post(c.member("Ben"), "#general", "heck")
    assert len(flags(session)) == 3


async def test_a_leaked_token_is_removed_at_once_and_the_author_told_privately(
    session: LocalSession,
) -> None:
    c = session.community
    ben = c.member("Ben")
    message = await c.post(ben, "#general", f"my bot token is {SLACK_TOKEN} help")
    assert message.deleted
    [note] = c.direct_messages(ben)
    assert "removed your message in #general" in note.text and "Slack token" in note.text
    assert SLACK_TOKEN not in note.text
    assert flags(session) == []
    assert all(SLACK_TOKEN not in m.text for m in c.messages if m is not message)
    entries = await session.app.services.audit.recent(c.community.key)
    assert [e.action for e in entries] == ["moderation.secret_removed"]


async def test_a_german_member_hears_about_their_leaked_token_in_german_only(
    session: LocalSession,
) -> None:
    c = session.community
    lena = c.add_member("Lena", locale="de")
    await c.post(lena, "#general", f"hier {SLACK_TOKEN}")
    [note] = c.direct_messages(lena)
    assert note.text.startswith("🔐 Ich habe deine Nachricht in #general sofort entfernt")
    assert "(Slack-Token)" in note.text and "Slack token" not in note.text


async def test_a_leaked_token_with_closed_dms_gets_a_mention_without_the_secret(
    session: LocalSession,
) -> None:
    c = session.community
    ben = c.member("Ben")
    c.dms_closed.add(ben.id)
    await c.post(ben, "#general", f"{SLACK_TOKEN}")
    [notice] = c.read("#general")
    assert notice.by_bot and "ben" in notice.pinged and SLACK_TOKEN not in notice.text


async def test_a_secret_in_a_flagged_message_is_redacted_on_the_flag(
    session: LocalSession,
) -> None:
    c = session.community
    await c.post(c.member("Ben"), "#general", f"darn, here: {SLACK_TOKEN}")
    [flag] = flags(session)
    assert SLACK_TOKEN not in flag.text and "[redacted]" in flag.text
    assert "(deleted)" in flag.text


async def test_a_flagged_message_edited_to_leak_a_secret_shows_as_deleted_on_its_flag(
    session: LocalSession,
) -> None:
    c = session.community
    ben = c.member("Ben")
    message = await c.post(ben, "#general", "darn it")
    [flag] = flags(session)
    await c.edit(ben, message.number, f"darn it, {SLACK_TOKEN}")
    assert message.deleted
    assert "(deleted)" in flag.text and "Jump to message" not in flag.text
    assert SLACK_TOKEN not in flag.text


async def test_a_secret_stays_out_of_the_flag_even_when_its_rule_only_flags(
    settings: Settings, clock: VirtualClock, write_config: object
) -> None:
    write_config('[[moderation.rules]]\nname = "secrets"\ntype = "credentials"\naction = "flag"\n')  # type: ignore[operator]
    session = await LocalSession.open(settings, clock=clock)
    try:
        c = session.community
        message = await c.post(c.member("Ben"), "#general", f"token {SLACK_TOKEN}")
        [flag] = flags(session)
        assert not message.deleted  # the rule says flag, so the message stays ...
        assert SLACK_TOKEN not in flag.text and "[redacted]" in flag.text  # ... its secret not
    finally:
        await session.app.close()


async def test_a_secret_the_bot_cannot_delete_goes_to_the_moderators_too(
    settings: Settings, clock: VirtualClock, write_config: object
) -> None:
    from adapters.local import LocalPlatform
    from bot.app.application import App
    from bot.platform import Capability

    write_config(CONFIG)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    for name, roles in (("Mo", ("Moderators",)), ("Ben", ())):
        community.add_member(name, roles=roles)
    platform = LocalPlatform(community)
    platform.capabilities = frozenset(Capability) - {Capability.DELETE_OTHERS}
    app = await App.create(settings, [platform], clock=clock)
    community.dispatch = app.dispatcher.dispatch
    try:
        ben = community.member("Ben")
        message = await community.post(ben, "#general", f"my token {SLACK_TOKEN}")
        assert not message.deleted
        [note] = community.direct_messages(ben)
        assert "I cannot delete it here" in note.text
        [flag] = community.read("#moderators")  # someone has to remove it by hand
        assert "**secrets**" in flag.text and "Jump to message" in flag.text
        assert SLACK_TOKEN not in flag.text and "[redacted]" in flag.text
    finally:
        await app.close()


async def test_an_invite_is_deleted_and_flagged(session: LocalSession) -> None:
    c = session.community
    message = await c.post(c.member("Ben"), "#general", "join us at discord.gg/abcdef")
    assert message.deleted
    [flag] = flags(session)
    assert "**invites**" in flag.text and "(deleted)" in flag.text


async def test_watch_words_notify_ambassadors_once_and_are_no_breach(
    session: LocalSession,
) -> None:
    c = session.community
    ben = c.member("Ben")
    message = await c.post(ben, "#general", "when do I get my refund?")
    await c.edit(ben, message.number, "when do I get my refund??")
    [notice] = c.read("#ambassadors")
    assert "Ben mentioned refunds in #general" in notice.text
    assert notice.pinged == ()
    assert flags(session) == []


async def test_messages_from_bots_are_not_checked(session: LocalSession) -> None:
    c = session.community
    robot = c.add_member("Robot", is_bot=True)
    await c.post(robot, "#general", "darn darn darn")
    assert flags(session) == []


async def test_a_flag_stored_but_not_posted_before_a_crash_is_posted_after_restart(
    session: LocalSession, settings: Settings, clock: VirtualClock
) -> None:
    c = session.community
    services = session.app.services
    repo = ModerationRepository(services.db, services.audit)

    async def crash(*args: object) -> None:
        raise RuntimeError("power cut")

    # The process dies after the flag and its post are stored, before the post goes out.
    services.outbox.deliver = crash  # type: ignore[method-assign]
    await c.post(c.member("Ben"), "#general", "darn")
    assert flags(session) == [] and await repo.flag(c.community.key, 1) is not None
    await session.app.close()

    restarted = await LocalSession.open(settings, clock=clock, community=c)
    session.app = restarted.app
    await restarted.run_due_jobs()
    [flag] = flags(restarted)
    assert "Flag #1" in flag.text
    await restarted.run_due_jobs()
    assert len(flags(restarted)) == 1


async def test_changed_rules_are_compiled_and_swapped_in_without_a_restart(
    session: LocalSession,
) -> None:
    c = session.community
    checker = moderation(session).checker
    await c.post(c.member("Ben"), "#general", "warming up")  # the first set is compiled
    new_rules = [{"name": "fruit", "type": "keywords", "keywords": ["banana"]}]
    await session.app.services.config.set_override(
        c.community, "moderation.rules", new_rules, "alice", session.clock.now()
    )
    await c.post(c.member("Ben"), "#general", "banana")  # still the old set while compiling
    await checker.rulesets.idle()
    await c.post(c.member("Ben"), "#general", "darn")
    await c.post(c.member("Ben"), "#general", "banana split")
    [flag] = flags(session)
    assert "**fruit**: “banana”" in flag.text and "darn" not in flag.text


async def test_a_german_community_gets_german_flags(session: LocalSession) -> None:
    c = session.community
    await c.run(c.member("Alice"), "/config set community.locale de")
    await c.post(c.member("Ben"), "#general", "darn")
    [flag] = flags(session)
    assert "Fall #1" in flag.text and "Zum Entscheiden reagieren" in flag.text
    await c.react(c.member("Mo"), flag.number, "🔇")
    await session.advance(timedelta(hours=1))  # the timeout ends: Ben may post again
    await c.post(c.member("Ben"), "#general", "heck")
    flag = flags(session)[-1]
    assert "1 × Timeout in den letzten 90 Tagen" in flag.text
    assert "\n  Regel: **swearing**" in flag.text


async def test_a_flag_the_platform_failed_to_post_is_posted_by_a_retry(
    session: LocalSession,
) -> None:
    c = session.community
    platform = session.app.services.platform(c.community)
    original = platform.send
    failures = [MissingPermission("the moderators' channel is locked for a moment")]

    async def flaky_send(channel, message, **options):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return await original(channel, message, **options)

    platform.send = flaky_send  # type: ignore[method-assign]
    await c.post(c.member("Ben"), "#general", "darn")
    assert flags(session) == []
    await session.advance(timedelta(minutes=1))
    [flag] = flags(session)
    assert "Flag #1" in flag.text and set(flag.reactions) >= {"✅", "🔨"}


async def test_a_leaked_token_never_reaches_the_log_even_when_a_handler_fails(
    session: LocalSession, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(moderation(session).checker._repo, "record_hits", broken)
    c = session.community
    ben = c.member("Ben")
    message = await c.post(ben, "#general", f"token {SLACK_TOKEN}")
    await c.edit(ben, message.number, f"again {SLACK_TOKEN}")
    assert "database is locked" in caplog.text  # the failure is logged ...
    assert SLACK_TOKEN not in caplog.text  # ... without what the member wrote


async def test_on_discord_a_long_burst_keeps_the_newest_message_and_its_link(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.discord.render import FIELD_VALUE_LIMIT, render_message
    from bot.model import MessageRef
    from bot.outgoing import OutgoingMessage

    c = session.community
    platform = session.app.services.platform(c.community)
    posted: list[OutgoingMessage] = []

    async def discord_link(ref: MessageRef) -> str:
        return f"https://discord.com/channels/123456789012345678/{ref.channel.id}/{ref.id}0000000"

    async def edit(ref: MessageRef, message: OutgoingMessage) -> None:
        posted.append(message)

    monkeypatch.setattr(platform, "permalink", discord_link)
    monkeypatch.setattr(platform, "edit", edit)
    rant = "this is a long rant about everything that went wrong this week " * 8
    for n in range(8):
        newest = await c.post(c.member("Ben"), "#general", f"message {n}: {rant}")
    for n in range(7):
        reporter = c.add_member(f"Reporter{n}")
        await c.run(reporter, f"/report {newest.number} {rant[:400]}")
    fields = {
        f.name: f.value for f in render_message(posted[-1], allow_pings=False)[0].embeds[0].fields
    }
    messages = next(v for k, v in fields.items() if k.startswith("Messages"))
    assert len(messages) < FIELD_VALUE_LIMIT  # nothing was cut off ...
    assert messages.endswith(f"/{newest.number}0000000)")  # ... so the newest link is there
    reports = next(v for k, v in fields.items() if k.startswith("Reports"))
    assert len(reports) < FIELD_VALUE_LIMIT and reports.rstrip().endswith("… and 2 more")


async def test_a_flag_indents_the_lines_of_a_block_under_its_name(session: LocalSession) -> None:
    c = session.community
    await c.post(c.member("Ben"), "#general", "DARN THIS IS LOUD")
    lines = flags(session)[0].text.splitlines()
    rules = next(i for i, line in enumerate(lines) if line.startswith("  Rules: "))
    assert lines[rules + 1].startswith("    **")  # the second rule, under the first
    assert lines[rules + 2].startswith("  Author's record: ")
