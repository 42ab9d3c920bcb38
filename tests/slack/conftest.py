"""Slack adapter fixtures: the fake Slack and a bot listening for signed requests.

The helper modules beside this file are named ``slack_*`` so they cannot shadow another
feature's helpers on the import path.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from slack_harness import SlackRig, open_rig

from bot.clock import VirtualClock
from bot.settings import Settings


@pytest.fixture
async def rig(settings: Settings, clock: VirtualClock) -> AsyncIterator[SlackRig]:
    """The bot with every shipped cog on the test workspace, in HTTP mode."""
    async with open_rig(settings, clock) as opened:
        yield opened
