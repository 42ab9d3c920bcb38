"""A database as an older version of the bot left it, for tests of a later migration on
either backend."""

from __future__ import annotations

from storage.database import Database, migrations, statements
from storage.dialect import migration_to_postgres


async def apply_migrations_before(db: Database, version: int) -> None:
    """Apply the migrations older than `version` to an empty database, recorded as
    `Database.migrate` records them (each statement as that backend runs it)."""
    await db.execute(  # as Database.migrate creates it
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL)"
    )
    async with db.transaction() as tx:
        for number, name, sql in migrations():
            if number >= version:
                continue
            for statement in statements(sql):
                if db.backend == "postgresql":
                    statement = migration_to_postgres(statement)
                await tx.execute(statement)
            await tx.execute("INSERT INTO schema_migrations VALUES (?, ?, 'then')", (number, name))
