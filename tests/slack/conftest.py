"""Slack adapter fixtures: the fake Slack (with the test workspace's people) and a bot
listening for signed requests.

The helper modules beside this file are named ``slack_*`` so they cannot shadow another
feature's helpers on the import path.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from slack_fake_api import SlackApiFake
from slack_harness import SlackRig, open_rig
from slack_harness_users import seed

from bot.clock import VirtualClock
from bot.settings import Settings


@pytest.fixture
async def rig(settings: Settings, clock: VirtualClock) -> AsyncIterator[SlackRig]:
    """The bot with every shipped cog on the test workspace, in HTTP mode."""
    async with open_rig(settings, clock) as opened:
        yield opened


@pytest.fixture
async def fake() -> AsyncIterator[SlackApiFake]:
    """The fake Slack Web API and Socket Mode on 127.0.0.1, with the test workspace."""
    served = SlackApiFake()
    seed(served)
    await served.start()
    yield served
    await served.close()
