"""The values that go into the rule engine and come out of it.

The engine knows nothing of the bot's core: the cog turns a message event into a
`CheckedMessage` and acts on the `RuleMatch` values it gets back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Action(StrEnum):
    """What should happen to a message that breaks a rule."""

    FLAG = "flag"  # post a flag for moderators; the message stays
    DELETE_AND_FLAG = "delete_and_flag"
    NOTIFY_AMBASSADORS = "notify_ambassadors"  # a topic to follow up, not a breach
    DELETE_AND_NOTIFY_AUTHOR = "delete_and_notify_author"  # remove at once, tell the author why


class RuleKind(StrEnum):
    """The rule types a community can configure; the value is the TOML ``type``."""

    KEYWORDS = "keywords"
    WATCH_WORDS = "watch_words"
    REGEX = "regex"
    INVITES = "invites"
    LINKS = "links"
    MASS_MENTIONS = "mass_mentions"
    MENTION_SPAM = "mention_spam"
    DUPLICATES = "duplicates"
    BURST = "burst"
    CAPS = "caps"
    ZALGO = "zalgo"
    ATTACHMENTS = "attachments"
    CREDENTIALS = "credentials"
    NEW_ACCOUNT_LINKS = "new_account_links"


@dataclass(frozen=True, slots=True)
class CheckedMessage:
    """A message as the rules see it. Time is given, never read from a clock.

    `author_roles` holds whatever the scope of a rule may name, role IDs and role names
    alike. `mention_count` is the number of members and roles the platform says the
    message mentions; mention markup in `text` is counted too, whichever is higher.
    """

    community_key: str
    channel_id: str
    author_id: str
    text: str
    at: datetime
    channel_name: str = ""
    author_roles: frozenset[str] = frozenset()
    account_created_at: datetime | None = None
    attachments: tuple[str, ...] = ()  # file names
    mention_count: int = 0
    mentions_everyone: bool = False  # the platform will ping @everyone/@here/@channel
    edited: bool = False  # an edit is re-checked but is not a new message for spam windows


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """One rule a message breaks, and where.

    `span` indexes the original `CheckedMessage.text` and `text` is that slice, so a
    moderator sees what was typed, not what it folded to. Rules about the message as a
    whole (bursts, attachments) use the empty span (0, 0). Credentials are the exception:
    `text` is redacted so the flag does not leak the secret again.
    """

    rule: str
    kind: RuleKind
    action: Action
    text: str
    span: tuple[int, int]
    reason: str
