"""docs/slack.md's capability row says what the adapter really offers."""

from __future__ import annotations

from pathlib import Path

from adapters.slack.manifest import BOT_SCOPES
from adapters.slack.platform import capabilities_for
from bot.platform import Capability

DOC = Path(__file__).resolve().parents[2] / "docs" / "slack.md"
# Column order of the matrix in docs/slack.md.
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
        if line.startswith("| slack |"):
            return [cell.strip() for cell in line.strip("|").split("|")][1:]
    raise AssertionError("docs/slack.md has no capability row for slack")


def test_the_documented_capability_row_matches_the_adapter() -> None:
    scopes = frozenset(BOT_SCOPES)
    plain = capabilities_for(scopes, admin_token=False)
    with_admin = capabilities_for(scopes, admin_token=True)
    row = documented_row()
    assert len(row) == len(COLUMNS) == len(Capability)
    for capability, cell in zip(COLUMNS, row, strict=True):
        if cell == "no":
            assert capability not in with_admin, capability
        elif cell == "admin token":
            assert capability not in plain and capability in with_admin, capability
        else:
            assert capability in plain, f"{capability}: documented as {cell!r}"
