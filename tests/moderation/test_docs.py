"""docs/moderation.md: the capability matrix matches what the adapters declare."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.platform import Capability
from cogs.moderation.actions import capability_matrix

DOC = Path(__file__).parents[2] / "docs" / "moderation.md"


def test_the_documented_capability_matrix_matches_the_adapters() -> None:
    slack = pytest.importorskip("adapters.slack.platform")
    discord = pytest.importorskip("adapters.discord.actions")
    expected = capability_matrix(
        {
            "local": frozenset(Capability),
            "Discord": discord.DiscordActions.capabilities,
            "Slack": slack.capabilities_for(None, admin_token=False),
            "Slack with admin token": slack.capabilities_for(None, admin_token=True),
        }
    )
    text = DOC.read_text(encoding="utf-8")
    documented = text.split("<!-- capability-matrix -->\n")[1].split(
        "\n<!-- /capability-matrix -->"
    )[0]
    assert documented == expected
