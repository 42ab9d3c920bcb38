"""On Slack: typed options are parsed strictly and member text passes the rules before
the bot posts it (ticket titles, kudos reasons)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from slack_fake_api import shown
from slack_harness import SlackRig, open_rig
from slack_harness_users import BEN, GENERAL, MODERATORS, TICKETS

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
    async with open_rig(settings, clock) as opened:
        yield opened


async def test_a_misspelt_option_gets_a_did_you_mean_not_a_ticket(moderated: SlackRig) -> None:
    await moderated.command(BEN, "/ticket open Dark mode categroy:app", channel=GENERAL)
    assert moderated.fake.private_to(BEN)[-1].startswith(
        "Unknown option `categroy` — did you mean `category`?"
    )
    assert moderated.fake.posts_in(TICKETS) == []


async def test_a_ticket_title_that_breaks_a_rule_is_refused_and_flagged(
    moderated: SlackRig,
) -> None:
    await moderated.command(BEN, "/ticket open Where to buy cheap pills", channel=GENERAL)
    assert "breaks the community rule “scam”" in moderated.fake.private_to(BEN)[-1]
    assert moderated.fake.posts_in(TICKETS) == []
    [flag] = moderated.fake.posts_in(MODERATORS)
    assert "Where to buy cheap pills" in shown(flag.text)
    assert "never posted" in shown(flag.text)


async def test_a_quoted_title_is_posted_without_its_quotes(moderated: SlackRig) -> None:
    await moderated.command(BEN, "/ticket open „Dunkelmodus für die App“", channel=GENERAL)
    [tracker] = [m for m in moderated.fake.posts_in(TICKETS) if m.thread_ts is None]
    assert "Dunkelmodus für die App" in shown(tracker.text)
    assert "„" not in shown(tracker.text) and "“" not in shown(tracker.text)


async def test_a_rule_breaking_title_sent_through_the_form_is_refused_privately(
    moderated: SlackRig,
) -> None:
    await moderated.command(BEN, "/ticket open", channel=GENERAL)
    [view] = moderated.opened_views()
    await moderated.submit(BEN, view, {"title": "Cheap pills here", "details": ""})
    assert "breaks the community rule “scam”" in moderated.fake.private_to(BEN)[-1]
    assert moderated.fake.posts_in(TICKETS) == []
    [flag] = moderated.fake.posts_in(MODERATORS)
    assert "Cheap pills here" in shown(flag.text) and "never posted" in shown(flag.text)
