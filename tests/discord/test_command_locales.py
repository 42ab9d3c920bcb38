"""Discord's command menu in the member's language: names and descriptions localised for
every Discord locale whose language the bot ships, from the catalogs."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from pydantic import SecretStr

from adapters.discord.cli import sync_commands
from adapters.discord.commands import CommandShapeError, application_commands
from bot.app.cli import cog_declarations
from bot.commands import CommandSpec, MessageCommandSpec, Permission
from bot.i18n import I18n
from bot.settings import Settings
from tests.discord.wire_fake import FakeDiscord, serving


def catalogs(tmp_path: Path) -> I18n:
    """French and Spanish describe /report; Polish has no text for it yet."""
    files = {
        "en": '[command]\nreport = "Report a message."\n'
        '[message_command."Report message"]\nname = "Report message"\n',
        "fr": '[command]\nreport = "Signaler un message."\n'
        '[message_command."Report message"]\nname = "Signaler le message"\n',
        "es": '[command]\nreport = "Denuncia un mensaje."\n',
        "pl": '[other]\nx = "y"\n',
    }
    for language, text in files.items():
        (tmp_path / f"{language}.toml").write_text(text, encoding="utf-8")
    return I18n.load([tmp_path])


def test_descriptions_carry_every_catalog_language_and_never_english_for_another(
    tmp_path: Path,
) -> None:
    command, action = application_commands(
        [CommandSpec("report", "Report a message.", description_de="Eine Nachricht melden.")],
        [MessageCommandSpec("Report message", Permission.MEMBER, name_de="Nachricht melden")],
        catalogs(tmp_path),
    )
    assert command["description"] == "Report a message."
    assert command["description_localizations"] == {
        "de": "Eine Nachricht melden.",
        "es-419": "Denuncia un mensaje.",
        "es-ES": "Denuncia un mensaje.",
        "fr": "Signaler un message.",
    }  # no "pl": Discord shows its English default, not English labelled as Polish
    assert action["name_localizations"] == {"de": "Nachricht melden", "fr": "Signaler le message"}


async def test_discord_sync_registers_the_shipped_languages_descriptions(
    settings: Settings,
) -> None:
    async with serving(FakeDiscord()) as fake:
        settings.discord_token = SecretStr(fake.token)
        sync = argparse.Namespace(guild=None, declarations=cog_declarations)
        assert await sync_commands(sync, settings) == 0
        body = {command["name"]: command for command in fake.commands}
    ticket = {option["name"]: option for option in body["ticket"]["options"]}
    assert ticket["open"]["description_localizations"]["fr"].startswith("Ouvrir un ticket")
    assert ticket["open"]["description_localizations"]["pl"].startswith("Otwórz ticket")
    assert body["help"]["description_localizations"]["pt-BR"] == (
        "Lista os comandos que você pode usar aqui."
    )
    assert set(body["help"]["description_localizations"]) == {
        "de",
        "fr",
        "es-ES",
        "es-419",
        "it",
        "nl",
        "pl",
        "pt-BR",
    }
    report = body["Report message"]
    assert report["name_localizations"]["pl"] == "Zgłoś wiadomość"
    assert ticket["claim"]["name_localizations"]["fr"] == "prendre"
    assert ticket["claim"]["name_localizations"]["pl"] == "przejmij"
    assert ticket["claim"]["name_localizations"]["pt-BR"] == "assumir"
    assert body["help"]["name_localizations"]["fr"] == "aide"
    # "ticket" is the word these languages use: it keeps its English name.
    assert "name_localizations" not in body["ticket"]


def test_names_come_from_the_catalog_for_commands_and_groups(tmp_path: Path) -> None:
    files = {
        "en": '[command]\n"flag resolve" = "Settle a flag."\n',
        "fr": '[command_name]\nflag = "signalement"\n"flag resolve" = "résoudre"\n',
        "pl": '[command_name]\n"flag resolve" = "rozpatrz"\n',
    }
    for language, text in files.items():
        (tmp_path / f"{language}.toml").write_text(text, encoding="utf-8")
    (flag,) = application_commands(
        [CommandSpec("flag resolve", "Settle a flag.")], [], I18n.load([tmp_path])
    )
    assert flag["name"] == "flag"
    assert flag["name_localizations"] == {"fr": "signalement"}  # no Polish: English shows
    (resolve,) = flag["options"]
    assert resolve["name_localizations"] == {"fr": "résoudre", "pl": "rozpatrz"}


def test_a_name_discord_would_refuse_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text('[command]\nhelp = "Help."\n', encoding="utf-8")
    (tmp_path / "fr.toml").write_text('[command_name]\nhelp = "Aide moi"\n', encoding="utf-8")
    with pytest.raises(CommandShapeError, match="Aide moi"):
        application_commands([CommandSpec("help", "Help.")], [], I18n.load([tmp_path]))
