"""Echoed user text never pings a crowd or a role, and never escapes the bot's formatting.

Every renderer is checked with the same member text: the local platform (terminal and
tests), Discord markdown and Slack mrkdwn.
"""

from __future__ import annotations

import re

from hypothesis import given

from adapters.discord.render import render_rich as discord_rich
from adapters.local.render import render_rich as local_rich
from adapters.slack.render import render_rich as slack_rich
from bot.outgoing import Markup, Plain, Rich
from tests.property.strategies import tricky_text

# What would notify many people if a platform read it as markup.
_CROWD = re.compile(r"@(everyone|here|channel)", re.IGNORECASE)
_DISCORD_ROLE = re.compile(r"<@&\d")
_SLACK_SPECIAL = re.compile(r"<[!@#]")


def _wrapped(text: str, fence: str) -> Rich:
    return (Markup(f"Quote: {fence}"), Plain(text), Markup(f"{fence} end"))


@given(text=tricky_text)
def test_local_text_pings_nobody(text: str) -> None:
    rendered, pinged = local_rich((Markup("Said: "), Plain(text)), {})
    assert pinged == ()
    assert not _CROWD.search(rendered)


@given(text=tricky_text)
def test_discord_text_pings_nobody_and_allows_no_mention(text: str) -> None:
    rendered = discord_rich((Markup("Said: "), Plain(text)))
    assert rendered.users == () and rendered.roles == ()
    assert not _CROWD.search(rendered.text)
    assert not _DISCORD_ROLE.search(rendered.text)


@given(text=tricky_text)
def test_discord_text_cannot_end_bold_or_code_early(text: str) -> None:
    bold = discord_rich(_wrapped(text, "**")).text
    inner = bold.removeprefix("Quote: **").removesuffix("** end")
    assert not re.search(r"[*_~`|]", re.sub(r"\\.", "", inner, flags=re.DOTALL))
    for fence in ("`", "```"):
        code = discord_rich(_wrapped(text, fence)).text
        inner = code.removeprefix(f"Quote: {fence}").removesuffix(f"{fence} end")
        assert "`" not in inner
        assert not _CROWD.search(inner)


@given(text=tricky_text)
def test_slack_text_pings_nobody_and_forms_no_special_link(text: str) -> None:
    rendered = slack_rich((Markup("Said: "), Plain(text)))
    assert not _SLACK_SPECIAL.search(rendered)
    assert not _CROWD.search(rendered)


@given(text=tricky_text)
def test_slack_text_cannot_end_code_early(text: str) -> None:
    for fence in ("`", "```"):
        code = slack_rich(_wrapped(text, fence))
        inner = code.removeprefix(f"Quote: {fence}").removesuffix(f"{fence} end")
        assert "`" not in inner
