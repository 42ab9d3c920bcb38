"""Leaked credentials: removed at once, the author told, the secret never repeated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cogs.moderation.reasons import in_english
from cogs.moderation.rules import Action, RuleSet, parse_rules, try_text

AT = datetime(2025, 1, 1, tzinfo=UTC)
RULES = RuleSet(parse_rules([{"name": "secrets", "type": "credentials"}]))

# Made-up secrets of the right shapes.
SECRETS = {
    "Discord bot token": "MTE2NjM4NzQ4OTg1NjA1MjI4OQ.GZxY1a.abcdefghijklmnopqrstuvwxyz0123456789AB",
    "Discord webhook URL": "https://discord.com/api/webhooks/1234567890/abcdefghijklmnopqrstuvwxyz0123456789",
    "Slack token": "xoxb-1234567890-0987654321-abcdefghijklmnop",
    "Slack app token": "xapp-1-A0123456789-1234567890123-abcdef0123456789",
    "Slack webhook URL": "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "AWS access key": "AKIAIOSFODNN7EXAMPLE",
    "GitHub token": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "API key": "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    "Google API key": "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234",
    "private key": "-----BEGIN EC PRIVATE KEY-----\nb3BlbnNz\n-----END EC PRIVATE KEY-----",
}


@pytest.mark.parametrize(("kind", "secret"), SECRETS.items())
def test_secrets_are_removed_and_not_repeated(kind: str, secret: str) -> None:
    text = f"my config: {secret} (oops)"
    [match] = try_text(RULES, text, at=AT).matches
    assert match.action is Action.DELETE_AND_NOTIFY_AUTHOR
    assert in_english(match.reason) == kind  # the kind alone; a flag never repeats the secret
    assert match.reason.values == ()
    assert text[slice(*match.span)] == secret
    assert match.text == secret[:6] + "…"


def test_every_secret_in_a_message_is_found_not_only_the_first_of_its_kind() -> None:
    first, second = SECRETS["Slack token"], "xoxp-5555555555-zyxwvutsrqponmlkjihg"
    text = f"{first} and {second}"
    spans = [match.span for match in try_text(RULES, text, at=AT).matches]
    assert [text[slice(*span)] for span in spans] == [first, second]


def test_a_private_key_is_found_whole_not_only_its_first_line() -> None:
    block = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----"
    )
    text = f"here:\n{block}\nthanks"
    [match] = try_text(RULES, text, at=AT).matches
    assert text[slice(*match.span)] == block
    pasted_half = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7"  # cut off by the paste
    [match] = try_text(RULES, f"oops {pasted_half}", at=AT).matches
    assert match.span[1] == len(f"oops {pasted_half}")


@pytest.mark.parametrize(
    "text",
    [
        "short",
        "my token is in the vault, ask an admin",
        "sk-short",
        "the key AKIA is not enough",
        "-----BEGIN PUBLIC KEY-----",
    ],
)
def test_ordinary_text_is_not_a_secret(text: str) -> None:
    assert try_text(RULES, text, at=AT).matches == ()
