"""Every channel the configuration names can be listed without knowing the features, so an
adapter can check at start-up that the bot can reach each one."""

from __future__ import annotations

from bot.config import ConfigFile, apply_dotted, check_file, validate
from cogs import all_cogs

SECTIONS = {c.name: c.config_model for c in all_cogs() if c.config_model is not None}


def test_the_community_channels_are_listed_by_their_keys() -> None:
    listed = check_file(ConfigFile.load(None), SECTIONS).channel_settings()
    assert listed["community.channels.tickets"] == "tickets"
    assert listed["community.channels.moderators"] == "moderators"
    assert "community.channels.company" not in listed  # empty: nothing to reach


def test_feature_channels_nested_or_not_are_listed_when_set() -> None:
    raw = apply_dotted(
        ConfigFile.load(None).community_raw(None),
        {
            "moderation.flag_channel": " flags ",
            "moderation.alert_channel": "C0ALERTS",
            "welcome.kudos.channel": "kudos",
        },
    )
    listed = validate(raw, SECTIONS, "").channel_settings()
    assert listed["moderation.flag_channel"] == "flags"
    assert listed["moderation.alert_channel"] == "C0ALERTS"
    assert listed["welcome.kudos.channel"] == "kudos"
    assert not any(key.endswith("timezone") for key in listed)  # only channel settings
