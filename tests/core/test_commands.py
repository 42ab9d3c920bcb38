"""Typed options parsed from text: what Slack and the terminal deliver."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.local import LocalCommunity, LocalPlatform
from bot.commands import (
    CommandSpec,
    Option,
    OptionType,
    format_duration,
    parse_arguments,
    parse_duration,
)
from bot.errors import UserError
from bot.model import UserRef

UPDATE = CommandSpec(
    "ticket update",
    "Post an update.",
    (
        Option("number", "Ticket", OptionType.INTEGER, min_value=1),
        Option("note", "What happened"),
        Option("next", "Next update in", OptionType.DURATION, required=False),
    ),
)


@pytest.fixture
def platform() -> LocalPlatform:
    community = LocalCommunity()
    community.add_member("Ben")
    return LocalPlatform(community)


def parse(platform: LocalPlatform, spec: CommandSpec, text: str) -> dict[str, object]:
    return dict(parse_arguments(spec, text, platform, platform.community.community).values)


def test_the_last_text_option_takes_the_rest_and_named_options_go_anywhere(
    platform: LocalPlatform,
) -> None:
    values = parse(platform, UPDATE, "#12 Talked to the team next:7d and more soon")
    assert values == {
        "number": 12,
        "note": "Talked to the team and more soon",
        "next": timedelta(days=7),
    }
    values = parse(platform, UPDATE, '12 "quoted note" next: 2d')
    assert values == {"number": 12, "note": "quoted note", "next": timedelta(days=2)}


def test_named_option_values_are_validated(platform: LocalPlatform) -> None:
    with pytest.raises(UserError, match="is not a duration"):
        parse(platform, UPDATE, "12 note next:soon")


def test_users_and_choices(platform: LocalPlatform) -> None:
    spec = CommandSpec(
        "kudos give",
        "Thank someone.",
        (
            Option("member", "Who", OptionType.USER),
            Option("size", "How big", OptionType.CHOICE, choices=("small", "big")),
        ),
    )
    values = parse(platform, spec, "@Ben BIG")
    assert values == {"member": UserRef(platform.community.community, "ben"), "size": "big"}
    with pytest.raises(UserError, match="is not a member"):
        parse(platform, spec, "@nobody big")
    with pytest.raises(UserError, match="must be one of: small, big"):
        parse(platform, spec, "@Ben huge")


def test_too_long_text_is_refused_politely(platform: LocalPlatform) -> None:
    spec = CommandSpec("say", "Say.", (Option("text", "Text", max_length=10),))
    with pytest.raises(UserError, match="too long \\(11 characters\\); keep it under 10"):
        parse(platform, spec, "x" * 11)


def test_extra_words_are_reported_with_usage(platform: LocalPlatform) -> None:
    spec = CommandSpec("claim", "Claim.", (Option("number", "Ticket", OptionType.INTEGER),))
    with pytest.raises(UserError, match=r"I did not understand “extra”\. Usage: /claim <number>"):
        parse(platform, spec, "3 extra")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        ("12h", timedelta(hours=12)),
        ("1w2d", timedelta(days=9)),
        ("90m", timedelta(minutes=90)),
        ("1d 12h", timedelta(days=1, hours=12)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "3", "0d", "400d", "-1d", "3x"])
def test_bad_durations_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(UserError, match=r"30m|366d"):
        parse_duration(text)


def test_durations_format_back() -> None:
    assert format_duration(timedelta(days=1, hours=12)) == "1d12h"
    assert format_duration(timedelta(0)) == "0s"


def test_free_text_keeps_quotes_commas_and_line_breaks(platform: LocalPlatform) -> None:
    spec = CommandSpec(
        "ticket open",
        "Open.",
        (Option("title", "Title"), Option("details", "Details")),
    )
    values = parse(platform, spec, '"Login broken" Commas, "quotes", a newline\nand ünïcödé')
    assert values == {
        "title": "Login broken",
        "details": 'Commas, "quotes", a newline\nand ünïcödé',
    }


def test_named_options_are_cut_out_of_free_text(platform: LocalPlatform) -> None:
    values = parse(platform, UPDATE, "12 Talked to them, next:3d more soon")
    assert values["note"] == "Talked to them, more soon"
    assert values["next"] == timedelta(days=3)


def test_apostrophes_do_not_group_words(platform: LocalPlatform) -> None:
    values = parse(platform, UPDATE, "12 don't worry, it's fine")
    assert values["note"] == "don't worry, it's fine"


def test_yes_and_no_may_be_written_in_german(platform: LocalPlatform) -> None:
    spec = CommandSpec("x", "X.", (Option("dm", "DM", OptionType.BOOLEAN),))
    assert parse(platform, spec, "ja") == {"dm": True}
    assert parse(platform, spec, "Nein") == {"dm": False}
    with pytest.raises(UserError) as refusal:
        parse(platform, spec, "vielleicht")
    assert refusal.value.message == "<dm> must be yes or no."
    assert refusal.value.key == "core.args.yes_no"


def test_a_duration_that_almost_matches_is_refused_at_once() -> None:
    # The old pattern backtracked exponentially here and froze the bot for ~50 seconds.
    with pytest.raises(UserError, match="is not a duration"):
        parse_duration("1d  " * 18 + "x")


@pytest.mark.parametrize("text", ["9" * 5000 + "d", "1d" + "0" * 13 + "s"])
def test_enormous_numbers_are_out_of_range_not_a_crash(text: str) -> None:
    with pytest.raises(UserError, match="out of range"):
        parse_duration(text)


def test_a_refused_duration_quotes_only_a_short_excerpt() -> None:
    with pytest.raises(UserError) as refused:
        parse_duration("soon" * 10_000)
    assert len(refused.value.message) < 200


OPEN = CommandSpec(
    "ticket open",
    "Open.",
    (
        Option("title", "Title", required=False),
        Option("details", "Details", required=False, keyword_only=True),
        Option("category", "Category", required=False, keyword_only=True),
    ),
)


def test_a_misspelt_option_is_refused_with_a_suggestion(platform: LocalPlatform) -> None:
    with pytest.raises(UserError) as refusal:
        parse(platform, OPEN, "Dark mode categroy:app")
    assert refusal.value.message.startswith("Unknown option `categroy` — did you mean `category`?")
    with pytest.raises(UserError, match="did you mean `details`"):
        parse(platform, OPEN, "Dark mode detials: it hurts my eyes")


def test_words_with_colons_that_are_no_near_option_stay_text(platform: LocalPlatform) -> None:
    values = parse(platform, OPEN, 'Error:crash at 10:30 on https://x.test "categroy:app"')
    assert values == {"title": 'Error:crash at 10:30 on https://x.test "categroy:app"'}


@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ('"Dark mode" category:app', "Dark mode"),
        ('"Dark mode for the app"', "Dark mode for the app"),
        ("„Dunkelmodus für die App“", "Dunkelmodus für die App"),
        ("„Dunkelmodus für die App", "Dunkelmodus für die App"),
        ("Dark mode for the app” category:app", "Dark mode for the app"),
        ("'Dark mode please'", "Dark mode please"),
        ('The "save" button is grey', 'The "save" button is grey'),
    ],
)
def test_stray_quotes_around_free_text_are_not_kept(
    platform: LocalPlatform, typed: str, title: str
) -> None:
    assert parse(platform, OPEN, typed)["title"] == title


def test_named_free_text_runs_on_to_the_next_option(platform: LocalPlatform) -> None:
    """``details:my token is gone`` is all details: a newcomer who leaves out the quotes
    must not find most of their details in the title."""
    spec = CommandSpec(
        "ticket open",
        "Open a ticket.",
        (
            Option("title", "Title", required=False),
            Option("details", "Details", required=False, keyword_only=True, runs_on=True),
            Option("category", "Category", required=False, keyword_only=True),
        ),
    )
    values = parse(platform, spec, "Login broken details:my token is gone category:app")
    assert values == {"title": "Login broken", "details": "my token is gone", "category": "app"}
    values = parse(platform, spec, 'Login details:"quoted" is the title again')
    assert values == {"title": "Login is the title again", "details": "quoted"}
    values = parse(platform, spec, "category:app Dark mode")
    assert values == {"title": "Dark mode", "category": "app"}
    with pytest.raises(UserError, match="did you mean `category`"):
        parse(platform, spec, "Login details:it broke categroy:app")
