"""Copy one Botschafter database into another, table by table (``python -m bot db copy``).

The tables come from the schema itself (SQLite's catalogue, PostgreSQL's
information_schema), so a table a later migration adds is copied without touching this
module. Parents are copied before the tables whose foreign keys point at them, and rows in
primary-key order, so a row that refers to an earlier row of its own table (an outbox
entry's ``depends_on``) finds it already there; ids are kept as they are. The migrations'
bookkeeping table is not copied: the target records its own migrations when it is migrated.

Each table's rows are summed up in a `Fingerprint` (count plus an order-free digest), so a
copy is checked row for row, and a target that already holds exactly this copy is
recognised, whatever order either database returns rows in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from storage.database import Database, Transaction

MIGRATIONS_TABLE = "schema_migrations"

# Rows read and written per statement batch: large enough that a table of 100k rows is a
# few hundred round trips, small enough that a batch never holds much memory.
BATCH = 500


class Reader(Protocol):
    """A `Database` or a `Transaction`: anything that reads rows."""

    async def fetch_all(self, sql: str, params: Any = ()) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the primary key: rows are read in its order
    parents: frozenset[str]  # tables this one's foreign keys refer to (not itself)


@dataclass(frozen=True)
class Fingerprint:
    rows: int
    digest: int  # the sum of each row's hash, modulo 2**64: independent of row order

    def plus(self, rows: Iterable[Sequence[Any]]) -> Fingerprint:
        count, digest = self.rows, self.digest
        for row in rows:
            count += 1
            digest = (digest + _row_hash(row)) % 2**64
        return Fingerprint(count, digest)


EMPTY = Fingerprint(0, 0)


async def tables(db: Database) -> list[Table]:
    """Every table but the migrations' bookkeeping, parents before children.

    Raises `SchemaProblem` for a table without a primary key (its rows could not be read in
    a stable order) or foreign keys that go round in a circle.
    """
    describe = _sqlite_tables if db.backend == "sqlite" else _postgresql_tables
    found = [table for table in await describe(db) if table.name != MIGRATIONS_TABLE]
    for table in found:
        if not table.key:
            raise SchemaProblem(f"table {table.name} has no primary key; it cannot be copied")
    return _parents_first(found)


async def applied_migrations(db: Database) -> set[int]:
    """The migration versions this database has applied (its schema version)."""
    rows = await db.fetch_all(f"SELECT version FROM {MIGRATIONS_TABLE}")
    return {int(row[0]) for row in rows}


async def holds_rows(reader: Reader, ordered: Sequence[Table]) -> bool:
    """Whether any of the tables holds a row."""
    for table in ordered:
        if await reader.fetch_all(f"SELECT 1 FROM {_quoted(table.name)} LIMIT 1"):
            return True
    return False


async def fingerprint(reader: Reader, table: Table) -> Fingerprint:
    """Count and digest every row of `table`."""
    result = EMPTY
    async for batch in _batches(reader, table):
        result = result.plus(batch)
    return result


async def copy_rows(source: Reader, tx: Transaction, table: Table) -> Fingerprint:
    """Insert every row of `table` from `source` into the target; returns what was read."""
    columns = ", ".join(_quoted(c) for c in table.columns)
    marks = ", ".join("?" for _ in table.columns)
    insert = f"INSERT INTO {_quoted(table.name)} ({columns}) VALUES ({marks})"
    read = EMPTY
    async for batch in _batches(source, table):
        await tx.executemany(insert, [tuple(row) for row in batch])
        read = read.plus(batch)
    return read


async def clear(tx: Transaction, ordered: Sequence[Table]) -> None:
    """Delete every row, children before parents (their foreign keys allow no other way)."""
    for table in reversed(ordered):
        await tx.execute(f"DELETE FROM {_quoted(table.name)}")


async def continue_ids(tx: Transaction, db: Database, ordered: Sequence[Table]) -> None:
    """Make new rows' ids follow the copied ones.

    PostgreSQL numbers identity columns from a sequence that an insert with an explicit id
    does not advance; set it to the largest id so the next insert does not collide. SQLite
    numbers an ``INTEGER PRIMARY KEY`` from the largest id in the table, so needs nothing.
    """
    if db.backend == "sqlite":
        return
    names = {table.name for table in ordered}
    rows = await tx.fetch_all(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
        " AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')"
    )
    for table_name, column in ((str(r[0]), str(r[1])) for r in rows):
        if table_name not in names:
            continue
        await tx.fetch_all(
            f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX({_quoted(column)}), 0)"
            f" + 1, false) FROM {_quoted(table_name)}",
            (_quoted(table_name), column),
        )


class SchemaProblem(Exception):
    """The schema cannot be copied as it is; the message says which table and why."""


# -- helpers ------------------------------------------------------------------------------


async def _batches(reader: Reader, table: Table) -> Any:
    """The table's rows in key order, `BATCH` at a time (keyset paging: no OFFSET scans)."""
    columns = ", ".join(_quoted(c) for c in table.columns)
    key = ", ".join(_quoted(c) for c in table.key)
    first = f"SELECT {columns} FROM {_quoted(table.name)} ORDER BY {key} LIMIT {BATCH}"
    marks = ", ".join("?" for _ in table.key)
    following = (
        f"SELECT {columns} FROM {_quoted(table.name)} WHERE ({key}) > ({marks})"
        f" ORDER BY {key} LIMIT {BATCH}"
    )
    positions = [table.columns.index(c) for c in table.key]
    rows = await reader.fetch_all(first)
    while rows:
        yield rows
        if len(rows) < BATCH:
            return
        last = rows[-1]
        rows = await reader.fetch_all(following, tuple(last[i] for i in positions))


