"""docs/discord.md's capability row says what the adapter really offers."""

from __future__ import annotations

from pathlib import Path

from adapters.discord.actions import DiscordActions
from bot.platform import Capability

DOC = Path(__file__).resolve().parents[2] / "docs" / "discord.md"
# Column order of the capability matrix (the same in every platform's document).
COLUMNS = (
    Capability.EDIT,
    Capability.DELETE_OWN,
    Capability.DELETE_OTHERS,
    Capability.REACT,
    Capability.REMOVE_REACTIONS,
    Capability.THREADS,
    Capability.ARCHIVE_THREADS,
    Capability.DIRECT_MESSAGES,
    Capability.TIMEOUT,
    Capability.KICK,
    Capability.BAN,
    Capability.ROLES,
    Capability.BUTTONS,
    Capability.FORMS,
    Capability.MESSAGE_COMMANDS,
    Capability.SLOW_MODE,
    Capability.PAUSE_INVITES,
)


def documented_row() -> list[str]:
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| discord |"):
            return [cell.strip() for cell in line.strip("|").split("|")][1:]
    raise AssertionError("docs/discord.md has no capability row for discord")


def test_the_documented_capability_row_matches_the_adapter() -> None:
    row = documented_row()
    assert len(row) == len(COLUMNS) == len(Capability)
    for capability, cell in zip(COLUMNS, row, strict=True):
        offered = capability in DiscordActions.capabilities
        assert offered == (cell == "yes"), f"{capability}: documented as {cell!r}"
