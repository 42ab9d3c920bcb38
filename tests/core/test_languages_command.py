"""``/languages show`` and ``/languages set``: ambassadors and moderators declare the
languages they handle; admins may set them for others; bad input changes nothing."""

from __future__ import annotations

from bot.app.local_session import LocalSession
from bot.i18n import SHIPPED_LOCALES
from storage.member_languages import MemberLanguages


async def _declared(session: LocalSession, member_id: str) -> list[str]:
    store = MemberLanguages(session.app.services.db)
    return await store.of(session.community.community.key, member_id)


async def test_an_ambassador_declares_languages_and_sees_the_teams(session: LocalSession):
    c = session.community
    amy = c.member("Amy")
    await c.run(amy, "/languages set DE en-GB de")
    assert c.last_private(amy) == "Saved: you handle de, en (by your roles: —)."
    assert await _declared(session, amy.id) == ["de", "en"]
    await c.run(amy, "/languages show")
    shown = c.last_private(amy)
    assert shown.startswith("You handle: de")
    assert "de: @Amy" in shown
    assert "de: @Amy" in shown and "en: @Amy" in shown
    await c.run(amy, "/languages set de")
    await c.run(amy, "/languages show")
    assert "en: nobody yet; its tickets go to all ambassadors" in c.last_private(amy)
    assert c.read("#general") == []  # private


async def test_an_unknown_code_is_refused_politely_and_nothing_changes(session: LocalSession):
    c = session.community
    mo = c.member("Mo")
    await c.run(mo, "/languages set de")
    await c.run(mo, "/languages set de klingon")
    known = ", ".join(SHIPPED_LOCALES)
    assert c.last_private(mo) == f"“klingon” is not a language I speak. Use one of: {known}."
    assert await _declared(session, mo.id) == ["de"]
    await c.run(mo, "/languages set none")
    assert c.last_private(mo) == "Saved: you declared no languages (by your roles: —)."
    assert await _declared(session, mo.id) == []


async def test_members_who_are_not_staff_cannot_declare_languages(session: LocalSession):
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/languages set de")
    assert "this command is not for you" in c.last_private(ben)
    assert await _declared(session, ben.id) == []


async def test_who_may_is_checked_before_the_codes(session: LocalSession):
    """Someone refused hears "not for you" whatever they typed, never a lesson in codes."""
    c = session.community
    ben, mo, amy = c.member("Ben"), c.member("Mo"), c.member("Amy")
    await c.run(ben, "/languages set klingon")
    assert "this command is not for you" in c.last_private(ben)
    await c.run(mo, "/languages set klingon member:@Amy")
    assert c.last_private(mo).startswith("Only admins set another member's languages.")
    assert await _declared(session, ben.id) == [] and await _declared(session, amy.id) == []


async def test_only_admins_set_the_languages_of_others(session: LocalSession):
    c = session.community
    amy, mo, alice = c.member("Amy"), c.member("Mo"), c.member("Alice")
    await c.run(mo, "/languages set de member:@Amy")
    assert c.last_private(mo).startswith("Only admins set another member's languages.")
    assert await _declared(session, amy.id) == []
    await c.run(alice, "/languages set de member:@Amy")
    assert c.last_private(alice) == "Saved: @Amy handles de (by their roles: —)."
    assert await _declared(session, amy.id) == ["de"]
    await c.run(alice, "/languages set de member:@Ben")
    assert "Ben is neither an ambassador nor a moderator here" in c.last_private(alice)


async def test_a_german_ambassador_is_answered_in_german(session: LocalSession):
    c = session.community
    lena = c.add_member("Lena", roles=("Ambassadors",), locale="de")
    await c.run(lena, "/languages set xx")
    assert c.last_private(lena).startswith("„xx“ ist keine Sprache, die ich spreche.")
    await c.run(lena, "/languages set de")
    assert c.last_private(lena) == "Gespeichert: Du betreust de (über deine Rollen: —)."
