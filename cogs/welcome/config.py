"""The ``[welcome]`` table of the community TOML file, with its sub-tables.

``[welcome]`` says where and how newcomers are greeted, ``[welcome.rules]`` whether they
accept the rules with a button, ``[welcome.waves]`` when a burst of joins is a raid,
``[welcome.raids]`` what the bot does by itself then, and ``[welcome.kudos]`` how members
thank each other. Every value can be overridden per
community at run time (``/welcome set``, ``/config set welcome.waves.joins 8``); overrides
go through the same validation, so a bad template never reaches a newcomer.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from bot.config import ChannelSetting, StrictModel
from bot.templates import problems

# What an admin-written welcome template may use; the greeting fills each one in.
PLACEHOLDERS = ("member", "name", "community", "rules", "member_count")
# Ten variants is plenty for variety; more would only make a template list hard to review.
MAX_VARIANTS = 10
# Discord caps a message at 2000 characters; leave room for names and the member count.
MAX_TEMPLATE_LENGTH = 1500
_LANGUAGE = re.compile(r"[a-z]{2,3}\Z")


class RulesConfig(StrictModel):
    """Rules acceptance: a button on the welcome that grants ``community.roles.member``."""

    enabled: bool = False
    # 0 switches the reminder off. A month is the longest wait that still reaches people
    # who are around; later, a reminder mostly lands with members who left long ago.
    reminder_hours: int = Field(default=0, ge=0, le=720)


class WavesConfig(StrictModel):
    """Join waves: `joins` joins within `window_seconds` raise one alert to moderators."""

    enabled: bool = True
    # Two joins a minute happen in any healthy community; five rarely do without a cause.
    joins: int = Field(default=5, ge=2, le=1000)
    window_seconds: int = Field(default=60, ge=1, le=3600)
    # Throwaway raid accounts are typically days old; a week catches them and few others.
    young_account_days: int = Field(default=7, ge=0, le=365)
    # Channel name or id for a moderators' join log (one line per join); empty = none.
    join_log: ChannelSetting = ""


class RaidsConfig(StrictModel):
    """What the bot does by itself when a join wave fires; each measure is off until set.

    A wave is often a launch, a stream or a link in a newsletter rather than a raid, and a
    bot that slows every channel or times out newcomers on a false alarm hurts the people
    it should welcome; so by default a wave only raises the alert, and a community opts in
    to each measure. Every measure is undone with one reaction on the alert.
    """

    # Channel names or ids that get slow mode while the raid state lasts; empty = none.
    slow_mode_channels: list[str] = Field(default_factory=list, max_length=25)
    # Thirty seconds lets people talk but makes a spam run pointless; Discord allows 6 h.
    slow_mode_seconds: int = Field(default=30, ge=1, le=21600)
    # Time out the wave's accounts younger than this many hours; 0 = never.
    timeout_younger_than_hours: int = Field(default=0, ge=0, le=24 * 365)
    # A day outlasts a raid and lets a real newcomer in by tomorrow; Discord caps it at 28 d.
    timeout_hours: int = Field(default=24, ge=1, le=24 * 28)
    # Pause joining through invites (Discord's "pause invites") while the raid state lasts.
    pause_invites: bool = False
    # Newcomers of the raid post only after accepting the rules ([welcome.rules] must be
    # on): their messages before that are removed, and they are told why.
    require_rules: bool = False
    # The raid state ends by itself after this many minutes without a join: slow mode and
    # invites go back. Half an hour outlasts the usual waves of one raid.
    quiet_minutes: int = Field(default=30, ge=1, le=24 * 60)

    @property
    def acts(self) -> bool:
        """Whether any measure is on (else a wave only raises its alert)."""
        return bool(self.slow_mode_channels or self.timeout_younger_than_hours) or (
            self.pause_invites or self.require_rules
        )


class KudosConfig(StrictModel):
    """Kudos: members thank each other in public; counted per member, rate-limited."""

    enabled: bool = True
    # Where thank-yous are posted; empty = the channel the command was used in.
    channel: ChannelSetting = ""
    # Five a day lets a member thank everyone who helped them today, but not farm points.
    limit: int = Field(default=5, ge=1, le=100)
    window_hours: int = Field(default=24, ge=1, le=24 * 30)


class WelcomeConfig(StrictModel):
    enabled: bool = True
    # Channel name or id for public welcomes; empty = the community's welcome channel.
    channel: ChannelSetting = ""
    # Post the welcome in the channel, send it as a direct message, or both. When a DM
    # cannot be delivered, the welcome goes to the channel instead.
    public: bool = True
    dm: bool = False
    # Admin-written variants per language code, e.g. {de = ["Hallo {member}!"]}; one is
    # picked at random. A language without its own list uses the shipped texts.
    templates: dict[str, list[str]] = Field(default_factory=dict)
    rules: RulesConfig = Field(default_factory=RulesConfig)
    waves: WavesConfig = Field(default_factory=WavesConfig)
    raids: RaidsConfig = Field(default_factory=RaidsConfig)
    kudos: KudosConfig = Field(default_factory=KudosConfig)

    @field_validator("templates")
    @classmethod
    def _check_templates(cls, templates: dict[str, list[str]]) -> dict[str, list[str]]:
        for language, variants in templates.items():
            if not _LANGUAGE.match(language):
                raise ValueError(
                    f"“{language}” is not a language code; use two or three lowercase "
                    "letters such as en or de"
                )
            if len(variants) > MAX_VARIANTS:
                raise ValueError(f"{language}: at most {MAX_VARIANTS} variants, please")
            for variant in variants:
                reasons = template_problems(variant)
                if reasons:
                    raise ValueError(f"{language}: {'; '.join(reasons)}")
        return templates

    @model_validator(mode="after")
    def _delivered_somewhere(self) -> WelcomeConfig:
        if self.enabled and not (self.public or self.dm):
            raise ValueError(
                "welcomes would go nowhere: turn on public or dm "
                "(or set enabled = false to switch welcomes off)"
            )
        return self


def template_problems(template: str) -> list[str]:
    """Why an admin's template would not work; empty when it is fine."""
    if not template.strip():
        return ["the template is empty"]
    if len(template) > MAX_TEMPLATE_LENGTH:
        return [
            f"the template is {len(template)} characters long; keep it under {MAX_TEMPLATE_LENGTH}"
        ]
    return problems(template, PLACEHOLDERS)
