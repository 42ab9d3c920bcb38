"""Commands are described in every shipped language, from the catalogs: /help in the member's
language, and the texts Discord shows in its command menu (tests/discord)."""

from __future__ import annotations

import pytest

from adapters.local.community import LocalCommunity
from bot import command_texts
from bot.app.cli import cog_declarations
from bot.app.local_session import LocalSession
from bot.i18n import SHIPPED_LOCALES

DECLARED = cog_declarations()
TEXTS = DECLARED.texts
assert TEXTS is not None
# Discord's limits, which every language must keep.
DESCRIPTION_LIMIT = 100
NAME_LIMIT = 32


def test_the_english_catalog_says_what_the_declarations_say() -> None:
    """Declarations keep their English (the Slack manifest, the code's reader); the catalog
    copies it for translators to work from, and German from ``description_de``."""
    drift = []
    for spec in DECLARED.commands.values():
        key = command_texts.description_key(spec)
        for locale, expected in (("en", spec.description), ("de", spec.description_de)):
            if expected and TEXTS.entries(locale).get(key) != expected:
                drift.append(f"{locale}: {key} = {expected!r}")
    for action in DECLARED.message_commands.values():
        if TEXTS.entries("en").get(command_texts.action_key(action, "name")) != action.name:
            drift.append(f"en: {command_texts.action_key(action, 'name')} = {action.name!r}")
    assert drift == [], "copy these into the cog's locales/en.toml and de.toml"


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_every_command_has_a_short_enough_description_in_every_language(locale: str) -> None:
    too_long, missing = [], []
    for spec in DECLARED.commands.values():
        text = TEXTS.entries(locale).get(command_texts.description_key(spec))
        if text is None:
            missing.append(spec.path)
        elif len(text) > DESCRIPTION_LIMIT:
            too_long.append(f"{spec.path}: {len(text)}")
    for action in DECLARED.message_commands.values():
        name = command_texts.action_name(TEXTS, action, locale)
        if len(name) > NAME_LIMIT:
            too_long.append(f"{action.name}: {len(name)}")
    assert (missing, too_long) == ([], [])


async def test_help_describes_commands_in_the_members_language(session: LocalSession) -> None:
    c: LocalCommunity = session.community
    c.add_member("Zoé", locale="fr")
    c.add_member("Ola", locale="pl-PL")
    await c.run(c.member("Zoé"), "/help")
    french = c.last_private(c.member("Zoé"))
    assert "/ticket open <title> [details:…]" in french or "/ticket open" in french
    assert "Ouvrir un ticket" in french
    assert "Signaler le message" in french
    await c.run(c.member("Ola"), "/help")
    polish = c.last_private(c.member("Ola"))
    assert "Otwórz ticket" in polish and "Open a ticket" not in polish
