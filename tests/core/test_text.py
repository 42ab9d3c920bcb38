"""Escaping: echoed user text never formats, links or pings."""

from __future__ import annotations

from bot.outgoing import Markup, Mention, Plain, join, plain_text, rich
from bot.text import ZERO_WIDTH_SPACE, defuse_mass_mentions, escape_discord, escape_slack, excerpt


def test_mass_mentions_are_defused_in_any_case() -> None:
    for text in ("@everyone", "@here", "@Everyone hi", "@channel"):
        assert "@" + ZERO_WIDTH_SPACE in defuse_mass_mentions(text)


def test_discord_escaping_neutralises_markdown_and_raw_mentions() -> None:
    escaped = escape_discord("**hi** <@&123> <@456> @everyone")
    assert "\\*\\*hi\\*\\*" in escaped
    assert "<@&123>" not in escaped and "<@456>" not in escaped
    assert "@everyone" not in escaped


def test_slack_escaping_prevents_control_sequences() -> None:
    escaped = escape_slack("<!channel> a & b <@U123>")
    assert "<" not in escaped and ">" not in escaped
    assert "&amp;" in escaped


def test_excerpt_shortens_and_marks_the_cut() -> None:
    assert excerpt("a  b\nc", 10) == "a b c"
    assert excerpt("x" * 20, 5) == "xxxx…"


def test_join_puts_rich_texts_on_lines_and_keeps_user_text_plain() -> None:
    joined = join([rich(Markup("**a**")), rich("@everyone"), (Plain("c"),)])
    assert joined == (Markup("**a**"), Markup("\n"), Plain("@everyone"), Markup("\n"), Plain("c"))
    names = join([Mention("1", "Ann"), Mention("2", "Bo")], Plain(", "))
    assert plain_text(names) == "@Ann, @Bo"
    assert join([]) == ()
