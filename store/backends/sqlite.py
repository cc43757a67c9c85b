"""The embedded engine: one SQLite file, opened safely, migrated, and accessed serially."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import aiosqlite

from store.clock import Clock
from store.database import Database, DatabaseError, Params, Transaction, migrations

log = logging.getLogger(__name__)

# Applied to every connection and read back, because SQLite builds differ in their defaults
# and a silently ignored pragma would break the deletion promise.
_PRAGMAS: tuple[tuple[str, str, str], ...] = (
    ("journal_mode", "WAL", "wal"),
    ("synchronous", "FULL", "2"),
    ("foreign_keys", "ON", "1"),
    ("secure_delete", "ON", "1"),
)


class SqliteDatabase(Database):
    """Owns one aiosqlite connection; every read and write goes through its lock.

    One connection keeps the write path single and ordered; the lock keeps a coroutine's
    transaction from interleaving with another coroutine's statements on that connection.
    """

    backend = "sqlite"

    def __init__(self, path: Path, conn: aiosqlite.Connection, clock: Clock) -> None:
        self.path = path
        self.target = str(path)
        self.clock = clock
        self._conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def connect(cls, path: Path, clock: Clock) -> SqliteDatabase:
        make_private(path)
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await apply_pragmas(conn)
            db = cls(path, conn, clock)
            await db._migrate()
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        async with self._lock:
            await self._checkpoint_locked()
            await self._conn.close()

    async def _migrate(self) -> None:
        async with self._lock:
            row = await (await self._conn.execute("PRAGMA user_version")).fetchone()
            current = int(row[0])
            applied = False
            for version, name, sql in migrations():
                if version <= current:
                    continue
                log.info("applying migration %s", name)
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _split_sql(sql):
                        await self._conn.execute(statement)
                    await self._conn.execute(f"PRAGMA user_version = {version:d}")
                    await self._conn.execute("COMMIT")
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                applied = True
            if applied:
                # A migration may drop data that must not linger (the minutes of the old access
                # statistics): the WAL holds the old pages until it is checkpointed.
                await self._checkpoint_locked()

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            cursor = await self._conn.execute(sql, params)
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._lock:
            cursor = await self._conn.execute(sql, params)
            return await cursor.fetchone()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:  # type: ignore[override]
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error; holds the lock throughout."""
        async with self._lock:
            tx = SqliteTransaction(self._conn)
            try:
                # Inside the try: a task cancelled while BEGIN runs in the connection's thread
                # must still roll back, or the shared connection stays in its transaction.
                await self._conn.execute("BEGIN IMMEDIATE")
                yield tx
            except BaseException:
                # Queued after BEGIN, so it runs after it; fails only when BEGIN itself failed.
                with suppress(sqlite3.OperationalError):
                    await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")
            if tx.erased_personal_data:
                await self._checkpoint_locked()

    async def checkpoint(self) -> None:
        async with self._lock:
            await self._checkpoint_locked()

    async def _checkpoint_locked(self) -> None:
        """wal_checkpoint(TRUNCATE) until it fully succeeds: an open reader makes it busy."""
        delay = 0.01
        while True:
            cursor = await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log_frames, _checkpointed = await cursor.fetchone()
            if busy == 0:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)


class SqliteTransaction(Transaction):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        super().__init__()
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> None:
        await self._conn.execute(sql, params)

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        cursor = await self._conn.execute(sql, params)
        return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        cursor = await self._conn.execute(sql, params)
        return await cursor.fetchone()


def make_private(path: Path) -> None:
    """Health data is for this server's user only: the file is created 0600 (SQLite gives its
    -wal and -shm files the same mode), and an existing one readable by others is tightened."""
    if str(path) == ":memory:":
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("database %s was readable by others (mode %o): set to 0600", path, mode)
            path.chmod(mode & 0o700)


async def apply_pragmas(conn: aiosqlite.Connection) -> None:
    for name, value, expected in _PRAGMAS:
        await conn.execute(f"PRAGMA {name} = {value}")
        row = await (await conn.execute(f"PRAGMA {name}")).fetchone()
        actual = str(row[0]).lower()
        if actual != expected:
            raise DatabaseError(f"PRAGMA {name} is {actual!r}, wardroom needs {expected!r}")


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of the whole database `source` into the file `target`, by SQLite's
    online backup API on a connection of its own; blocking, so callers run it in a worker
    thread, and the server's connection keeps writing meanwhile (WAL lets a reader and a
    writer overlap)."""
    reader = sqlite3.connect(source)
    try:
        reader.execute("PRAGMA query_only = ON")
        copy = sqlite3.connect(target)
        try:
            # All pages in one step, i.e. inside one read transaction: a copy made in smaller
            # steps restarts whenever another connection writes, so under live chat it might
            # never finish.
            reader.backup(copy)
        finally:
            copy.close()
    finally:
        reader.close()


async def integrity_problems(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` finds wrong with a database file nobody has open
    ([] when it is sound); a file that is not a database at all is one problem."""
    return await asyncio.to_thread(_integrity_problems, path)


def _integrity_problems(path: Path) -> list[str]:
    try:
        conn = sqlite3.connect(path)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return [str(error)]
    problems = [str(row[0]) for row in rows]
    return [] if problems == ["ok"] else problems


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, using SQLite's own idea of a complete statement
    (so a ';' inside a comment, literal or trigger body does not split it)."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        if not pending and line.strip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise DatabaseError(f"incomplete statement in migration: {pending.strip()[:60]!r}")
    return statements
