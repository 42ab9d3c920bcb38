"""Real Slack payloads nobody here wrote, through the real adapter path.

Every file in ``tests/corpus/slack/`` (where each came from: ``SOURCES`` there) is posted,
signed, to the bot in HTTP mode, exactly as Slack posts it. Each must be acknowledged,
leave no warning or traceback in the log, reach the cogs as the right neutral event or
be ignored quietly, and do what a member would see: one flag for a rule-breaking text,
none for a bot's, a polite answer to an interaction the bot has no handler for, a
welcome once, a moderator's vote counted once.

The payloads keep their own ids; `load` maps the few the test needs onto the test
workspace (their team, their channel, their author) at load time.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

import pytest
from slack_fake_api import BOT_USER, TEAM_ID, shown
from slack_harness import SlackRig, open_rig
from slack_harness_users import AMY, BEN, GENERAL, MO, MODERATORS, WELCOME

from bot.clock import VirtualClock
from bot.cog import Cog, listen
from bot.events import (
    Event,
    MemberJoined,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from bot.settings import Settings
from cogs import all_cogs

CORPUS = Path(__file__).parents[1] / "corpus" / "slack"

# Phrases from the corpus texts: the ones members wrote must raise a flag; the same words
# in a bot's post, a join notice, a topic change or a deleted message must not.
CONFIG = """
[[moderation.rules]]
name = "corpus"
type = "keywords"
keywords = [
    "hello world", "hi there", "updated message", "broadcasting this reply",
    "is doing that thing", "joined the channel", "set the channel topic",
    "set the group topic", "changed channel posting permissions", "delete this message",
    "was there", "all that we see", "is but a message",
]

[moderation.reactions]
kick = "👍"

