"""The database every store service uses, whichever engine holds it.

`db` names either a SQLite file (the embedded default, store.backends.sqlite) or, as a
`postgresql://` URL, a PostgreSQL database that several wardroom nodes share
(store.backends.postgres). The services write one SQL for both: `?` placeholders and what both
engines understand alike; the few spellings that differ are rewritten in the PostgreSQL backend
only, in one place (store.backends.postgres_sql).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from store.clock import Clock, SystemClock

Params = Sequence[Any]
# A result row: items by position (row[0]) and by column name (row["id"]), as both engines'
# drivers give them.
Row = Any


class DatabaseError(RuntimeError):
    """The database could not be opened in the promised safe configuration, or reached."""


def is_postgres_url(target: Path | str) -> bool:
    # "postgresql:/" too: a URL that went through Path() on its way lost one slash.
    return str(target).startswith(("postgresql:/", "postgres:/"))


def redacted(target: str) -> str:
    """What `db` names without a password in it, for messages and logs."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", target)


def migrations(package: str = "store.migrations") -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration in `package`, in order; the number prefix is the
    version. Both engines number alike, so a version means the same schema on either."""
    found = []
    for entry in resources.files(package).iterdir():
        name = entry.name
        if name.endswith(".sql"):
            version = int(name.split("_", 1)[0])
            found.append((version, name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise DatabaseError(f"two migrations share a number: {versions}")
    return found


class Transaction(ABC):
    """The statements of one open transaction."""

    def __init__(self) -> None:
        self.erased_personal_data = False

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> None: ...

    @abstractmethod
    async def execute_rowcount(self, sql: str, params: Params = ()) -> int: ...

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def insert(self, sql: str, params: Params = ()) -> int:
        """An INSERT … RETURNING id (both engines know RETURNING): the new row's id."""
        row = await self.fetchone(sql, params)
        assert row is not None, "an INSERT … RETURNING gives its row"
        return int(row[0])

    def mark_erasure(self) -> None:
        """Personal data was deleted: after COMMIT the engine drops what it kept of the old
        rows (SQLite: the WAL is checkpointed and truncated; PostgreSQL: the tables are
        vacuumed)."""
        self.erased_personal_data = True


class Database(ABC):
    """Every read and write of the store goes through one of these. A transaction holds the
    database's one write lock from BEGIN to COMMIT, on either engine, so a service that reads
    and then writes in one transaction sees no other writer in between."""

    backend: ClassVar[str]
    clock: Clock
    # What `db` named: the SQLite file's path or the PostgreSQL URL (another process opens the
    # same database with it).
    target: str
    # The SQLite file; None on PostgreSQL.
    path: Path | None = None

    @staticmethod
    async def open(target: Path | str, clock: Clock | None = None) -> Database:
        """Open (and migrate) the database `target` names: a postgresql:// URL or a SQLite
        path. Raises DatabaseError with one line for the operator when that cannot be done."""
        clock = clock or SystemClock()
        if is_postgres_url(target):
            from store.backends.postgres import PostgresDatabase
            return await PostgresDatabase.connect(str(target), clock)
        from store.backends.sqlite import SqliteDatabase
        return await SqliteDatabase.connect(Path(target), clock)

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """BEGIN … COMMIT, rolled back on any error."""

    async def execute(self, sql: str, params: Params = ()) -> None:
        """One statement in its own transaction."""
        async with self.transaction() as tx:
            await tx.execute(sql, params)

    @abstractmethod
    async def checkpoint(self) -> None:
        """Make what earlier transactions deleted gone from the engine's own files now."""

