"""Every platform the bot ships has its shown name in every catalog, so a text naming the
platform never falls back to the adapter's code name (``local``) or to English."""

from __future__ import annotations

import pytest

from adapters.discord.convert import PLATFORM as DISCORD
from adapters.local.platform import LocalPlatform
from adapters.slack.platform import PLATFORM as SLACK
from bot.i18n import CORE_LOCALES, I18n
from bot.platform_names import platform_name

LANGUAGES = ("en", "de", "fr", "pl", "es", "it", "nl", "pt")


@pytest.mark.parametrize("platform", [DISCORD, SLACK, LocalPlatform.name])
def test_each_platform_has_a_shown_name_in_every_language(platform: str) -> None:
    i18n = I18n.load([CORE_LOCALES])
    for language in LANGUAGES:
        assert f"core.platform_name.{platform}" in i18n.entries(language), language


def test_the_local_platform_is_named_in_the_readers_language() -> None:
    i18n = I18n.load([CORE_LOCALES])
    shown = {code: platform_name(i18n, LocalPlatform.name, code) for code in LANGUAGES}
    assert shown["en"] == "local mode" and shown["de"] == "Lokalmodus"
    assert all(name != "local" for name in shown.values())
