"""Every Markdown page renders as written: fences close and headings are headings.

An unmatched ``` once hid five sections of docs/tickets.md inside a code block; nothing
failed, the page just looked broken on GitHub. markdown-it-py is not a dependency, so a
line scanner that follows CommonMark's fence rules checks the pages instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])

# CommonMark: a fence is three or more backticks or tildes, indented at most three spaces
# (more inside a list item, which our pages use for nested examples).
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<marks>`{3,}|~{3,})(?P<info>.*)$")
# A section heading: two to six hashes, a space, a title. A single hash inside a fence is
# usually a shell or script comment, so only these count as headings swallowed by a fence.
_SECTION_HEADING = re.compile(r"^#{2,6} \S")
# A line meant as a heading that CommonMark reads as text: hashes glued to a word at the
# start of a block (inside a paragraph, "#channel" is just a channel).
_GLUED_HEADING = re.compile(r"^#{1,6}[A-Za-z]")
# Fences that show Markdown source on purpose may hold headings.
_MARKDOWN_INFO = {"markdown", "md"}


@dataclass(frozen=True, slots=True)
class _Fence:
    line: int
    marks: str
    info: str


def _problems(text: str) -> list[str]:
    """What would not render as written, one line each, with its line number."""
    problems: list[str] = []
    fence: _Fence | None = None
    previous = ""
    for number, line in enumerate(text.splitlines(), start=1):
        starts_block, previous = not previous.strip(), line
        found = _FENCE.match(line)
        if fence is None:
            if found and not (found["marks"][0] == "`" and "`" in found["info"]):
                fence = _Fence(number, found["marks"], found["info"].strip().lower())
            elif starts_block and _GLUED_HEADING.match(line):
                problems.append(f"line {number}: “{line}” needs a space after the #")
            continue
        closes = (
            found is not None
            and found["marks"][0] == fence.marks[0]
            and len(found["marks"]) >= len(fence.marks)
            and not found["info"].strip()
        )
        if closes:
            fence = None
        elif _SECTION_HEADING.match(line) and fence.info not in _MARKDOWN_INFO:
            problems.append(
                f"line {number}: heading “{line}” is inside the code block opened on line "
                f"{fence.line}"
            )
    if fence is not None:
        problems.append(f"line {fence.line}: this code block is never closed")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_page_closes_its_code_blocks_and_shows_its_headings(page: Path) -> None:
    assert _problems(page.read_text(encoding="utf-8")) == []


def test_the_scanner_finds_an_unclosed_fence_and_the_headings_it_swallows() -> None:
    page = "# Title\n\n```\ncode\n```\nstray\n```\n\n## Commands\n\ntext\n"
    assert _problems(page) == [
        "line 9: heading “## Commands” is inside the code block opened on line 7",
        "line 7: this code block is never closed",
    ]


def test_the_scanner_follows_commonmark_fences() -> None:
    # A longer fence holds a shorter one; a tilde fence is not closed by backticks; a
    # comment in a shell block is no heading; a glued hash is.
    page = "````\n```\n## shown as code\n```\n````\n~~~sh\n# comment\n```\n~~~\n\n#Setup\n"
    assert _problems(page) == [
        "line 3: heading “## shown as code” is inside the code block opened on line 1",
        "line 11: “#Setup” needs a space after the #",
    ]