[moderation.quorum]
kick = 2
"""

# Their ids → the test workspace's. Teams are all ours; a member who writes is Ben.
IDS: Mapping[str, str] = {
    "T111": TEAM_ID,
    "T123ABC456": TEAM_ID,
    "T061EG9R6": TEAM_ID,
    "C111": GENERAL,
    "C123ABC456": GENERAL,
    "W111": BEN,
    "U111": BEN,
    "U123ABC456": BEN,
    "U2147483697": BEN,
    "U2147483828": BEN,
    "U061F7AUR": BEN,
    "W123ABC456": BEN,
    "W222": AMY,
    "U222": AMY,
    "D024BE91L": "D" + BEN,
    "W23456789": BOT_USER,  # bolt's tests' own bot user
}
NEW_MEMBER = "W012A3CDE"  # the user object of Slack's users.info example


class Recorder(Cog):
    """Records the neutral events the adapter delivers, next to the shipped cogs."""

    name = "corpus_recorder"
    seen: ClassVar[list[Event]] = []

    @listen(MessagePosted)
    @listen(MessageEdited)
    @listen(ReactionAdded)
    @listen(ReactionRemoved)
    @listen(MemberJoined)
    async def record(self, event: Event) -> None:
        self.seen.append(event)


@dataclass(frozen=True)
class Case:
    """What one corpus file must do: the neutral events it becomes, the flags it raises."""

    file: str
    seen: tuple[type[Event], ...] = ()
    flags: int = 0
    welcomes: int = 0
    ids: Mapping[str, str] = field(default_factory=dict)


CASES = [
    # A member's messages, in every shape Slack sends them: moderated, one flag each.
    Case("bolt_message.json", (MessagePosted,), flags=1),
    Case("bolt_message_user.json", (MessagePosted,), flags=1),
    Case("bolt_thread_broadcast.json", (MessagePosted,), flags=1),
    Case("bolt_file_share.json", (MessagePosted,), flags=1),
    Case("docs_thread_broadcast.json", (MessagePosted,), flags=1),
    Case("docs_me_message.json", (MessagePosted,), flags=1),
    Case("sdk_message_mention.json", (MessagePosted,)),
    Case("docs_message_im.json", (MessagePosted,)),
    # Edits: with the edited message's ts, and without it (previous_message has it).
    Case("bolt_message_changed_without_ts.json", (MessageEdited,), flags=1),
    Case("docs_message_changed.json", (MessageEdited,), flags=1),
    # The same words from a bot, or in Slack's own notices: no flag, no event.
    Case("bolt_message_bot.json"),
    Case("bolt_message_classic_bot.json"),
    Case("bolt_message_deleted.json"),
    Case("docs_message_replied.json"),
    Case("docs_channel_join.json"),
    Case("docs_channel_topic.json"),
    Case("docs_group_topic.json"),
    Case("docs_channel_posting_permissions.json"),
    # The older nested thread_broadcast example names no channel: nothing to act on.
    Case("docs_thread_broadcast_nested.json"),
    # Reactions on messages reach the cogs; the bot's own and those on files do not.
    Case("bolt_reaction_added.json", (ReactionAdded,)),
    Case("docs_reaction_added.json", (ReactionAdded,)),
    Case("docs_reaction_removed.json", (ReactionRemoved,)),
    Case("bolt_reaction_added_by_the_bot.json"),
    Case("docs_reaction_added_to_a_file.json"),
    # Joins: a new member of the workspace, a member joining the welcome channel.
    Case("docs_team_join.json", (MemberJoined,), welcomes=1),
    Case(
        "docs_member_joined_channel.json", (MemberJoined,), welcomes=1, ids={"C123ABC456": WELCOME}
    ),
    Case("bolt_member_joined_channel.json"),  # the bot itself joining #general
    Case("docs_team_join_elided_user.json"),  # the docs elide the user object: `{…}`
    # Events the bot does not subscribe to or act on.
    Case("bolt_app_mention.json"),
    Case("sdk_app_mention.json"),
    Case("bolt_member_left_channel.json"),
    Case("bolt_app_uninstalled.json"),
    Case("bolt_tokens_revoked.json"),
    Case("bolt_app_home_opened.json"),
    # Interactions: answered (see the polite-answer test) or ignored.
    Case("bolt_view_submission.json"),
    Case("bolt_view_submission_connect_channel.json"),
    Case("bolt_block_actions.json"),
    Case("bolt_message_shortcut.json"),
    Case("bolt_slash_command.json"),
    Case("sdk_slash_command.json"),
    Case("bolt_global_shortcut.json"),
    Case("sdk_global_shortcut.json"),
    Case("bolt_attachment_action.json"),
]
ANSWERED = [
    "bolt_view_submission.json",
    "bolt_view_submission_connect_channel.json",
    "bolt_block_actions.json",
    "bolt_message_shortcut.json",
    "bolt_slash_command.json",
    "sdk_slash_command.json",
]


def load(name: str, ids: Mapping[str, str] = IDS) -> dict[str, Any]:
    text = (CORPUS / name).read_text()
    for theirs, ours in ids.items():
        text = re.sub(rf"(?<![\w.]){re.escape(theirs)}(?![\w.])", ours, text)
    payload: dict[str, Any] = json.loads(text)
    return payload


async def deliver(rig: SlackRig, payload: dict[str, Any]) -> int:
    """Post a payload the way Slack posts its kind: events as JSON, slash commands as a
    form, other interactions as a form with one ``payload`` field. Their response URLs
    point at hooks.slack.com; the fake Slack answers them instead (no test goes online)."""
    local = json.dumps(rig.fake.response_url(BEN))
    payload = json.loads(re.sub(r'"https://hooks\.slack\.com/[^"]*"', local, json.dumps(payload)))
    if "event" in payload:
        return await rig.send(json.dumps(payload), "application/json")
    if "command" in payload:
        return await rig.send(urlencode(payload), "application/x-www-form-urlencoded")
    body = urlencode({"payload": json.dumps(payload)})
    return await rig.send(body, "application/x-www-form-urlencoded")


def troubles(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log lines a real payload must never cause: warnings, errors, tracebacks. A button or
    form id no cog handles (another app's) is answered politely and noted at DEBUG."""
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.WARNING or r.exc_info is not None
    ]


