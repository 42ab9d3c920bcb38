"""Invites to other communities, link domains, and new accounts posting links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cogs.moderation.reasons import in_english
from cogs.moderation.rules import RulesConfigError, RuleSet, parse_rules, try_text

AT = datetime(2025, 1, 1, tzinfo=UTC)


def rules(**entry: Any) -> RuleSet:
    return RuleSet(parse_rules([{"name": "rule", **entry}]))


def found(ruleset: RuleSet, text: str, **kwargs: Any) -> list[str]:
    return [match.text for match in try_text(ruleset, text, at=AT, **kwargs).matches]


@pytest.mark.parametrize(
    "invite",
    [
        "discord.gg/raid",
        "https://discord.com/invite/raid",
        "discordapp.com/invite/raid",
        "discord . gg / raid",
        "discord[.]gg/raid",
        "DISCORD.GG/RAID",
        "dіscord.gg/raid",  # Cyrillic і
        "join.slack.com/t/other-team/shared_invite/zt-abc",
        "https://otherteam.slack.com/join/shared_invite/zt-abc",
    ],
)
def test_invites_to_other_communities_are_caught(invite: str) -> None:
    assert found(rules(type="invites"), f"come to {invite} now") == [invite]


def test_own_invites_are_allowed() -> None:
    ruleset = rules(type="invites", allow=["https://discord.gg/acme", "acme-team"])
    assert found(ruleset, "join discord.gg/acme or join.slack.com/t/acme-team/x") == []
    assert found(ruleset, "join discord.gg/other") == ["discord.gg/other"]


def test_talking_about_discord_is_not_an_invite() -> None:
    assert found(rules(type="invites"), "I use Discord and Slack every day") == []


def test_denied_domains_are_caught_with_or_without_scheme_and_as_subdomains() -> None:
    ruleset = rules(type="links", deny=["https://www.Bad.example/whatever"])
    text = "see https://bad.example/x, shop.bad.example and bad.example"
    assert found(ruleset, text) == ["bad.example", "shop.bad.example", "bad.example"]
    assert found(ruleset, "notbad.example and bad.examples are fine") == []


def test_allow_only_flags_web_links_elsewhere() -> None:
    ruleset = rules(type="links", allow_only=["github.com"])
    text = "https://github.com/a ok, https://gist.github.com/b ok, www.other.org/c not"
    assert found(ruleset, text) == ["www.other.org/c"]
    assert found(ruleset, "see main.rs and notes.md") == []


def test_a_denied_link_is_reported_once_even_outside_allow_only() -> None:
    ruleset = rules(type="links", deny=["bad.example"], allow_only=["github.com"])
    [match] = try_text(ruleset, "https://bad.example/x", at=AT).matches
    assert in_english(match.reason) == "link to denied domain bad.example"


def test_links_rule_needs_something_to_check() -> None:
    with pytest.raises(RulesConfigError, match="needs `deny`, `allow_only` or both"):
        rules(type="links")
    with pytest.raises(RulesConfigError, match="is not a domain"):
        rules(type="links", deny=["not a domain"])


def test_new_accounts_posting_links_are_flagged() -> None:
    ruleset = rules(type="new_account_links", min_account_age_hours=24)
    text = "hi https://example.org/free"
    [match] = try_text(ruleset, text, at=AT, account_created_at=AT - timedelta(hours=3)).matches
    assert match.text == "https://example.org/free"
    assert in_english(match.reason) == "account 3 h old posts a link (minimum 24 h)"


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(days=30), "hi https://example.org/free"),
        (timedelta(hours=3), "hi, no link here"),
        (None, "hi https://example.org/free"),
    ],
)
def test_new_account_rule_leaves_others_alone(age: timedelta | None, text: str) -> None:
    created = None if age is None else AT - age
    ruleset = rules(type="new_account_links")
    assert found(ruleset, text, account_created_at=created) == []
