"""Everything on a flag in the community's language: the default rules' names, the ladder's
reasons, the reason in the platform's audit log; and the reason in the member's notice
only where a rule says `show_reason = true`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from storage.moderation import ModerationRepository

GERMAN = '[community]\nlocale = "de"\n'

LADDER = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn"]

[[moderation.escalation]]
count = 3
kind = "warn"
within = "30d"
then = "timeout"
duration = "1d"
apply = true
"""

SHOWN = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn"]
show_reason = true

[[moderation.rules]]
name = "shouting"
type = "keywords"
keywords = ["heck"]
"""


async def open_session(
    settings: Settings,
    clock: VirtualClock,
    write_config: Callable[[str], Path],
    config: str,
    ben_locale: str | None = None,
) -> LocalSession:
    write_config(config)
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Ben", locale=ben_locale)
    return await LocalSession.open(settings, clock=clock, community=community)


async def test_a_german_community_sees_german_default_rule_names(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config, GERMAN)
    try:
        c = session.community
        mo, ben = c.member("Mo"), c.member("Ben")
        await c.post(ben, "#general", "@everyone schaut mal")
        [flag] = c.read("#moderators")
        assert "**Massen-Erwähnungen**" in flag.text and "mass mentions" not in flag.text
        await c.run(mo, "/flags open")
        assert "Massen-Erwähnungen" in c.last_private(mo)
        await c.run(mo, "/flag resolve 1 timeout")
        [notice] = c.direct_messages(ben)
        assert "„Massen-Erwähnungen“" in notice.text
        # The platform's own audit log reads the community's language too.
        assert any("Botschafter-Fall #1" in line for line in c.transcript if "ben" in line)
        repo = ModerationRepository(session.app.services.db, session.app.services.audit)
        [infraction] = await repo.infractions(c.community.key, "ben", 10)
        assert infraction.reason == "Massen-Erwähnungen"
    finally:
        await session.app.close()


async def test_a_rule_the_community_named_itself_keeps_its_name(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    config = GERMAN + '[[moderation.rules]]\nname = "mass mentions"\ntype = "mass_mentions"\n'
    session = await open_session(settings, clock, write_config, config)
    try:
        c = session.community
        await c.post(c.member("Ben"), "#general", "@everyone schaut mal")
        [flag] = c.read("#moderators")
        assert "**mass mentions**" in flag.text
    finally:
        await session.app.close()


async def test_the_ladders_reason_is_in_the_communitys_language(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config, GERMAN + LADDER)
    try:
        c = session.community
        mo, ben = c.member("Mo"), c.member("Ben")
        for n in range(3):
            await c.post(ben, "#general", f"darn {n}")
            await c.run(mo, f"/flag resolve {n + 1} warn")
        repo = ModerationRepository(session.app.services.db, session.app.services.audit)
        record = await repo.infractions(c.community.key, "ben", 10)
        assert record[0].kind == "timeout"
        assert record[0].reason == "3 × Verwarnung innerhalb von 30 Tagen"
    finally:
        await session.app.close()


async def test_the_members_notice_says_what_the_rule_found_only_where_asked(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config, SHOWN)
    try:
        c = session.community
        mo, ben = c.member("Mo"), c.member("Ben")
        await c.post(ben, "#general", "oh heck")  # show_reason off (the default)
        await c.run(mo, "/flag resolve 1 warn")
        [quiet] = c.direct_messages(ben)
        assert "rule “shouting”" in quiet.text
        assert "found" not in quiet.text and "heck'" not in quiet.text
        await c.post(ben, "#general", "darn it")  # show_reason = true
        await c.run(mo, "/flag resolve 2 warn")
        told = c.direct_messages(ben)[-1]
        assert "rule “swearing”" in told.text
        assert "What the rule found: keyword 'darn'." in told.text
    finally:
        await session.app.close()


async def test_a_shown_reason_is_in_the_members_language(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config, SHOWN, ben_locale="de")
    try:
        c = session.community
        mo, ben = c.member("Mo"), c.member("Ben")
        await c.post(ben, "#general", "darn it")
        await c.run(mo, "/flag resolve 1 warn")
        [told] = c.direct_messages(ben)
        assert "Gefunden hat die Regel: Schlüsselwort „darn“." in told.text
    finally:
        await session.app.close()


async def test_several_matched_words_are_quoted_the_languages_way(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    config = GERMAN + SHOWN.replace('keywords = ["darn"]', 'keywords = ["darn", "drat"]')
    session = await open_session(settings, clock, write_config, config)
    try:
        c = session.community
        await c.post(c.member("Ben"), "#general", "darn and drat")
        [flag] = c.read("#moderators")
        assert "**swearing**: „darn“, „drat“ (" in flag.text
    finally:
        await session.app.close()
