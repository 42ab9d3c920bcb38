"""What sign-in to the insights pages keeps: the signing key and the links already used.

No SQL about sign-in lives elsewhere. The key is made once (when WEB_SECRET is unset) and
shared by every process through the database; a used link's id is recorded in the same
statement that checks it, so two browsers racing with one link get one session.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from storage.database import Database
from storage.timestamps import to_db

SIGNING_KEY = "signin"


class SignInStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def signing_key(self, now: datetime) -> str:
        """The stored key, made on first use (the first process to store one wins)."""
        await self._db.execute(
            "INSERT INTO web_secrets (name, value, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (SIGNING_KEY, secrets.token_urlsafe(32), to_db(now)),
        )
        value = await self._db.fetch_value(
            "SELECT value FROM web_secrets WHERE name = ?", (SIGNING_KEY,)
        )
        assert isinstance(value, str)
        return value

    async def use_link(
        self, link_id: str, community: str, member_id: str, now: datetime, expires: datetime
    ) -> bool:
        """Record the link as used; False when it already was (a second use)."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM web_used_links WHERE expires_at < ?", (to_db(now),))
            added = await tx.execute(
                "INSERT INTO web_used_links (id, community, member_id, used_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (link_id, community, member_id, to_db(now), to_db(expires)),
            )
        return added == 1
