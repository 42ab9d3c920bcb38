"""The shared splitter: every part fits, nothing is lost, every part's code blocks close."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.splitting import FENCE, MIN_LIMIT, split_text

# Text rich in what makes splitting hard: line breaks, spaces, fences with and without a
# language, backticks, and symbols drawn from several code points.
PIECES = st.sampled_from(
    ["\n", " ", "```", "```json\n", "`", "word", "a", "👍🏽", "e\u0301", "❤️", "1️⃣", "x" * 70]
)
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=120).map("".join)
LIMITS = st.integers(min_value=MIN_LIMIT, max_value=300)
REOPENED = re.compile(r"```[A-Za-z0-9_+#.-]{0,20}\n")


def rejoins(parts: list[str], text: str, index: int = 0, pos: int = 0) -> bool:
    """Whether the parts read back as `text`: each part continues the text where the last
    one stopped (after the line break a split between lines consumes), less the closing
    marker the splitter adds where a block is open and the reopening marker after it."""
    if index == len(parts):
        return pos == len(text)
    part = parts[index]
    if index and text[:pos].count(FENCE) % 2:
        reopened = REOPENED.match(part)
        if reopened is None:
            return False
        part = part[reopened.end() :]
    last = index + 1 == len(parts)
    closed = part.removesuffix("\n" + FENCE)
    for content, added in ((part, False), (closed, True)):
        if (added and (last or closed == part)) or not text.startswith(content, pos):
            continue
        end = pos + len(content)
        if not last and added != (text[:end].count(FENCE) % 2 == 1):
            continue  # a close is added exactly where the block is open
        for gap in ("", "\n"):
            if text.startswith(gap, end) and rejoins(parts, text, index + 1, end + len(gap)):
                return True
    return False


@given(TEXT, LIMITS)
def test_every_part_fits_and_its_code_blocks_are_balanced(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < len(part) <= limit for part in parts)
    assert all(part.count(FENCE) % 2 == 0 for part in parts[:-1])
    assert [p.count(FENCE) % 2 for p in parts[-1:]] == [text.count(FENCE) % 2][: len(parts)]


@given(TEXT, LIMITS)
def test_the_parts_read_back_as_the_input(text: str, limit: int) -> None:
    assert rejoins(split_text(text, limit), text)


@given(st.lists(st.text(st.characters(exclude_characters="\n`"), max_size=40)), LIMITS)
def test_short_lines_are_kept_whole(lines: list[str], limit: int) -> None:
    text = "\n".join(lines)
    parts = split_text(text, limit)
    assert "\n".join(parts) == text or (not text and parts == [])


@given(st.text(st.characters(exclude_characters="\n`"), max_size=900), LIMITS)
def test_a_long_line_is_split_without_losing_a_character(line: str, limit: int) -> None:
    assert "".join(split_text(line, limit)) == line


def test_a_code_block_is_closed_and_reopened_with_its_language() -> None:
    body = "\n".join(f'  "key{n}": "value {n}",' for n in range(200))
    text = f"Configuration:\n```json\n{{\n{body}\n}}\n```\nThat is all."
    parts = split_text(text, 2000)
    assert len(parts) > 1
    assert all(len(part) <= 2000 for part in parts)
    assert all(part.endswith("\n```") for part in parts[:-1])
    assert all(part.startswith("```json\n") for part in parts[1:])
    assert parts[-1].endswith("```\nThat is all.")
    assert rejoins(parts, text)


def test_a_word_longer_than_a_part_is_split_but_an_emoji_stays_whole() -> None:
    text = "👍🏽" * 100
    parts = split_text(text, 75)
    assert "".join(parts) == text
    assert all(not part.startswith("\U0001f3fd") for part in parts)


def test_a_limit_too_small_for_fences_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        split_text("x" * 100, 10)
