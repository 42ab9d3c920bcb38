"""Built-in commands: /help, /about and /config, as members and admins meet them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bot.app.local_session import LocalSession
from bot.settings import Settings

WEBHOOK = "https://hooks.slack.com/services/T0/B0/SeCrEtToKeN"


async def test_help_lists_only_what_the_member_may_use(session: LocalSession) -> None:
    c = session.community
    ben, alice = c.member("Ben"), c.member("Alice")
    await c.run(ben, "/help")
    member_help = c.last_private(ben)
    assert "`/kudos give <member> <reason>` — Thank a member" in member_help
    assert "/config set" not in member_help
    assert "/welcome test" not in member_help
    await c.run(alice, "/help")
    assert "`/config set <key> <value>`" in c.last_private(alice)
    assert c.read("general") == []  # private, no clutter in the channel


async def test_about_shows_version_uptime_platforms_and_community(
    session: LocalSession,
) -> None:
    c = session.community
    await session.advance(timedelta(hours=1, minutes=30))
    await c.run(c.member("Ben"), "/about")
    assert c.read("general")[-1].text == (
        "**Botschafter 0.1.0** — up for 1h30m. Connected: local. Community: Botschafter Demo."
    )


async def test_members_may_not_show_or_change_the_configuration(session: LocalSession) -> None:
    c = session.community
    ben = c.member("Ben")
    for line in ("/config show", "/config set community.locale de", "/config reset x.y"):
        await c.run(ben, line)
        assert c.last_private(ben).startswith("Sorry, only")
    config = await session.app.services.config.get(c.community)
    assert config.community.locale == "en"
    assert await session.app.services.audit.recent(c.community.key) == []


async def test_an_admin_sets_and_resets_a_setting_with_an_audit_trail(
    session: LocalSession,
) -> None:
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, "/config set welcome.waves.joins 8")
    assert c.last_private(alice) == "Saved: `welcome.waves.joins` = `8` for this community."
    await c.run(alice, "/config reset welcome.waves.joins")
    assert (
        c.last_private(alice)
        == "`welcome.waves.joins` is back to the value from the configuration file."
    )
    await c.run(alice, "/config reset welcome.waves.joins")
    assert c.last_private(alice) == "`welcome.waves.joins` was not overridden, so nothing changed."
    actions = [e.action for e in await session.app.services.audit.recent(c.community.key)]
    assert actions == ["config.reset", "config.set"]


async def test_bad_keys_and_values_are_refused_with_what_to_write(session: LocalSession) -> None:
    c = session.community
    alice = c.member("Alice")
    refusals = {
        "/config set welcome.waves.joins 1": (
            "That setting was not saved: welcome.waves.joins: "
            "Input should be greater than or equal to 2."
        ),
        "/config set welcome.wave.joins 3": "did you mean waves?",
        "/config set community 5": "community: this is a table of settings, not one value",
        "/config set communities.local:demo.community.locale de": (
            "“communities.local:demo.community.locale” is not a setting"
        ),
        "/config set welcome..dm true": "“welcome..dm” is not a setting",
    }
    for line, expected in refusals.items():
        await c.run(alice, line)
        assert expected in c.last_private(alice), line
        assert "the new value" not in c.last_private(alice)
    assert await session.app.services.audit.recent(c.community.key) == []


async def test_config_show_fences_the_json_and_masks_credentials(
    settings: Settings, write_config: Callable[[str], Path]
) -> None:
    write_config(f'[tickets]\ncompany_webhook = "{WEBHOOK}"\n')
    session = await LocalSession.open(settings)
    try:
        c = session.community
        alice = c.member("Alice")
        await c.run(alice, "/config show tickets")
        shown = c.last_private(alice)
        assert "SeCrEtToKeN" not in shown
        head, fence, rest = shown.partition("\n```\n")
        assert head == "**Effective configuration** for this community:" and fence
        body = json.loads(rest.removesuffix("\n```"))
        assert body["tickets"]["company_webhook"] == "https://hooks.slack.com/********"

        await c.run(alice, f"/config set tickets.company_webhook {WEBHOOK}2")
        assert "SeCrEtToKeN" not in c.last_private(alice)
        [entry] = await session.app.services.audit.recent(c.community.key)
        assert "SeCrEtToKeN" not in json.dumps(entry.details)
        config = await session.app.services.config.get(c.community)
        assert config.shown()["tickets"]["company_webhook"] == "https://hooks.slack.com/********"
    finally:
        await session.app.close()


async def test_an_unknown_section_lists_the_known_ones(session: LocalSession) -> None:
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, "/config show welcom")
    assert c.last_private(alice) == (
        "There is no section “welcom”. Sections: community, moderation, tickets, welcome."
    )


async def test_help_reads_in_german_for_a_german_member(session: LocalSession) -> None:
    c = session.community
    zoe = c.add_member("Zoe", locale="de")
    await c.run(zoe, "/help")
    help_text = c.last_private(zoe)
    assert help_text.startswith("**Befehle, die du hier nutzen kannst**")
    assert "`/help` — Die Befehle zeigen, die du hier nutzen kannst." in help_text
    assert "`/about` — Version, Laufzeit und verbundene Plattformen zeigen." in help_text


async def test_a_refused_setting_is_explained_in_german(session: LocalSession) -> None:
    c = session.community
    zoe = c.add_member("Zoe", roles=("Admins",), locale="de")
    await c.run(zoe, "/config set welcome.waves.joins 1")
    assert c.last_private(zoe) == (
        "Die Einstellung wurde nicht gespeichert: welcome.waves.joins: "
        "Input should be greater than or equal to 2."
    )
    await c.run(zoe, "/config set communities.x.y 1")
    assert c.last_private(zoe).startswith(
        "Die Einstellung wurde nicht gespeichert: „communities.x.y“ ist keine Einstellung."
    )
