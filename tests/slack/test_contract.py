"""The shared adapter contract (tests/contract), run against the Slack adapter.

The contract's tests are loaded from their file and collected here again with a `rig`
fixture that puts the Slack adapter (on the fake Slack) in front of them, so the contract
file stays the one place that says what every adapter must do.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_harness import open_rig
from slack_harness_users import BEN, DORA, GENERAL

from adapters.slack.emoji import to_slack
from bot.clock import VirtualClock
from bot.model import MessageRef, UserRef
from bot.settings import Settings
from cogs.meta import MetaCog

CONTRACT = Path(__file__).resolve().parents[1] / "contract" / "test_platform_contract.py"


def _load_contract() -> Any:
    spec = importlib.util.spec_from_file_location("slack_platform_contract", CONTRACT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


contract = _load_contract()
globals().update(
    {name: getattr(contract, name) for name in dir(contract) if name.startswith("test_")}
)


@pytest.fixture
async def rig(settings: Settings, clock: VirtualClock) -> AsyncIterator[Any]:
    async with open_rig(settings, clock, cog_types=[MetaCog]) as slack:
        adapter = slack.adapter
        community = adapter.community

        async def react(message: MessageRef, emoji: str) -> None:
            stored = slack.fake.message(message.channel.id, message.id)
            assert stored is not None
            stored.reactions.setdefault(to_slack(emoji), []).append(BEN)

        # A deactivated account is the Slack member who cannot receive direct messages.
        yield contract.Rig(
            adapter,
            await adapter.directory.channel(GENERAL),
            UserRef(community, BEN),
            UserRef(community, DORA),
            lambda channel: [m.text for m in slack.fake.posts_in(channel.id)],
            react=react,
        )
