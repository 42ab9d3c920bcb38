"""The languages members said they handle (``/languages set``), per community.

Roles per language live in the configuration and are not stored here; `bot/languages.py`
puts both together. A member's set is replaced as a whole, so ``/languages set de`` after
``/languages set de fr`` leaves German only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from storage.database import Database, Transaction
from storage.timestamps import to_db


class MemberLanguages:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def of(self, community: str, member_id: str) -> list[str]:
        """The languages `member_id` declared, sorted."""
        rows = await self._db.fetch_all(
            "SELECT language FROM member_languages WHERE community = ? AND member_id = ?"
            " ORDER BY language",
            (community, member_id),
        )
        return [row["language"] for row in rows]

    async def members_for(self, community: str, language: str) -> list[str]:
        """Who declared `language`, in the order they did."""
        rows = await self._db.fetch_all(
            "SELECT member_id FROM member_languages WHERE community = ? AND language = ?"
            " ORDER BY at, member_id",
            (community, language),
        )
        return [row["member_id"] for row in rows]

    async def replace(
        self,
        community: str,
        member_id: str,
        languages: Iterable[str],
        set_by: str,
        at: datetime,
        tx: Transaction | None = None,
    ) -> None:
        """Make `languages` the member's whole set (empty: none)."""
        if tx is None:
            async with self._db.transaction() as own:
                await self.replace(community, member_id, languages, set_by, at, own)
            return
        await tx.execute(
            "DELETE FROM member_languages WHERE community = ? AND member_id = ?",
            (community, member_id),
        )
        await tx.executemany(
            "INSERT INTO member_languages (community, member_id, language, set_by, at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(community, member_id, code, set_by, to_db(at)) for code in dict.fromkeys(languages)],
        )