@pytest.fixture
async def corpus_rig(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[SlackRig]:
    write_config(CONFIG)
    Recorder.seen = []
    async with open_rig(settings, clock, cog_types=[*all_cogs(), Recorder]) as rig:
        rig.fake.add_user(NEW_MEMBER, "spengler")
        yield rig


def test_every_corpus_file_has_a_case_and_a_source() -> None:
    files = {p.name for p in CORPUS.glob("*.json")}
    assert files == {case.file for case in CASES}
    sources = (CORPUS / "SOURCES").read_text()
    assert [f for f in sorted(files) if f not in sources] == []


@pytest.mark.parametrize("case", CASES, ids=[c.file.removesuffix(".json") for c in CASES])
async def test_a_real_payload_is_handled_or_ignored_quietly(
    corpus_rig: SlackRig, caplog: pytest.LogCaptureFixture, case: Case
) -> None:
    caplog.set_level(logging.DEBUG)
    status = await deliver(corpus_rig, load(case.file, {**IDS, **case.ids}))
    assert status == 200
    assert troubles(caplog) == []
    assert [type(e) for e in Recorder.seen] == list(case.seen)
    flags = corpus_rig.fake.posts_in(MODERATORS)
    assert len(flags) == case.flags, [shown(f.text) for f in flags]
    assert len(corpus_rig.fake.posts_in(WELCOME)) == case.welcomes


@pytest.mark.parametrize("name", ANSWERED, ids=[n.removesuffix(".json") for n in ANSWERED])
async def test_an_interaction_the_bot_has_no_handler_for_gets_one_polite_answer(
    corpus_rig: SlackRig, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    """Their callback ids are not the bot's, and the modal's private_metadata ("This is
    for you!") is not what the bot writes: the member still hears back, privately."""
    caplog.set_level(logging.DEBUG)
    await deliver(corpus_rig, load(name))
    [answer] = corpus_rig.fake.private_to(BEN)
    assert "crashed" not in answer.casefold() and answer.strip()
    assert troubles(caplog) == []


async def test_what_the_bot_cannot_use_is_one_debug_line_naming_its_type(
    corpus_rig: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="adapters.slack")
    for number, name in enumerate(
        ("docs_thread_broadcast_nested.json", "docs_team_join_elided_user.json")
    ):
        payload = load(name)
        payload["event_id"] = f"Ev{number}"  # the docs give every example the same id
        await deliver(corpus_rig, payload)
    ignored = [r for r in caplog.records if r.getMessage().startswith("ignoring a Slack")]
    assert [(r.levelname, r.getMessage().split(":")[0]) for r in ignored] == [
        ("DEBUG", "ignoring a Slack message payload"),
        ("DEBUG", "ignoring a Slack team_join payload"),
    ]


async def test_a_welcome_goes_out_once_for_a_workspace_join_and_a_welcome_channel_join(
    corpus_rig: SlackRig,
) -> None:
    await deliver(corpus_rig, load("docs_team_join.json"))
    joined = load(
        "docs_member_joined_channel.json", {"W123ABC456": NEW_MEMBER, "C123ABC456": WELCOME}
    )
    joined["event_id"] = "Ev-another-delivery"
    await deliver(corpus_rig, joined)
    [welcome] = corpus_rig.fake.posts_in(WELCOME)
    assert f"<@{NEW_MEMBER}>" in welcome.text
    assert [type(e) for e in Recorder.seen] == [MemberJoined]


async def test_a_moderators_real_reaction_on_a_flag_is_one_vote_however_often_it_arrives(
    corpus_rig: SlackRig,
) -> None:
    """👍 is the kick emoji here, and a kick needs two moderators: a vote counted twice
    would remove the member from the channel."""
    await deliver(corpus_rig, load("bolt_message_user.json"))
    [flag] = corpus_rig.fake.posts_in(MODERATORS)
    ids = {**IDS, "U123ABC456": MO, "C123ABC456": MODERATORS, "1360782400.498405": flag.ts}
    vote = load("docs_reaction_added.json", ids)
    for retry in (None, 1):
        status = await corpus_rig.send(
            json.dumps(vote),
            "application/json",
            headers={"X-Slack-Retry-Num": str(retry)} if retry else None,
        )
        assert status == 200
    assert corpus_rig.fake.called("conversations.kick") == []
    assert [type(e) for e in Recorder.seen] == [MessagePosted, ReactionAdded]
    [flag] = corpus_rig.fake.posts_in(MODERATORS)
    assert "1 of 2 moderators agree" in shown(flag.text)
