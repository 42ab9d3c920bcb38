"""docs/capabilities.md is the adapters' declared capabilities, not a hand-kept wish list."""

from __future__ import annotations

from pathlib import Path

from adapters.discord.actions import DiscordActions
from adapters.local import LocalPlatform
from adapters.slack.manifest import BOT_SCOPES
from adapters.slack.platform import capabilities_for
from bot.platform import Capability

DOC = Path(__file__).resolve().parents[2] / "docs" / "capabilities.md"

COLUMNS = {
    "local": LocalPlatform.capabilities,
    "Discord": DiscordActions.capabilities,
    "Slack": capabilities_for(frozenset(BOT_SCOPES), admin_token=False),
    "Slack + admin user token": capabilities_for(frozenset(BOT_SCOPES), admin_token=True),
}


def expected_table() -> list[str]:
    lines = [
        "| capability | " + " | ".join(COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for capability in Capability:
        cells = ["yes" if capability in offered else "no" for offered in COLUMNS.values()]
        lines.append(f"| {capability.value} | " + " | ".join(cells) + " |")
    return lines


def documented_table() -> list[str]:
    return [
        line
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("|") and not line.startswith("| action")
    ]


def test_the_capability_matrix_matches_what_the_adapters_declare() -> None:
    expected = expected_table()
    assert documented_table()[: len(expected)] == expected, (
        "docs/capabilities.md is out of date; its table should read:\n" + "\n".join(expected)
    )
