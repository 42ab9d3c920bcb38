"""The ``[moderation]`` table of the community TOML file.

Durations are written the way moderators type them in commands (``30m``, ``1d``); every
default below is what a small volunteer-run community would pick, and docs/moderation.md
shows the whole table.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from bot.commands import format_duration
from bot.config import ChannelNeeds, ChannelSetting, Duration, StrictModel
from bot.inventory import Use
from bot.languages import known_language, known_languages
from bot.reconcile import DEFAULT_RECENT
from cogs.moderation.actions import ModAction
from cogs.moderation.rule_names import DEFAULT_RULES
from cogs.moderation.rules import RulesField, parse_rules

# Discord, the one platform with timeouts, refuses longer ones; a longer timeout would be
# recorded and announced, then fail. For longer, moderators kick or ban.
MAX_TIMEOUT = timedelta(days=28)


def _at_most_max_timeout(duration: timedelta | None) -> timedelta | None:
    if duration is not None and duration > MAX_TIMEOUT:
        raise ValueError(f"a timeout lasts at most {format_duration(MAX_TIMEOUT)}")
    return duration


TimeoutDuration = Annotated[Duration, AfterValidator(_at_most_max_timeout)]


class Reactions(StrictModel):
    """The emoji moderators react with on a flag, one per action."""

    dismiss: str = "✅"
    delete: str = "🗑️"
    warn: str = "⚠️"
    timeout: str = "🔇"
    kick: str = "👢"
    ban: str = "🔨"

    @model_validator(mode="after")
    def _distinct(self) -> Reactions:
        emoji = [getattr(self, action) for action in ModAction]
        if any(not e.strip() for e in emoji):
            raise ValueError("every action needs an emoji")
        if len(set(emoji)) != len(emoji):
            raise ValueError("two actions share an emoji; give each its own")
        return self

    def emoji(self, action: ModAction) -> str:
        return str(getattr(self, action.value))

    def action(self, emoji: str) -> ModAction | None:
        """The action an emoji stands for; variation selectors do not matter."""
        wanted = _bare(emoji)
        return next((a for a in ModAction if _bare(self.emoji(a)) == wanted), None)


def _bare(emoji: str) -> str:
    # Platforms disagree about the emoji presentation selector (U+FE0F): "🗑" and "🗑️".
    return emoji.replace("\ufe0f", "").strip()


class Quorum(StrictModel):
    """How many moderators must react with the same emoji before the action happens."""

    # Banning is the one action that cannot be taken back quietly, so two moderators
    # agree by default; 5 is more than a volunteer team is ever online at once.
    ban: int = Field(default=2, ge=1, le=5)
    kick: int = Field(default=1, ge=1, le=5)

    def needed(self, action: ModAction) -> int:
        return {ModAction.BAN: self.ban, ModAction.KICK: self.kick}.get(action, 1)


class Reports(StrictModel):
    """Member reports: how many a member may send, and whether they hear the outcome."""

    # Five reports an hour is more than an honest member needs in a bad moment and few
    # enough that one person cannot bury the moderators' channel.
    limit: int = Field(default=5, ge=1, le=100)
    per: Duration = timedelta(hours=1)
    notify_on_settle: bool = True


InfractionKind = Literal["warn", "timeout", "kick"]
LadderAction = Literal["timeout", "kick", "ban"]


class EscalationStep(StrictModel):
    """After `count` infractions of `kind` within `within`, suggest (or apply) `then`."""

    count: int = Field(ge=1, le=100)
    kind: InfractionKind = "warn"
    within: Duration = timedelta(days=30)
    then: LadderAction = "timeout"
    duration: TimeoutDuration | None = None  # for a timeout; default: the flag timeout duration
    apply: bool = False  # False: open a flag suggesting it; True: do it at once


def _default_ladder() -> list[EscalationStep]:
    return [
        EscalationStep(
            count=3,
            kind="warn",
            within=timedelta(days=30),
            then="timeout",
            duration=timedelta(days=1),
        )
    ]


class ModerationConfig(StrictModel):
    """The ``[moderation]`` table."""

    # [[moderation.rules]]; see cogs/moderation/rules/FILTERS.md. Without any, a community
    # is still protected from the two breaches no community wants: leaked tokens and
    # @everyone/@here pings. Write `rules = []` to switch even those off.
    rules: RulesField = Field(default_factory=lambda: parse_rules(DEFAULT_RULES))
    # Where flags go (moderators decide by reacting); empty: the community's moderators channel.
    flag_channel: Annotated[ChannelSetting, ChannelNeeds.of(Use.POST, Use.REACT)] = ""
    # A flag desk per language, e.g. { de = "mod-de" }: a flag about a message in one of the
    # language's channels ([community.languages] channels) is posted there, in that language;
    # every other flag goes to flag_channel. A desk channel that cannot be found falls back
    # to flag_channel, so no flag is kept from the moderators. `config check --platform`
    # checks each desk as it checks flag_channel.
    desks: dict[str, Annotated[ChannelSetting, ChannelNeeds.of(Use.POST, Use.REACT)]] = Field(
        default_factory=dict
    )
    # Where admins hear that flags cannot reach the moderators; empty: the ambassadors' channel.
    alert_channel: ChannelSetting = ""
    reactions: Reactions = Field(default_factory=Reactions)
    timeout_duration: TimeoutDuration = timedelta(hours=1)
    quorum: Quorum = Field(default_factory=Quorum)
    reports: Reports = Field(default_factory=Reports)
    escalation: list[EscalationStep] = Field(default_factory=_default_ladder)
    warn_fallback_channel: ChannelSetting = ""  # empty: the channel the message was posted in
    # Acting against a message's author removes the message too; only a dismissal keeps it.
    delete_with: list[ModAction] = Field(
        default_factory=lambda: [ModAction.WARN, ModAction.TIMEOUT, ModAction.KICK, ModAction.BAN]
    )
    # Breaches by one member this close together go into one flag (a burst is one flag).
    fold_window: Duration = timedelta(minutes=10)
    # How far back the infraction count on a flag looks.
    history_window: Duration = timedelta(days=90)
    # A member's watch word is one notice to the ambassadors per topic within this long:
    # repeats count on it ("3 times since 14:02"), edited in place. An hour covers one
    # conversation.
    watch_window: Duration = timedelta(hours=1)
    # After a restart or reconnect, the newest this many open flags (and as many open
    # appeals) are read for reactions moderators made while the bot was away (see
    # bot/reconcile.py); 0: none.
    catch_up_flags: int = Field(default=DEFAULT_RECENT, ge=0, le=1000)

    @field_validator("desks")
    @classmethod
    def _desk_languages(cls, desks: dict[str, str]) -> dict[str, str]:
        """Desk keys as the bot knows its languages (``DE`` -> ``de``); one it does not
        speak is refused, since its flags could not be written in it."""
        known: dict[str, str] = {}
        for typed, channel in desks.items():
            code = known_language(typed)
            if code is None:
                raise ValueError(
                    f"{typed!r} is not a language the bot speaks ({known_languages()})"
                )
            if code in known:
                raise ValueError(f"{typed!r} is {code} again; name one desk per language")
            known[code] = channel
        return known

    @model_validator(mode="after")
    def _ladder_respects_quorum(self) -> ModerationConfig:
        """A step that bans (or kicks) by itself would skip the moderators the quorum asks for."""
        for step in self.escalation:
            needed = self.quorum.needed(ModAction(step.then))
            if step.apply and needed > 1:
                raise ValueError(
                    f"the escalation step after {step.count} × {step.kind} would {step.then} by "
                    f"itself, but quorum.{step.then} asks for {needed} moderators; set apply = "
                    f"false there (the ladder then suggests it) or quorum.{step.then} = 1"
                )
        return self
