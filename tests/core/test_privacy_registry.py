"""Every column that may hold a member's id is known to the privacy registry.

`python -m bot privacy export` and `forget` see only what `storage.privacy.REGISTRY` names.
A migration that adds a table or column naming members (an author, a moderator, an
assignee...) fails this test until the column is added to the registry, or to
`NOT_PERSONAL` with the reason it holds no member's id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import copy, privacy
from storage.database import Database


@pytest.fixture
async def schema(tmp_path: Path) -> AsyncIterator[dict[str, tuple[str, ...]]]:
    db = await Database.open(tmp_path / "bot.db")
    try:
        yield {table.name: table.columns for table in await copy.tables(db)}
    finally:
        await db.close()


def covered() -> set[tuple[str, str]]:
    return {
        (entry.table, column)
        for entry in privacy.REGISTRY
        if isinstance(entry, privacy.Keyed)
        for role in entry.roles
        for column in (role.column, *role.names)
    }


async def test_every_member_like_column_is_in_the_registry_or_excused(
    schema: dict[str, tuple[str, ...]],
) -> None:
    member_like = {
        (table, column)
        for table, columns in schema.items()
        for column in columns
        if privacy.MEMBER_LIKE.search(column)
    }
    forgotten = sorted(member_like - covered() - set(privacy.NOT_PERSONAL))
    assert not forgotten, (
        f"columns that may hold a member's id but the privacy export and forget do not know"
        f" them: {forgotten}. Add them to storage/privacy.py REGISTRY (or to NOT_PERSONAL"
        f" with the reason)."
    )


async def test_the_registry_names_only_tables_and_columns_that_exist(
    schema: dict[str, tuple[str, ...]],
) -> None:
    for entry in privacy.REGISTRY:
        columns = schema.get(entry.table)
        assert columns is not None, f"{entry.name}: no table {entry.table}"
        if isinstance(entry, privacy.Keyed):
            named = {c for role in entry.roles for c in (role.column, *role.names, *role.texts)}
        else:
            named = {child for child, _ in entry.link} | set(entry.texts)
            parent = schema[entry.parent]
            assert {p for _, p in entry.link} | {entry.parent_member} <= set(parent)
        assert named | set(entry.hidden) <= set(columns), f"{entry.name}: unknown columns"
    for table, column in privacy.NOT_PERSONAL:
        assert column in schema.get(table, ()), f"NOT_PERSONAL names {table}.{column}"


def test_a_member_like_column_outside_the_registry_is_caught() -> None:
    """What the first test relies on: the names later migrations are likely to use."""
    for column in ("assignee_id", "appellant_id", "author_id", "edited_by", "created_by"):
        assert privacy.MEMBER_LIKE.search(column), column
    for column in ("community", "number", "channel_id", "emoji", "status"):
        assert not privacy.MEMBER_LIKE.search(column), column
