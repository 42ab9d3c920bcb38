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


class ReasonKey(StrEnum):
    """Why a rule matched: a key of the moderation catalogs' ``[reason]`` table.

    The engine never words a reason itself, because its readers differ in language (a
    German community's flag, an English admin's terminal): the cog renders the key with
    the `Reason` values in each reader's locale. Every key has a text in ``en.toml`` and
    ``de.toml``; a stored key outlives releases, so a value is never renamed.
    """

    KEYWORD = "keyword"  # keyword: the listed keyword as written ("heck*")
    WATCH_WORD = "watch_word"  # keyword
    PATTERN = "pattern"  # pattern: the regex as written
    INVITE = "invite"  # invite: "discord/<code>" or "slack/<workspace>"
    DENIED_DOMAIN = "denied_domain"  # domain
    UNLISTED_DOMAIN = "unlisted_domain"  # domain, outside `allow_only`
    MASS_MENTION = "mass_mention"  # mention: "@everyone", "<!here>", ...
    EVERYONE_PINGED = "everyone_pinged"  # the platform pings everyone, no markup to show
    MENTIONS_IN_MESSAGE = "mentions_in_message"  # count, limit
    MENTIONS_IN_WINDOW = "mentions_in_window"  # count, seconds, limit
    DUPLICATES = "duplicates"  # channels, seconds
    BURST = "burst"  # count, seconds, limit
    CAPS = "caps"  # percent
    ZALGO = "zalgo"  # count
    TOO_MANY_ATTACHMENTS = "too_many_attachments"  # count, limit
    FILE_TYPE = "file_type"  # file: the attachment's name
    NEW_ACCOUNT_LINK = "new_account_link"  # hours (the account's age), minimum
    # Leaked credentials name the kind of secret alone, never a piece of it.
    DISCORD_BOT_TOKEN = "credential.discord_bot_token"
    DISCORD_WEBHOOK = "credential.discord_webhook"
    SLACK_TOKEN = "credential.slack_token"
    SLACK_APP_TOKEN = "credential.slack_app_token"
    SLACK_WEBHOOK = "credential.slack_webhook"
    AWS_ACCESS_KEY = "credential.aws_access_key"
    GITHUB_TOKEN = "credential.github_token"
    API_KEY = "credential.api_key"
    GOOGLE_API_KEY = "credential.google_api_key"
    PRIVATE_KEY = "credential.private_key"


# What a reason's text is filled with: plain data, worded and formatted by the reader.
ReasonValue = str | int | float


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a rule matched: a catalog key and the values its text names.

    Values are a tuple of (name, value) pairs rather than a dict, so a reason is
    hashable (equal reasons of one rule are shown once) and costs two small tuples.
    """

    key: ReasonKey
    values: tuple[tuple[str, ReasonValue], ...] = ()


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
    message_id: str = ""  # the platform's id, so a check run again counts the message once


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """One rule a message breaks, and where.

    `span` indexes the original `CheckedMessage.text` and `text` is that slice, so a
    moderator sees what was typed, not what it folded to. Rules about the message as a
    whole (bursts, attachments) use the empty span (0, 0). Credentials are the exception:
    `text` is redacted so the flag does not leak the secret again. `reason` says why, for
    the cog to word in each reader's language.
    """

    rule: str
    kind: RuleKind
    action: Action
    text: str
    span: tuple[int, int]
    reason: Reason
