"""The role ids and names a rule's scope is matched against, made once per roles tuple."""

from __future__ import annotations

from bot.model import Role
from cogs.moderation.checking import _ScopeNames


def test_an_authors_roles_give_their_ids_and_names_and_a_change_shows_at_once() -> None:
    names = _ScopeNames()
    helpers = (Role("1", "Helpers"),)
    assert names.of(helpers) == {"1", "Helpers"}
    assert names.of(helpers) is names.of(helpers)  # the same member's next message
    promoted = (*helpers, Role("2", "Moderators"))
    assert names.of(promoted) == {"1", "Helpers", "2", "Moderators"}
    assert names.of(()) == frozenset()


def test_a_full_memory_starts_afresh_and_still_answers() -> None:
    names = _ScopeNames()
    kept = [(Role(str(n), f"r{n}"),) for n in range(_ScopeNames.MOST + 5)]
    for roles in kept:
        assert names.of(roles) == {roles[0].id, roles[0].name}
    assert names.of(kept[0]) == {"0", "r0"}
