"""Welcome on Slack, end to end: a workspace join (team_join) or a join of the welcome
channel greets the newcomer once, in their language, and the rules button grants the
member role (a Slack user group)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from slack_fake_api import shown
from slack_harness import SlackRig, open_rig
from slack_harness_users import WELCOME

from bot.clock import VirtualClock
from bot.settings import Settings

CONFIG = """
[community.roles]
member = "Members"

[welcome]
dm = true

[welcome.rules]
enabled = true
"""


@pytest.fixture
async def welcoming(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[SlackRig]:
    write_config(CONFIG)
    async with open_rig(settings, clock) as opened:
        opened.fake.add_group("S0MEMBERS", "Members", [])
        yield opened


async def test_a_newcomer_is_welcomed_once_in_their_language(welcoming: SlackRig) -> None:
    fake = welcoming.fake
    user = fake.add_user("U0NIA", "Nia", locale="de-DE")
    fake.members[WELCOME].add("U0NIA")
    await welcoming.event({"type": "team_join", "user": user})
    await welcoming.event({"type": "member_joined_channel", "user": "U0NIA", "channel": WELCOME})
    [public] = fake.posts_in(WELCOME)
    assert "<@U0NIA>" in public.text
    direct = fake.posts_in("DU0NIA")
    assert len(direct) == 1
    german = fake.posts_in(WELCOME)[0].text
    english_words = {"Welcome", "welcome"}
    assert not any(word in german.split() for word in english_words), german


async def test_accepting_the_rules_adds_the_member_to_the_members_group(
    welcoming: SlackRig,
) -> None:
    fake = welcoming.fake
    user = fake.add_user("U0NIA", "Nia")
    await welcoming.event({"type": "team_join", "user": user})
    [public] = fake.posts_in(WELCOME)
    buttons = [e for b in public.blocks or [] if b["type"] == "actions" for e in b["elements"]]
    assert buttons, shown(public.text)
    await welcoming.press("U0NIA", WELCOME, public.ts, buttons[0]["action_id"])
    assert "U0NIA" in fake.groups["S0MEMBERS"]["users"]
    assert fake.private_to("U0NIA"), "the member hears that it worked"


async def test_pressing_accept_twice_grants_the_group_once(welcoming: SlackRig) -> None:
    fake = welcoming.fake
    await welcoming.event({"type": "team_join", "user": fake.add_user("U0NIA", "Nia")})
    [public] = fake.posts_in(WELCOME)
    action = [e for b in public.blocks or [] if b["type"] == "actions" for e in b["elements"]]
    for _ in range(2):
        await welcoming.press("U0NIA", WELCOME, public.ts, action[0]["action_id"])
    assert fake.groups["S0MEMBERS"]["users"] == ["U0NIA"]
    assert len(fake.called("usergroups.users.update")) == 1
