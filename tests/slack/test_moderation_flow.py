"""Moderation on Slack, end to end: a rule breach becomes a flag in #moderators, a
moderator's reaction decides it, anyone else's reaction is ignored, and what Slack cannot
do (ban) is explained to the moderator instead of failing silently."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from slack_fake_api import ADMIN_TOKEN, shown
from slack_harness import SlackRig, open_rig
from slack_harness_users import ALICE, BEN, GENERAL, MO, MODERATORS

from bot.clock import VirtualClock
from bot.settings import Settings

RULES = """
[[moderation.rules]]
name = "scam"
type = "keywords"
keywords = ["cheap pills"]
"""


@pytest.fixture
async def moderated(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[SlackRig]:
    write_config(RULES)
    async with open_rig(settings, clock, admin_token=ADMIN_TOKEN) as opened:
        yield opened


async def flagged(rig: SlackRig) -> tuple[str, str]:
    """Ben breaks the rule; returns the offending message's ts and the flag's ts."""
    spam = await rig.message(BEN, GENERAL, "buy cheap pills now")
    flags = rig.fake.posts_in(MODERATORS)
    assert len(flags) == 1, "the breach should raise exactly one flag"
    return spam, flags[0].ts


async def test_a_breach_is_flagged_with_the_reaction_controls(moderated: SlackRig) -> None:
    _, flag = await flagged(moderated)
    stored = moderated.fake.message(MODERATORS, flag)
    assert stored is not None and "cheap pills" in shown(stored.text)
    assert {"white_check_mark", "wastebasket", "warning"} <= set(stored.reactions)


async def test_a_moderators_reaction_acts_and_a_members_is_ignored(moderated: SlackRig) -> None:
    spam, flag = await flagged(moderated)
    await moderated.react(BEN, MODERATORS, flag, "wastebasket")
    assert moderated.fake.message(GENERAL, spam) is not None  # Ben is no moderator
    assert moderated.fake.called("reactions.remove") == []  # Slack cannot remove his
    await moderated.react(MO, MODERATORS, flag, "wastebasket")
    assert moderated.fake.message(GENERAL, spam) is None
    assert moderated.fake.called("chat.delete")[-1].token == ADMIN_TOKEN


async def test_a_retried_reaction_acts_once(moderated: SlackRig) -> None:
    _, flag = await flagged(moderated)
    await moderated.react(MO, MODERATORS, flag, "warning", event_id="EvWarn")
    before = len(moderated.fake.calls)
    await moderated.react(MO, MODERATORS, flag, "warning", event_id="EvWarn", retry=1)
    await moderated.react(MO, MODERATORS, flag, "warning", event_id="EvWarn", retry=2)
    assert len(moderated.fake.calls) == before  # the retries did nothing at all
    warnings = [
        c for c in moderated.fake.called("chat.postMessage") if c.params["channel"] == "D" + BEN
    ]
    assert len(warnings) == 1


async def test_a_ban_on_slack_tells_the_moderators_what_to_do_instead(
    moderated: SlackRig,
) -> None:
    _, flag = await flagged(moderated)
    await moderated.react(MO, MODERATORS, flag, "hammer")
    await moderated.react(ALICE, MODERATORS, flag, "hammer")  # a ban needs two
    assert moderated.fake.called("admin.users.remove") == []
    # Answered privately (a DM each), never next to the flag.
    assert moderated.fake.posts_in(MODERATORS)[1:] == []
    told = [
        shown(c.params["text"])
        for c in moderated.fake.called("chat.postMessage")
        if c.params["channel"] in ("D" + MO, "D" + ALICE)
    ]
    assert len(told) == 2 and all("cannot ban" in t for t in told)
    assert "Deactivate" in told[0]
    assert BEN in moderated.fake.users and not moderated.fake.users[BEN]["deleted"]


async def test_a_retried_message_event_raises_one_flag(moderated: SlackRig) -> None:
    ts = moderated.fake.post(GENERAL, BEN, "cheap pills here")
    event = {
        "type": "message",
        "user": BEN,
        "channel": GENERAL,
        "text": "cheap pills here",
        "ts": ts,
    }
    await moderated.event(event, event_id="EvSpam")
    await moderated.event(event, event_id="EvSpam", retry=1)
    assert len(moderated.fake.posts_in(MODERATORS)) == 1


async def test_report_message_shortcut_raises_a_flag(moderated: SlackRig) -> None:
    ts = moderated.fake.post(GENERAL, BEN, "you are all idiots")
    await moderated.shortcut(ALICE, "report_message", GENERAL, ts)
    [view] = moderated.opened_views()  # Slack has modals: the reason is asked for first
    assert moderated.fake.posts_in(MODERATORS) == []
    await moderated.submit(ALICE, view, {"reason": "insulting"})
    flags = moderated.fake.posts_in(MODERATORS)
    assert len(flags) == 1 and "idiots" in shown(flags[0].text)
