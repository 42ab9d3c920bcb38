"""Why a rule matched, in words: every reason the engine gives has a text in English and
German that names exactly the values the engine fills in."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.i18n import I18n
from cogs.moderation.reasons import LOCALES, in_english, reason_text
from cogs.moderation.rules import (
    CheckedMessage,
    Reason,
    ReasonKey,
    RecentActivity,
    RuleMatch,
    RuleSet,
    parse_rules,
)
from storage.moderation import HitReason

AT = datetime(2025, 1, 1, tzinfo=UTC)
CATALOG = I18n.load([LOCALES])
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalog_text(locale: str, key: str) -> str:
    """The text of ``reason.<key>`` in that locale's own file (no fallback to English)."""
    table: Any = tomllib.loads((LOCALES / f"{locale}.toml").read_text(encoding="utf-8"))
    for part in f"reason.{key}".split("."):
        table = table.get(part) if isinstance(table, dict) else None
    assert isinstance(table, str), f"{locale}.toml has no text for reason.{key}"
    return table


def post(n: int, text: str = "hello there", **fields: Any) -> CheckedMessage:
    return CheckedMessage(
        community_key="local:1",
        channel_id=fields.pop("channel", "general"),
        author_id="ben",
        text=text,
        at=AT + timedelta(seconds=n),
        **fields,
    )


def last_matches(entry: dict[str, Any], *messages: CheckedMessage) -> list[RuleMatch]:
    """What the last of `messages` breaks, the earlier ones posted before it."""
    ruleset = RuleSet(parse_rules([{"name": "rule", **entry}]))
    activity = RecentActivity()
    found: list[RuleMatch] = []
    for message in messages:
        found = ruleset.check(message, activity)
    return found


# One message (or series) per reason the engine gives with values.
SAMPLES: dict[ReasonKey, tuple[dict[str, Any], tuple[CheckedMessage, ...]]] = {
    ReasonKey.KEYWORD: ({"type": "keywords", "keywords": ["darn"]}, (post(0, "darn"),)),
    ReasonKey.WATCH_WORD: (
        {"type": "watch_words", "keywords": ["refund*"]},
        (post(0, "my refund?"),),
    ),
    ReasonKey.PATTERN: ({"type": "regex", "patterns": [r"free\s+nitro"]}, (post(0, "free nitro"),)),
    ReasonKey.INVITE: ({"type": "invites"}, (post(0, "join discord.gg/abcdef"),)),
    ReasonKey.DENIED_DOMAIN: (
        {"type": "links", "deny": ["bad.example"]},
        (post(0, "see bad.example"),),
    ),
    ReasonKey.UNLISTED_DOMAIN: (
        {"type": "links", "allow_only": ["good.example"]},
        (post(0, "see https://other.example/x"),),
    ),
    ReasonKey.MASS_MENTION: ({"type": "mass_mentions"}, (post(0, "@everyone look"),)),
    ReasonKey.EVERYONE_PINGED: ({"type": "mass_mentions"}, (post(0, mentions_everyone=True),)),
    ReasonKey.MENTIONS_IN_MESSAGE: (
        {"type": "mention_spam", "max_per_message": 2},
        (post(0, mention_count=3),),
    ),
    ReasonKey.MENTIONS_IN_WINDOW: (
        {"type": "mention_spam", "max_per_message": 5, "max_in_window": 3},
        (post(0, mention_count=2), post(1, mention_count=2)),
    ),
    ReasonKey.DUPLICATES: (
        {"type": "duplicates", "min_channels": 2},
        (post(0, channel="a"), post(1, channel="b")),
    ),
    ReasonKey.BURST: ({"type": "burst", "max_messages": 1}, (post(0), post(1))),
    ReasonKey.CAPS: ({"type": "caps"}, (post(0, "WHY IS NOBODY ANSWERING ME"),)),
    ReasonKey.ZALGO: ({"type": "zalgo"}, (post(0, "Z" + "\u0300" * 5),)),
    ReasonKey.TOO_MANY_ATTACHMENTS: (
        {"type": "attachments", "max_count": 1},
        (post(0, attachments=("a.png", "b.png")),),
    ),
    ReasonKey.FILE_TYPE: (
        {"type": "attachments", "deny_extensions": ["exe"]},
        (post(0, attachments=("setup.exe",)),),
    ),
    ReasonKey.NEW_ACCOUNT_LINK: (
        {"type": "new_account_links"},
        (post(0, "https://example.org", account_created_at=AT - timedelta(hours=3)),),
    ),
}


def test_every_reason_has_a_text_in_english_and_german_naming_the_same_values() -> None:
    for key in ReasonKey:
        english, german = catalog_text("en", key), catalog_text("de", key)
        assert set(_PLACEHOLDER.findall(english)) == set(_PLACEHOLDER.findall(german)), key
        assert english != german, f"reason.{key} is not translated"


def test_credential_reasons_name_the_kind_alone() -> None:
    for key in ReasonKey:
        if key.startswith("credential."):
            assert _PLACEHOLDER.findall(catalog_text("en", key)) == [], key


@pytest.mark.parametrize("key", list(SAMPLES))
def test_each_reason_the_engine_gives_fills_its_text_in_both_languages(key: ReasonKey) -> None:
    entry, messages = SAMPLES[key]
    [match] = last_matches(entry, *messages)
    assert match.reason.key is key
    for locale in ("en", "de"):
        worded = reason_text(CATALOG, locale, match.reason)
        assert worded and "{" not in worded, (locale, worded)
    assert reason_text(CATALOG, "de", match.reason) != in_english(match.reason)


def test_the_samples_cover_every_reason_with_values() -> None:
    valued = {key for key in ReasonKey if not key.startswith("credential.")}
    assert set(SAMPLES) == valued


def test_numbers_are_written_the_readers_way() -> None:
    entry = {"type": "burst", "max_messages": 2, "window_seconds": 2.5}
    [match] = last_matches(entry, post(0), post(1), post(2))
    assert in_english(match.reason) == "3 messages within 2.5 s (limit 2)"
    assert reason_text(CATALOG, "de", match.reason) == "3 Nachrichten innerhalb von 2,5 s (Limit 2)"


def test_a_german_reason_quotes_what_a_moderator_listed_as_written() -> None:
    [match] = last_matches({"type": "keywords", "keywords": ["heck*"]}, post(0, "HECKING"))
    assert in_english(match.reason) == "keyword 'heck*'"
    assert reason_text(CATALOG, "de", match.reason) == "Schlüsselwort „heck*“"


def test_a_stored_reason_reads_like_the_engines_own() -> None:
    stored = HitReason("burst", (("count", 5), ("seconds", 10.0), ("limit", 4)))
    engine = Reason(ReasonKey.BURST, (("count", 5), ("seconds", 10.0), ("limit", 4)))
    assert reason_text(CATALOG, "de", stored) == reason_text(CATALOG, "de", engine)
    assert in_english(stored) == "5 messages within 10 s (limit 4)"


def test_a_reason_no_catalog_knows_is_left_out_not_an_error() -> None:
    # A reason stored by a newer release, read after going back to this one.
    assert reason_text(CATALOG, "de", HitReason("some_future_rule", (("count", 3),))) == ""
