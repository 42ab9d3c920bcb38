"""/welcome preview, set and test: who may use them and what they change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.config import ConfigStore
from bot.errors import ConfigError
from cogs.welcome import WelcomeCog
from cogs.welcome.config import WelcomeConfig


async def _welcome_settings(session: LocalSession) -> WelcomeConfig:
    store: ConfigStore = session.app.services.config
    config = await store.get(session.community.community)
    return config.section("welcome", WelcomeConfig)


async def _audited(session: LocalSession, action: str) -> list[str]:
    entries = await session.app.services.audit.recent(session.community.community.key)
    return [e.subject for e in entries if e.action == action]


@pytest.mark.parametrize(
    ("who", "line"),
    [
        ("Ben", "/welcome set dm:yes"),
        ("Mo", "/welcome set dm:yes"),
        ("Amy", "/welcome preview"),
        ("Ben", "/welcome test @Amy"),
        ("Amy", "/welcome test @Ben"),
    ],
)
async def test_members_without_the_level_are_refused(
    session: LocalSession, cog: WelcomeCog, who: str, line: str
):
    c = session.community
    member = c.member(who)
    await c.run(member, line)
    assert c.last_private(member).startswith("Sorry, only members with the")
    assert (await _welcome_settings(session)).dm is False
    assert c.read("#welcome") == []
    assert c.direct_messages(c.member("Amy")) == []


async def test_preview_shows_the_admins_own_welcome_and_where_it_goes(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.rules.enabled": True})
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, "/welcome preview")
    reply = c.private_replies(alice)[-1]
    assert reply.text.startswith("**Preview**: this is the welcome you would get.")
    assert "posted in #welcome" in reply.text
    assert "One of 3 variants" in reply.text
    assert "@Alice" in reply.text
    assert [b.label for b in reply.buttons] == ["I accept the rules"]
    assert c.read("#welcome") == []
    # Trying the preview's button explains it and accepts nothing.
    await c.press(alice, reply.number, "I accept the rules")
    assert c.last_private(alice).startswith("This is only a preview:")
    assert await session.app.services.audit.recent(c.community.key) == []


async def test_preview_uses_the_admins_locale_or_the_one_asked_for(
    session: LocalSession, cog: WelcomeCog
):
    c = session.community
    c.add_member("Greta", roles=("Admins",), locale="de")
    await c.run(c.member("Greta"), "/welcome preview")
    assert c.last_private(c.member("Greta")).startswith("**Vorschau**")
    alice = c.member("Alice")
    await c.run(alice, "/welcome preview de")
    assert "Alice" in c.last_private(alice)
    assert any(w in c.last_private(alice) for w in ("Willkommen", "Hallo", "willkommen"))


async def test_set_stores_channel_and_delivery_as_community_overrides(
    session: LocalSession, cog: WelcomeCog
):
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, "/welcome set channel:#general dm:yes public:no")
    settings = await _welcome_settings(session)
    assert (settings.channel, settings.dm, settings.public) == ("general", True, False)
    reply = c.last_private(alice)
    assert reply.startswith("Saved for this community:")
    assert "`dm` = on" in reply and "`public` = off" in reply
    assert sorted(await _audited(session, "welcome.set")) == [
        "welcome.channel",
        "welcome.dm",
        "welcome.public",
    ]
    zoe = await c.join("Zoe")
    assert len(c.direct_messages(zoe)) == 1
    assert c.read("#general") == []


async def test_set_template_for_a_language_is_used_for_the_next_newcomer(
    session: LocalSession, cog: WelcomeCog
):
    c = session.community
    alice = c.member("Alice")
    await c.run(
        alice, '/welcome set locale:de "template:Servus {member}, willkommen bei {community}!"'
    )
    assert "welcome template for **de** (one variant)" in c.last_private(alice)
    await c.join("Zoe", locale="de")
    assert c.read("#welcome")[-1].text == "Servus @Zoe, willkommen bei Botschafter Demo!"


async def test_set_template_can_add_a_variant(session: LocalSession, cog: WelcomeCog):
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, '/welcome set locale:en "template:One {member}"')
    await c.run(alice, '/welcome set locale:en "template:Two {member}" add:yes')
    assert (await _welcome_settings(session)).templates == {"en": ["One {member}", "Two {member}"]}


async def test_bad_template_is_rejected_with_the_reason_and_nothing_changes(
    session: LocalSession, cog: WelcomeCog
):
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, '/welcome set locale:en "template:Hi {member.__class__} {user}" dm:yes')
    reply = c.last_private(alice)
    assert reply.startswith("That template was not saved:")
    assert "“{member.__class__}” is not a placeholder" in reply
    assert "unknown placeholder {user}" in reply
    assert "available: {community}, {member}, {member_count}, {name}, {rules}" in reply
    settings = await _welcome_settings(session)
    assert settings.templates == {} and settings.dm is False
    assert await _audited(session, "welcome.set") == []


async def test_unbalanced_braces_are_rejected(session: LocalSession, cog: WelcomeCog):
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, '/welcome set "template:Hi {member"')
    assert "unbalanced brace" in c.last_private(alice)


async def test_turning_every_delivery_off_is_refused(session: LocalSession, cog: WelcomeCog):
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, "/welcome set public:no")
    assert c.last_private(alice).startswith("Nothing was saved: welcomes would go nowhere")
    assert (await _welcome_settings(session)).public is True


async def test_set_without_anything_to_change_explains_itself(
    session: LocalSession, cog: WelcomeCog
):
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, "/welcome set")
    assert c.last_private(alice).startswith("Tell me what to change")
    await c.run(alice, "/welcome set locale:de")
    assert c.last_private(alice).startswith("A language on its own changes nothing")


async def test_moderator_can_send_a_test_welcome(session: LocalSession, cog: WelcomeCog):
    c = session.community
    mo = c.member("Mo")
    await c.run(mo, "/welcome test @Ben")
    assert "@Ben" in c.read("#welcome")[-1].text
    assert c.last_private(mo) == "Sent Ben's welcome to #welcome."
    assert await _audited(session, "welcome.test") == ["ben"]


async def test_test_welcome_reports_the_dm_fallback(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.dm": True, "welcome.public": False})
    c = session.community
    c.dms_closed.add("ben")
    mo = c.member("Mo")
    await c.run(mo, "/welcome test @Ben")
    assert c.last_private(mo) == (
        "Ben does not accept direct messages, so the welcome went to #welcome instead."
    )
    c.dms_closed.clear()
    await c.run(mo, "/welcome test @Ben")
    assert c.last_private(mo) == "Sent Ben's welcome as a direct message."


async def test_test_welcome_refuses_bots(session: LocalSession, cog: WelcomeCog):
    c = session.community
    c.add_member("Helperbot", is_bot=True)
    mo = c.member("Mo")
    await c.run(mo, "/welcome test @Helperbot")
    assert c.last_private(mo).startswith("Bots are not welcomed")
    assert c.read("#welcome") == []


async def test_test_welcome_does_not_count_as_a_join(session: LocalSession, cog: WelcomeCog):
    c = session.community
    mo = c.member("Mo")
    for _ in range(6):
        await c.run(mo, "/welcome test @Ben")
        await session.advance(timedelta(seconds=1))
    assert c.read("#moderators") == []


async def test_bad_template_in_the_config_file_stops_start_up_naming_the_key(
    write_config, settings, clock
):
    write_config('[welcome.templates]\nen = ["Hi {user}"]\n')
    with pytest.raises(ConfigError, match=r"welcome\.templates: .*unknown placeholder \{user\}"):
        await LocalSession.open(settings, clock=clock, community=LocalCommunity())


async def test_config_file_sets_up_every_part(write_config, settings, clock):
    write_config(
        """
