"""Flags carry the language of the flagged message's channel: moderators list one language's
flags with `/flags open language:de`, and a language may have its own flag desk, where its
flags are written in that language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.config import ConfigFile, check_file
from bot.errors import ConfigError
from bot.settings import Settings
from cogs.moderation.config import ModerationConfig
from storage.moderation import ModerationRepository

RULES = """
[community.languages]
channels = { "general-de" = "de", "general-fr" = "fr" }

[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn"]
"""
DESKS = '[moderation]\ndesks = { de = "mod-de" }\n'


async def open_session(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path], config: str
) -> LocalSession:
    write_config(config)
    community = LocalCommunity()
    community.now = clock.now
    for channel in ("general-de", "general-fr", "mod-de"):
        community.add_channel(channel)
    community.add_member("Mo", roles=("Moderators",))
    for name in ("Ben", "Jonas", "Zoé"):
        community.add_member(name)
    return await LocalSession.open(settings, clock=clock, community=community)


async def breaches(session: LocalSession) -> None:
    c = session.community
    await c.post(c.member("Ben"), "#general", "darn")
    await c.post(c.member("Jonas"), "#general-de", "darn, schon wieder")
    await c.post(c.member("Zoé"), "#general-fr", "darn alors")


async def test_a_flag_keeps_the_language_of_its_channel(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config, RULES)
    try:
        await breaches(session)
        repo = ModerationRepository(session.app.services.db, session.app.services.audit)
        c = session.community
        flags = [await repo.flag(c.community.key, n) for n in (1, 2, 3)]
        assert [f.language for f in flags if f is not None] == ["", "de", "fr"]
    finally:
        await session.app.close()


async def test_flags_open_lists_one_languages_flags(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config, RULES)
    try:
        await breaches(session)
        c = session.community
        mo = c.member("Mo")
        await c.run(mo, "/flags open language:DE")
        listed = c.last_private(mo)
        assert "Open flags: 1" in listed and "Jonas" in listed
        assert "Ben" not in listed and "Zoé" not in listed
        await c.run(mo, "/flags open")
        assert "Open flags: 3" in c.last_private(mo)
        await c.run(mo, "/flag resolve 3 dismiss")
        await c.run(mo, "/flags open language:fr")
        assert c.last_private(mo) == "No open flags for language fr. 🎉"
    finally:
        await session.app.close()


async def test_an_unknown_language_is_refused_politely(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config, RULES)
    try:
        c = session.community
        mo = c.member("Mo")
        await c.run(mo, "/flags open language:klingon")
        said = c.last_private(mo)
        assert said.startswith("“klingon” is not a language I speak. Use one of: en, de")
    finally:
        await session.app.close()


async def test_members_cannot_list_flags_by_language(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config, RULES)
    try:
        await breaches(session)
        c = session.community
        ben = c.member("Ben")
        await c.run(ben, "/flags open language:de")
        assert "only members with the moderator role" in c.last_private(ben)
    finally:
        await session.app.close()


async def test_a_languages_flags_go_to_its_desk_in_its_language(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config, DESKS + RULES)
    try:
        await breaches(session)
        c = session.community
        [german] = c.read("#mod-de")
        assert "**Fall #2** · Jonas in #general-de" in german.text
        assert "Regel: **swearing**" in german.text
        main = [m.text for m in c.read("#moderators")]
        assert len(main) == 2 and all("Flag #" in text for text in main)
        # A moderator decides at the desk the same way: by reacting.
        await c.react(c.member("Mo"), german.number, "⚠️")
        assert "Verwarnt" in c.message(german.number).text
    finally:
        await session.app.close()


async def test_a_missing_desk_falls_back_to_the_flag_channel(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    config = '[moderation]\ndesks = { de = "mod-nowhere" }\n' + RULES
    session = await open_session(settings, clock, write_config, config)
    try:
        await breaches(session)
        assert len(session.community.read("#moderators")) == 3
    finally:
        await session.app.close()


def test_a_desk_for_a_language_the_bot_does_not_speak_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "botschafter.toml"
    path.write_text('[moderation]\ndesks = { tlh = "mod-klingon" }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'tlh' is not a language the bot speaks"):
        check_file(ConfigFile.load(path), {"moderation": ModerationConfig})


def test_desk_languages_are_read_the_way_the_bot_knows_them(tmp_path: Path) -> None:
    path = tmp_path / "botschafter.toml"
    path.write_text('[moderation]\ndesks = { DE = "mod-de" }\n', encoding="utf-8")
    checked = check_file(ConfigFile.load(path), {"moderation": ModerationConfig})
    assert checked.section("moderation", ModerationConfig).desks == {"de": "mod-de"}


def test_config_check_looks_for_each_desk_like_the_flag_channel(tmp_path: Path) -> None:
    path = tmp_path / "botschafter.toml"
    path.write_text('[moderation]\ndesks = { de = "mod-de" }\n', encoding="utf-8")
    checked = check_file(ConfigFile.load(path), {"moderation": ModerationConfig})
    assert checked.channel_settings()["moderation.desks.de"] == "mod-de"
    needs = checked.channel_needs("moderation.desks.de")
    assert needs == checked.channel_needs("community.channels.moderators")


async def test_what_is_said_next_to_a_desks_flag_is_in_its_language(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config, DESKS + RULES)
    try:
        c = session.community
        c.dms_closed.add("jonas")
        await c.post(c.member("Jonas"), "#general-de", "darn, schon wieder")
        [flag] = c.read("#mod-de")
        await c.react(c.member("Mo"), flag.number, "👢")
        assert "jonas" not in c.members
        said = c.read("#mod-de")[-1].text
        assert said.startswith("Fall #1: Jonas wurde")
    finally:
        await session.app.close()


def test_two_desks_for_one_language_are_refused(tmp_path: Path) -> None:
    """de and de-AT are one language: one desk would be dropped without a word."""
    path = tmp_path / "botschafter.toml"
    path.write_text('[moderation]\ndesks = { de = "mod-de", "de-AT" = "mod-at" }\n', "utf-8")
    with pytest.raises(ConfigError, match="'de-AT' is de again"):
        check_file(ConfigFile.load(path), {"moderation": ModerationConfig})
