"""Every parser a member, moderator or admin can reach finishes fast on hostile input.

Each runs in a worker thread with a deadline, so a catastrophic backtracking pattern fails
this test instead of hanging the suite (a regex cannot be interrupted). The inputs are the
shapes that made patterns quadratic or exponential before: long repeats of a fragment that
almost matches, and 100k characters of one kind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.links import channel_id_in, split_message_link, user_id_in
from adapters.discord.render import render_rich as discord_rich
from adapters.local import LocalCommunity, LocalPlatform
from adapters.slack import ids as slack_ids
from adapters.slack.incoming_text import mentioned_user_ids, mentions_everyone, readable_text
from adapters.slack.render import markup_to_mrkdwn
from adapters.slack.render import render_rich as slack_rich
from bot.cog import declared_commands
from bot.commands import CommandSpec, parse_arguments, parse_duration, split_arguments
from bot.config import locate
from bot.errors import UserError
from bot.model import Community
from bot.outgoing import Markup, Plain
from bot.sanitise import clean_text
from bot.templates import problems, render
from bot.text import escape_discord, escape_slack
from cogs import all_cogs
from cogs.moderation.rules import RuleSet, parse_rules, try_text
from cogs.tickets.base import split_leading_number

# Generous: the slowest linear parse of 100k characters takes ~0.15 s; every quadratic or
# exponential pattern found took 4 s to minutes on these inputs. The margin absorbs a busy
# CI machine.
BOUND_SECONDS = 2.0
HUGE = 100_000

HOSTILE = [
    "1d  " * 18 + "x",
    "1d " * 20_000 + "x",
    "9" * HUGE,
    " " * HUGE + "x",
    "“" * HUGE,
    '"' * HUGE,
    "a" * HUGE,
    "." * HUGE,
    "!" * HUGE + "x",
    "<!here|" * 15_000,
    "<@U1|" * 20_000,
    "<@" * 50_000,
    "[a" * 50_000,
    "**a" * 30_000,
    "`" * HUGE,
    "{" * HUGE,
    "a:" * 50_000,
    "next:" * 20_000,
    "www." * 25_000,
    "discord.gg/" * 9_000,
    "local:/" + "a" * HUGE,
    "\ud800" * HUGE,
    "\u202e\u200b" * 50_000,
    "@everyone" * 11_000,
    "#" * HUGE,
]

COMMUNITY = LocalCommunity()
COMMUNITY.add_member("Ben")
LOCAL = LocalPlatform(COMMUNITY)
HERE = COMMUNITY.community
SLACK = Community("slack", "T1")
SPECS, _ = declared_commands(all_cogs())
RULES = RuleSet(
    parse_rules(
        [
            {"name": "words", "type": "keywords", "keywords": ["darn", "heck*", "bad word"]},
            {"name": "links", "type": "links", "deny": ["evil.example"]},
            *(
                {"name": kind, "type": kind}
                for kind in ("invites", "mass_mentions", "mention_spam", "caps", "zalgo")
            ),
            {"name": "secrets", "type": "credentials"},
        ]
    )
)


def _command(spec: CommandSpec) -> Callable[[str], Any]:
    return _politely(lambda text: parse_arguments(spec, text, LOCAL, HERE))


def _politely(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def run(text: str) -> Any:
        try:
            return parse(text)
        except UserError:
            return None

    return run


PARSERS: dict[str, Callable[[str], Any]] = {
    "duration": _politely(parse_duration),
    "split arguments": split_arguments,
    "local user": lambda t: LOCAL.parse_user(HERE, t),
    "local channel": lambda t: LOCAL.parse_channel(HERE, t),
    "local message link": lambda t: LOCAL.parse_message_link(HERE, t),
    "discord message link": split_message_link,
    "discord user": user_id_in,
    "discord channel": channel_id_in,
    "slack user": slack_ids.user_id_in,
    "slack channel": slack_ids.channel_in,
    "slack permalink": lambda t: slack_ids.parse_permalink(SLACK, t, "team.slack.com"),
    "slack incoming text": lambda t: readable_text(t, lambda _: None),
    "slack mentions": lambda t: (mentioned_user_ids(t), mentions_everyone(t)),
    "ticket number": lambda t: split_leading_number(t, bare=True),
    "templates": lambda t: (render(t, {"name": t}), problems(t, ["name"])),
    "escaping": lambda t: (escape_discord(t), escape_slack(t), clean_text(t)),
    "renderers": lambda t: (
        discord_rich((Markup("`"), Plain(t), Markup("`"))),
        slack_rich((Markup("**"), Plain(t), Markup("**"))),
        markup_to_mrkdwn(t),
    ),
    # The dispatcher hands rules cleaned text (see bot.sanitise), so the test does too.
    "moderation rules": lambda t: try_text(
        RULES, clean_text(t), at=datetime(2025, 1, 1, tzinfo=UTC)
    ),
    **{f"/{spec.path}": _command(spec) for spec in SPECS},
}


def finishes_within(seconds: float, work: Callable[[], object]) -> bool:
    """Run `work` in a daemon thread; False if it is still running after `seconds`."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as error:  # re-raised below, in the test's thread
            failure.append(error)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if failure:
        raise failure[0]
    return not worker.is_alive()


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_each_parser_is_fast_on_hostile_input(name: str) -> None:
    parse = PARSERS[name]
    slow = [
        text[:20] for text in HOSTILE if not finishes_within(BOUND_SECONDS, partial(parse, text))
    ]
    assert slow == []


def test_a_hostile_config_line_is_located_fast(tmp_path: Path) -> None:
    path = tmp_path / "botschafter.toml"
    path.write_text("[" * HUGE + "\n[a" + " " * HUGE + "\nkey = 1\n", encoding="utf-8")
    assert finishes_within(BOUND_SECONDS, lambda: locate(path, ["key"]))