[community]
locale = "de"
roles.member = "Members"

[welcome]
dm = true
templates.de = ["Moin {member}!", "Servus {member}!"]

[welcome.rules]
enabled = true
reminder_hours = 12

[welcome.waves]
joins = 3
window_seconds = 30
join_log = "moderators"

[welcome.kudos]
limit = 1
"""
    )
    session = await LocalSession.open(settings, clock=clock, community=LocalCommunity())
    try:
        config = await session.app.services.config.get(session.community.community)
        welcome = config.section("welcome", WelcomeConfig)
        assert welcome.templates["de"] == ["Moin {member}!", "Servus {member}!"]
        assert (welcome.rules.reminder_hours, welcome.waves.joins, welcome.kudos.limit) == (
            12,
            3,
            1,
        )
    finally:
        await session.app.close()


async def test_more_than_ten_variants_are_refused(session: LocalSession, cog: WelcomeCog):
    c = session.community
    alice = c.member("Alice")
    for number in range(10):
        await c.run(alice, f'/welcome set locale:en "template:Hi {{member}} {number}" add:yes')
    await c.run(alice, '/welcome set locale:en "template:One too many {member}" add:yes')
    assert c.last_private(alice).startswith("That would be more than 10 variants")
    assert len((await _welcome_settings(session)).templates["en"]) == 10


async def test_a_template_language_must_be_a_language_code(session: LocalSession, cog: WelcomeCog):
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, '/welcome set locale:klingon! "template:Hi {member}"')
    assert "is not a language code" in c.last_private(alice)
    assert (await _welcome_settings(session)).templates == {}


async def test_config_set_refuses_a_bad_template_too(session: LocalSession, cog: WelcomeCog):
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, '/config set welcome.templates.en ["Hi {member"]')
    assert "unbalanced brace" in c.last_private(alice)
    assert (await _welcome_settings(session)).templates == {}