def _row_hash(row: Sequence[Any]) -> int:
    text = repr(tuple(row)).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def _parents_first(found: list[Table]) -> list[Table]:
    """Order tables so each comes after the tables it refers to; ties by name."""
    by_name = {table.name: table for table in found}
    ordered: list[Table] = []
    placed: set[str] = set()
    waiting = sorted(by_name)
    while waiting:
        ready = [n for n in waiting if by_name[n].parents & by_name.keys() <= placed]
        if not ready:
            raise SchemaProblem(f"the foreign keys of {', '.join(waiting)} go round in a circle")
        for name in ready:
            ordered.append(by_name[name])
            placed.add(name)
        waiting = [n for n in waiting if n not in placed]
    return ordered


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def _sqlite_tables(db: Database) -> list[Table]:
    names = await db.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    found = []
    for (name,) in ((str(r[0]),) for r in names):
        columns = await db.fetch_all(
            "SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", (name,)
        )
        keys = sorted((int(r[1]), str(r[0])) for r in columns if int(r[1]) > 0)
        parents = await db.fetch_all('SELECT "table" FROM pragma_foreign_key_list(?)', (name,))
        found.append(
            Table(
                name=name,
                columns=tuple(str(r[0]) for r in columns),
                key=tuple(column for _, column in keys),
                parents=frozenset(str(r[0]) for r in parents) - {name},
            )
        )
    return found


async def _postgresql_tables(db: Database) -> list[Table]:
    columns = await db.fetch_all(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c"
        " JOIN information_schema.tables t"
        " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
        " ORDER BY c.table_name, c.ordinal_position"
    )
    keys = await db.fetch_all(
        "SELECT k.table_name, k.column_name FROM information_schema.table_constraints c"
        " JOIN information_schema.key_column_usage k"
        " ON k.constraint_schema = c.constraint_schema AND k.constraint_name = c.constraint_name"
        " WHERE c.table_schema = current_schema() AND c.constraint_type = 'PRIMARY KEY'"
        " ORDER BY k.table_name, k.ordinal_position"
    )
    references = await db.fetch_all(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c"
        " JOIN pg_namespace n ON n.oid = c.connamespace"
        " WHERE c.contype = 'f' AND n.nspname = current_schema()"
    )
    by_table: dict[str, list[str]] = {}
    for row in columns:
        by_table.setdefault(str(row[0]), []).append(str(row[1]))
    key_of: dict[str, list[str]] = {}
    for row in keys:
        key_of.setdefault(str(row[0]), []).append(str(row[1]))
    parents_of: dict[str, set[str]] = {}
    for row in references:
        child, parent = (str(value).strip('"') for value in row)
        if child != parent:
            parents_of.setdefault(child, set()).add(parent)
    return [
        Table(
            name=name,
            columns=tuple(cols),
            key=tuple(key_of.get(name, ())),
            parents=frozenset(parents_of.get(name, ())),
        )
        for name, cols in by_table.items()
    ]
