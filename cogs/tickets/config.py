"""The ``[tickets]`` table of the community TOML file: ticket policy and the weekly digest.

Durations are written the way ambassadors type them in commands (``24h``, ``5d``, ``1w``)
and checked with the same parser, so a typo is a start-up error naming the key.
Channels are not repeated here: tickets use ``[community.channels]`` ``tickets``,
``ambassadors`` and ``company``.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator

from bot.config import (
    ChannelSetting,
    Duration,
    OptionalDuration,
    Secret,
    StrictModel,
    one_per_language,
)
from bot.reconcile import DEFAULT_RECENT

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = Weekday.__args__  # type: ignore[attr-defined]


class DigestConfig(StrictModel):
    """When and where the weekly digest is posted; times are local to `timezone`."""

    enabled: bool = True
    day: Weekday = "monday"
    time: str = "09:00"
    timezone: str = "UTC"
    channel: ChannelSetting = ""  # empty: the community's ambassadors channel
    # Language -> channel: a digest of that language's tickets, in it, posted there too.
    languages: dict[str, ChannelSetting] = Field(default_factory=dict)

    @field_validator("languages")
    @classmethod
    def _check_languages(cls, value: dict[str, str]) -> dict[str, str]:
        """One digest channel per language."""
        return one_per_language(value, "channel")

    @field_validator("time")
    @classmethod
    def _check_time(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"“{value}” is not a time of day; write it like 09:00") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"“{value}” is not a time zone; use a name like Europe/Berlin or UTC"
            ) from None
        return value

    @property
    def local_time(self) -> time:
        return time.fromisoformat(self.time)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class TicketsConfig(StrictModel):
    # Optional categories members pick from; empty means tickets have no category.
    categories: list[str] = Field(default_factory=list)
    # Members (not ambassadors) may have this many tickets open at once.
    max_open_per_member: int = Field(default=3, ge=1, le=100)
    # Time a member waits between opening two tickets; "off" for none.
    cooldown: OptionalDuration = timedelta(minutes=10)
    # An unclaimed ticket older than this pings the ambassadors once.
    first_response_target: Duration = timedelta(hours=24)
    # A ticket without a public update for this long gets a public follow-up...
    quiet_after: Duration = timedelta(days=5)
    # ...repeated at this cadence while nothing happens; never more often than this.
    repeat_every: Duration = timedelta(days=2)
    # After this many public follow-ups that no ambassador answered, the ticket goes
    # privately to the ambassadors' lead instead of getting another public post (0: never;
    # follow-ups then repeat while nothing happens). An ambassador's next step starts over.
    escalate_after: int = Field(default=3, ge=0, le=100)
    # The role pinged with that escalation in the ambassadors' channel (a role name or id);
    # empty: the post goes to the ambassadors' channel without a ping.
    lead_role: str = ""
    # The owner is reminded privately this long before a promised update is due; "off".
    remind_before: OptionalDuration = timedelta(days=1)
    # Escalations also go to this URL as JSON (needs aiohttp); empty for none. A secret:
    # its token is in its path, so only its host is ever shown.
    company_webhook: Secret = SecretStr("")
    # Communities sharing a team name form one queue for "/ticket list everywhere:yes";
    # empty: every community in this bot's database.
    team: str = ""
    # Tickets per page of /ticket list.
    page_size: int = Field(default=10, ge=1, le=25)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    # After a restart or reconnect, the trackers of the newest this many active tickets are
    # read for votes and ✅ made while the bot was away (see bot/reconcile.py); 0: none.
    catch_up_trackers: int = Field(default=DEFAULT_RECENT, ge=0, le=1000)

    @field_validator("categories")
    @classmethod
    def _check_categories(cls, value: list[str]) -> list[str]:
        cleaned = [c.strip().lower() for c in value]
        if any(not c or " " in c for c in cleaned):
            raise ValueError('categories are single words, e.g. ["app", "billing"]')
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a category is listed twice")
        return cleaned

    @field_validator("company_webhook")
    @classmethod
    def _check_webhook(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url and not url.startswith(("https://", "http://")):
            raise ValueError("the webhook must be an http(s):// URL")
        return value


__all__ = ["WEEKDAYS", "DigestConfig", "TicketsConfig"]
