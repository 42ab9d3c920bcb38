"""Text is made valid Unicode once, at the dispatcher: a lone surrogate breaks nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.events import CommandInvoked, FormSubmitted, MessagePosted
from bot.model import ChannelRef, Community, Member, MessageRef, PostedMessage, Role
from bot.sanitise import clean_event, clean_text
from bot.settings import Settings
from cogs.moderation.rules.config import parse_rules
from cogs.moderation.rules.engine import RuleSet
from tests.tickets.desk import TICKETS_CONFIG, new_community

LONE = "\ud800"
COMMUNITY = Community("local", "c1")
RULES = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn"]

[[moderation.rules]]
name = "pings"
type = "mass_mentions"
"""


def test_lone_surrogates_become_the_replacement_character() -> None:
    assert clean_text(f"darn {LONE} and \udfff") == "darn \ufffd and \ufffd"
    cleaned = clean_text(f"darn {LONE} and \udfff")
    cleaned.encode("utf-8")


def test_a_split_surrogate_pair_is_joined_into_its_character() -> None:
    assert clean_text("smile \ud83d\ude00") == "smile 😀"


def test_valid_text_is_returned_as_it_is() -> None:
    for text in ("plain", "ünïcödé 😀", "\u202eevil\u200b\x00\x1b[31m"):
        assert clean_text(text) is text


def _message(text: str, *, role: str = "Admins", extra: str = "t") -> MessagePosted:
    author = Member(COMMUNITY, "u1", "Ben", roles=(Role("r1", role),))
    channel = ChannelRef(COMMUNITY, "general", "general")
    posted = PostedMessage(MessageRef(channel, "m1"), author, text, extra={"thread": extra})
    return MessagePosted(posted)


def test_every_string_of_an_event_is_cleaned_at_any_depth() -> None:
    event = clean_event(_message(f"hi {LONE}", role=f"Mods{LONE}", extra=LONE))
    assert event.message.text == "hi \ufffd"
    assert event.message.author.roles[0].name == "Mods\ufffd"
    assert event.message.extra == {"thread": "\ufffd"}


def test_a_clean_event_is_passed_on_unchanged_without_a_copy() -> None:
    event = _message("ordinary message")
    assert clean_event(event) is event


def test_a_member_seen_clean_before_does_not_let_an_unclean_one_through() -> None:
    # An adapter hands out one member object message after message: it is walked once.
    clean = _message("first")
    assert clean_event(clean) is clean and clean_event(clean) is clean
    author = clean.message.author
    twin = Member(COMMUNITY, author.id, f"Ben{LONE}", roles=author.roles)
    posted = PostedMessage(clean.message.ref, twin, "second")
    assert clean_event(MessagePosted(posted)).message.author.name == "Ben\ufffd"
    # Empty mentions and attachments and a clean message in between change nothing.
    assert clean_event(_message(f"third {LONE}")).message.text == "third \ufffd"


@dataclass
class _Handle:
    """Stands in for a responder: a mutable handle the cleaner must leave alone."""

    note: str = LONE


def test_forms_and_typed_arguments_are_cleaned_but_handles_are_left_alone() -> None:
    member = Member(COMMUNITY, "u1", f"Ben{LONE}")
    channel = ChannelRef(COMMUNITY, "general")
    handle = _Handle()
    form = clean_event(FormSubmitted(member, channel, "f", {"title": LONE}, handle))  # type: ignore[arg-type]
    assert form.values == {"title": "\ufffd"} and form.member.name == "Ben\ufffd"
    assert form.responder is handle and handle.note == LONE
    command = clean_event(CommandInvoked(member, channel, "say", {"text": LONE}, handle))  # type: ignore[arg-type]
    assert command.arguments == {"text": "\ufffd"}


@pytest.fixture
async def desk_session(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[LocalSession]:
    write_config(TICKETS_CONFIG + RULES)
    community: LocalCommunity = new_community()
    community.now = clock.now
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()


async def test_a_message_with_a_lone_surrogate_is_still_moderated(
    desk_session: LocalSession,
) -> None:
    c = desk_session.community
    await c.post(c.member("Ben"), "general", f"darn @everyone {LONE}")
    [flag] = c.read("moderators")
    assert "**swearing**" in flag.text and "**pings**" in flag.text
    assert flag.pinged == ()


async def test_ticket_withdraw_with_a_lone_surrogate_gets_its_normal_answer(
    desk_session: LocalSession,
) -> None:
    c = desk_session.community
    ben = c.member("Ben")
    await c.run(ben, f"/ticket open app Login {LONE} broken")
    answer = await _last_answer(c, ben, f"/ticket withdraw #1 fixed it {LONE}")
    assert "You withdrew ticket #1" in answer
    assert "went wrong" not in answer


async def test_kudos_with_a_lone_surrogate_thanks_publicly(desk_session: LocalSession) -> None:
    c = desk_session.community
    await c.run(c.member("Ben"), f"/kudos give @Amy for the fix {LONE}")
    thanks = c.read("#general")[-1]
    assert thanks.text.startswith("🙌 Ben thanks @Amy: “for the fix \ufffd”")


async def _last_answer(c: LocalCommunity, member: Member, line: str) -> str:
    await c.run(member, line)
    return c.last_private(member)


def test_a_rule_keyword_with_a_lone_surrogate_compiles_instead_of_crashing() -> None:
    rules = parse_rules([{"name": "words", "type": "keywords", "keywords": ["darn\ud800"]}])

    RuleSet(rules)  # compiling encodes each keyword; a surrogate used to raise here
