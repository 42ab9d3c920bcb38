"""The bot's membership of the configured channels, checked at start-up and by `slack check`.

With ``chat:write.public`` the bot can post in a public channel it is not in, but Slack then
sends it no messages and no reactions from there: a moderator's ✅ on a flag or an
ambassador's 👍 on a ticket tracker would be ignored without a word. So every channel the
community configuration names is looked at: a public one the bot is not in is joined
(``conversations.join``, scope ``channels:join``); a private one needs a member to type
``/invite @bot`` there (Slack lets no bot join one, nor even see it before it is invited,
so a private channel and a missing one look alike); every problem is one line naming the
channel and the settings that use it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from adapters.slack.errors import code_of, translate
from adapters.slack.platform import SlackPlatform
from bot.errors import PlatformError

log = logging.getLogger(__name__)

# The scope conversations.join needs with a bot token.
JOIN_SCOPE = "channels:join"


@dataclass
class Membership:
    """What the check found: public channels joined just now (or, without joining, to be
    joined), and one line per channel the bot cannot use (for the log or `slack check`)."""

    joined: list[str] = field(default_factory=list)
    to_join: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    to_join_ids: set[str] = field(default_factory=set)  # the channels of `to_join`


async def check_membership(
    platform: SlackPlatform, settings: Mapping[str, str], *, join: bool
) -> Membership:
    """Check the channels named by `settings` (dotted key → channel name or id); with
    `join`, join the public ones the bot is not in, else only say it would."""
    checker = _Checker(platform, join)
    for channel, keys in _by_channel(settings).items():
        label = f"#{channel} ({', '.join(keys)})"
        try:
            await checker.check(channel, label)
        except PlatformError as error:  # an outage: say so, and start anyway
            checker.found.problems.append(f"Slack channel {label} could not be checked: {error}")
    return checker.found


def _by_channel(settings: Mapping[str, str]) -> dict[str, list[str]]:
    """The settings grouped by the channel they name (``#Mods`` and ``mods`` are one)."""
    grouped: dict[str, list[str]] = {}
    for key, value in settings.items():
        name = value.strip().removeprefix("#")
        same = next((seen for seen in grouped if seen.casefold() == name.casefold()), name)
        grouped.setdefault(same, []).append(key)
    return grouped


class _Checker:
    def __init__(self, platform: SlackPlatform, join: bool) -> None:
        self.platform = platform
        self.join = join
        self.found = Membership()
        identity = platform.identity
        self.invite = f"/invite @{identity.bot_name}"
        self.may_join = identity.scopes is None or JOIN_SCOPE in identity.scopes

    async def check(self, configured: str, label: str) -> None:
        ref = await self.platform.find_channel(self.platform.community, configured)
        info = None if ref is None else await self._info(ref.id)
        if info is None:
            self._problem(
                f"Slack channel {label} not found: if it is private, type {self.invite} in "
                "it; otherwise create it or correct the setting."
            )
        elif info.get("is_archived"):
            self._problem(f"Slack channel {label} is archived: unarchive it or change the setting.")
        elif info.get("is_member"):
            return
        elif info.get("is_private"):
            self._problem(
                f"Slack channel {label} is private and the bot is not in it: type "
                f"{self.invite} in it."
            )
        elif not self.may_join:
            self._problem(
                f"Slack channel {label}: the bot is not in it and may not join it (the "
                f"{JOIN_SCOPE} scope is missing): type {self.invite} in it, or add the scope "
                "and reinstall the app."
            )
        elif not self.join:
            self.found.to_join.append(label)
            self.found.to_join_ids.add(info["id"])
        else:
            await self._join(info["id"], label)

    async def _info(self, channel_id: str) -> dict[str, Any] | None:
        try:
            response = await self.platform.client.conversations_info(channel=channel_id)
        except SlackApiError as error:
            if code_of(error) == "channel_not_found":
                return None
            raise translate(error, "look at the channel") from None
        return dict(response["channel"])

    async def _join(self, channel_id: str, label: str) -> None:
        try:
            await self.platform.client.conversations_join(channel=channel_id)
        except SlackApiError as error:
            code = code_of(error)
            if code == "method_not_supported_for_channel_type":
                self._problem(f"Slack channel {label} is private: type {self.invite} in it.")
            else:
                self._problem(
                    f"Slack channel {label}: the bot could not join it ({code}): type "
                    f"{self.invite} in it."
                )
            return
        log.info("joined Slack channel %s so the bot hears reactions there", label)
        self.found.joined.append(label)

    def _problem(self, line: str) -> None:
        self.found.problems.append(line)
