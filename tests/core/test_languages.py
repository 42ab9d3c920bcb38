"""Channel languages and language teams (bot/languages.py): the configuration, which
language a channel speaks, who handles a language, and public posts in a language channel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from bot.app.community_check import check_at_startup
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.config import ConfigFile, check_file
from bot.errors import ConfigError
from bot.languages import (
    channel_language,
    language_name,
    language_team,
    member_languages,
    own_name,
)
from bot.outgoing import Mention, Plain, RoleMention
from bot.settings import Settings
from cogs import all_cogs
from storage.member_languages import MemberLanguages

SECTIONS = {c.name: c.config_model for c in all_cogs() if c.config_model is not None}
LANGUAGES = """\
[community.languages]
channels = { "general-de" = "de", "#allgemein" = "de" }
roles = { de = ["Team DE"] }
"""


def _checked(tmp_path: Path, text: str) -> ConfigFile:
    path = tmp_path / "botschafter.toml"
    path.write_text(text, encoding="utf-8")
    return ConfigFile.load(path)


def test_an_unknown_language_is_an_error_naming_the_key_and_the_languages(tmp_path: Path):
    file = _checked(
        tmp_path,
        '[community.languages]\nchannels = { "general-xx" = "xx" }\nroles = { German = ["DE"] }\n',
    )
    with pytest.raises(ConfigError) as error:
        check_file(file, SECTIONS)
    lines = str(error.value).splitlines()
    assert lines[0].endswith(
        "line 2: community.languages.channels: general-xx: “xx” is not a language the bot "
        "speaks; use one of " + ", ".join(_shipped())
    )
    assert "line 3: community.languages.roles: German: “German” is not a language" in lines[1]


def _shipped() -> tuple[str, ...]:
    from bot.i18n import SHIPPED_LOCALES

    return SHIPPED_LOCALES


def test_language_channels_are_listed_with_the_other_channel_settings(tmp_path: Path):
    config = check_file(
        _checked(tmp_path, LANGUAGES + 'welcome = { de = "willkommen" }\n'), SECTIONS
    )
    listed = config.channel_settings()
    assert listed["community.languages.channels.general-de"] == "general-de"
    assert listed["community.languages.channels.allgemein"] == "allgemein"  # "#" dropped
    assert listed["community.languages.welcome.de"] == "willkommen"
    # A language channel is only named for its language; a welcome channel is posted in.
    assert not config.channel_needs("community.languages.channels.general-de").uses
    assert config.channel_needs("community.languages.welcome.de").uses


async def test_a_missing_language_channel_or_role_is_reported_like_other_settings(
    settings: Settings,
    clock: VirtualClock,
    write_config: Callable[[str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_config(LANGUAGES)
    community = LocalCommunity()
    community.add_channel("general-de")
    session = await LocalSession.open(settings, clock=clock, community=community)
    try:
        with caplog.at_level(logging.WARNING):
            await check_at_startup(session.app.services)
        said = " ".join(r.getMessage() for r in caplog.records)
        assert "“allgemein” (community.languages.channels.allgemein) does not exist" in said
        assert "“general-de”" not in said  # it exists
        assert "“Team DE” (community.languages.roles.de)" in said
    finally:
        await session.app.close()


async def test_a_channel_and_its_threads_speak_the_configured_language(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    write_config(LANGUAGES)
    community = LocalCommunity()
    german = community.add_channel("general-de")
    thread = community.add_channel("Frage", parent_id=german.id)
    session = await LocalSession.open(settings, clock=clock, community=community)
    try:
        services = session.app.services
        config = await services.config.get(community.community)
        platform = services.platform(community.community)
        settings_ = config.community
        assert await channel_language(settings_, platform, community.ref(german)) == "de"
        assert await channel_language(settings_, platform, community.ref(thread)) == "de"
        general = community.ref(community.channel_named("general"))
        assert await channel_language(settings_, platform, general) is None
        by_id = type(general)(community.community, german.id)  # a reference without a name
        assert await channel_language(settings_, platform, by_id) == "de"
    finally:
        await session.app.close()


async def test_a_member_handles_the_languages_of_their_roles_and_their_declaration(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    write_config(LANGUAGES)
    community = LocalCommunity()
    lena = community.add_member("Lena", roles=("Ambassadors", "Team DE"))
    amy = community.add_member("Amy", roles=("Ambassadors",))
    session = await LocalSession.open(settings, clock=clock, community=community)
    try:
        services = session.app.services
        declared = MemberLanguages(services.db)
        config = (await services.config.get(community.community)).community
        await declared.replace(community.community.key, amy.id, ["en", "de"], amy.id, clock.now())
        await declared.replace(community.community.key, lena.id, ["de"], lena.id, clock.now())
        assert await member_languages(config, lena, declared) == ["de"]
        assert await member_languages(config, amy, declared) == ["de", "en"]
        team = await language_team(config, "de", declared, community.community.key)
        assert team is not None
        assert team.mentions() == (
            RoleMention("Team DE", "Team DE"),
            Plain(" "),
            Mention(amy.id),
            Plain(" "),
            Mention(lena.id),
        )
        assert await language_team(config, "fr", declared, community.community.key) is None
        assert await language_team(config, None, declared, community.community.key) is None
    finally:
        await session.app.close()


async def test_public_posts_in_a_language_channel_use_its_language_replies_the_members(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    write_config(LANGUAGES)
    community = LocalCommunity()
    community.add_channel("general-de")
    ben = community.add_member("Ben", locale="en-US")
    community.add_member("Amy")
    session = await LocalSession.open(settings, clock=clock, community=community)
    try:
        await community.run(ben, "/kudos give @Amy für den Export", channel="general-de")
        thanks = community.read("#general-de")[-1]
        assert thanks.private_to is None
        assert thanks.text.startswith("🙌 Ben dankt @Amy")
        await community.run(ben, "/kudos give @Amy for the export")
        assert community.read("#general")[-1].text.startswith("🙌 Ben thanks @Amy")
        await community.run(ben, "/kudos give @Ben me", channel="general-de")
        assert "cannot give kudos to yourself" in community.last_private(ben)  # his language
    finally:
        await session.app.close()


async def test_about_in_a_language_channel_answers_everyone_there_in_its_language(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    write_config(LANGUAGES)
    community = LocalCommunity()
    community.add_channel("general-de")
    ben = community.add_member("Ben", locale="en-US")
    session = await LocalSession.open(settings, clock=clock, community=community)
    try:
        await community.run(ben, "/about", channel="general-de")
        assert "läuft seit" in community.read("#general-de")[-1].text
        await community.run(ben, "/about")
        assert "up for" in community.read("#general")[-1].text
    finally:
        await session.app.close()


async def test_config_set_refuses_a_language_channel_that_is_not_there(session: LocalSession):
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, '/config set community.languages.channels { "allgemein" = "de" }')
    assert "“allgemein”" in c.last_private(alice)
    await c.run(alice, '/config set community.languages.channels { "general" = "xx" }')
    assert "“xx” is not a language the bot speaks" in c.last_private(alice)
    await c.run(alice, '/config set community.languages.channels { "general" = "de" }')
    assert c.last_private(alice).startswith("Saved")
    await c.run(c.member("Ben"), "/kudos give @Amy danke")
    assert c.read("#general")[-1].text.startswith("🙌 Ben dankt @Amy")


def test_a_regional_code_in_the_configuration_reads_as_its_language(tmp_path: Path):
    """Members' platforms say pt-BR, es-419, de-AT; the configuration takes those codes too
    (as /languages set and [moderation] desks do) instead of saying the bot cannot speak
    Portuguese, and two codes of one language add up rather than one dropping the other."""
    config = check_file(
        _checked(
            tmp_path,
            '[community]\nlocale = "pt-BR"\n[community.languages]\n'
            'channels = { "geral" = "pt-BR", "general-es" = "es-419" }\n'
            'roles = { de = ["Team DE"], "de-AT" = ["Team AT"] }\n'
            'welcome = { "es-419" = "bienvenida" }\n',
        ),
        SECTIONS,
    ).community
    assert config.locale == "pt"
    assert config.languages.channels == {"geral": "pt", "general-es": "es"}
    assert config.languages.roles == {"de": ["Team DE", "Team AT"]}
    assert config.languages.welcome == {"es": "bienvenida"}


def test_a_community_language_the_bot_does_not_speak_is_a_polite_error(tmp_path: Path):
    file = _checked(tmp_path, '[community]\nlocale = "deutsch"\n')
    with pytest.raises(ConfigError) as error:
        check_file(file, SECTIONS)
    assert "community.locale: “deutsch” is not a language the bot speaks" in str(error.value)


def test_one_language_with_two_welcome_channels_is_an_error(tmp_path: Path):
    file = _checked(
        tmp_path, '[community.languages]\nwelcome = { de = "willkommen", "de-AT" = "servus" }\n'
    )
    with pytest.raises(ConfigError, match="“de-AT” is de again"):
        check_file(file, SECTIONS)


async def test_a_shared_post_speaks_a_regional_community_language(session: LocalSession):
    """[community] locale = "pt-BR": the admins' privacy notice is in Portuguese, not English."""
    c = session.community
    await c.run(c.member("Alice"), "/config set community.locale pt-BR")
    await c.run(c.member("Ben"), "/privacy request erase")
    [notice] = c.read("moderators")
    assert "**Pedido de privacidade #1**" in notice.text


def test_one_language_with_two_digest_channels_is_an_error(tmp_path: Path):
    file = _checked(
        tmp_path, '[tickets.digest]\nlanguages = { de = "team-de", "de-AT" = "team-at" }\n'
    )
    with pytest.raises(ConfigError, match="“de-AT” is de again"):
        check_file(file, SECTIONS)


def test_a_language_is_named_as_its_speakers_write_it_and_an_odd_code_as_written() -> None:
    assert [own_name(code) for code in ("de", "fr", "pl", "pt-BR")] == [
        "Deutsch",
        "Français",
        "Polski",
        "Português (Brasil)",
    ]
    assert [own_name(code) for code in ("xx", "zz-QQ", "1", "")] == ["xx", "zz-QQ", "1", ""]


def test_a_language_in_a_sentence_is_named_in_the_readers_language() -> None:
    assert [language_name("de", reader) for reader in ("en", "fr", "de", "pt-BR")] == [
        "German",
        "allemand",
        "Deutsch",
        "alemão",
    ]
    assert [language_name(code, "en") for code in ("xx", "")] == ["xx", ""]
