"""PostgreSQL, for several wardroom nodes on one database (`db = "postgresql://…"`).

asyncpg, not psycopg 3: it is asyncio-native from the ground up, has its own pool, delivers
LISTEN/NOTIFY to a callback without a polling loop, and its rows read by position and by name
as aiosqlite's do, so the services need no second row type. Its strict parameter types (an int
is never silently a text) are a check the services pass on both engines.

Every transaction takes one advisory lock first, the database's write lock, so writers follow
each other as on SQLite (BEGIN IMMEDIATE): a service that reads and then writes in one
transaction (the next message id, a booking's overlap check) sees no other writer in between,
on any node. Reads outside a transaction run side by side.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

from store.backends.postgres_sql import for_postgres, rowcount
from store.clock import Clock
from store.database import (
    Database,
    DatabaseError,
    Params,
    Row,
    Transaction,
    migrations,
    redacted,
)

log = logging.getLogger(__name__)

# Advisory lock keys (one 64-bit space per database): the write lock every transaction holds,
# and the one migrations hold while two nodes start at once.
WRITE_LOCK = 0x77617264_00000001
MIGRATION_LOCK = 0x77617264_00000002

# Every table that holds personal data: vacuumed after a transaction that erased some, so no
# dead tuple of it waits for autovacuum (sealed rooms make message rows ciphertext whose key
# is already gone; the other tables are small).
PERSONAL_TABLES = ("message", "room_key", "account_key", "room_read", "booking", "request",
                   "account", "public_key", "second_factor", "recovery_code",
                   "policy_acceptance", "staff_scope", "audit")

CONNECT_TIMEOUT = 10.0
POOL_SIZE = 8
# The server notices a vanished node (power cut, partition: no FIN ever arrives) after about
# 10 + 3 × 5 s instead of the kernel's two hours, so that node's liveness lock and once-only
# lease are freed for the others.
SERVER_SETTINGS = {"application_name": "wardroom", "tcp_keepalives_idle": "10",
                   "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}


def run_tool(tool: str, url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """One of PostgreSQL's client programs (pg_dump, pg_restore) on the database at `url`;
    blocking, so callers run it in a worker thread. The password goes to it in its environment,
    never on its command line, which other users can read."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
        user, host = parts.netloc.rsplit("@", 1)
        parts = parts._replace(netloc=f"{user.split(':', 1)[0]}@{host}")
    return subprocess.run([tool, *arguments, f"--dbname={urlunsplit(parts)}"], env=env,
                          capture_output=True, text=True, check=False)


def with_database(url: str, name: str) -> str:
    """The same server and role, another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def dump_database(url: str, target: Path) -> None:
    """pg_dump of the whole database into the file `target` (custom format, one consistent
    snapshot); blocking, so callers run it in a worker thread."""
    done = run_tool("pg_dump", url, "--format=custom", "--no-owner", f"--file={target}")
    if done.returncode != 0:
        raise OSError(f"pg_dump failed: {done.stderr.strip().splitlines()[-1:]}")


async def connect_once(url: str) -> asyncpg.Connection:
    """A connection of its own (LISTEN, leases), with the same one-line errors as the pool."""
    try:
        return await asyncpg.connect(url, timeout=CONNECT_TIMEOUT,
                                     server_settings=SERVER_SETTINGS)
    except Exception as error:
        raise DatabaseError(_reason(url, error)) from error


def _reason(url: str, error: BaseException) -> str:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"cannot use the PostgreSQL database {redacted(url)}: {detail}"


class PostgresDatabase(Database):
    backend = "postgresql"

    def __init__(self, url: str, pool: asyncpg.Pool, clock: Clock) -> None:
        self.target = url
        self.clock = clock
        self._pool = pool

    @classmethod
    async def connect(cls, url: str, clock: Clock) -> PostgresDatabase:
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT,
                server_settings=SERVER_SETTINGS)
        except Exception as error:  # a bad URL, no server, refused credentials, no database
            raise DatabaseError(_reason(url, error)) from error
        db = cls(url, pool, clock)
        try:
            await db._migrate()
        except BaseException:
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        await self._pool.close()

    async def _migrate(self) -> None:
        async with self._pool.acquire() as conn:
            # Two nodes started together: the second waits, then finds nothing left to do.
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await conn.execute("CREATE TABLE IF NOT EXISTS schema_version"
                                   " (version INTEGER NOT NULL)")
                current = await conn.fetchval("SELECT max(version) FROM schema_version") or 0
                for version, name, sql in migrations("store.migrations.postgresql"):
                    if version <= current:
                        continue
                    log.info("applying migration %s", name)
                    async with conn.transaction():
                        await conn.execute(sql)
                        await conn.execute("INSERT INTO schema_version (version) VALUES ($1)",
                                           version)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._pool.fetch(for_postgres(sql), *params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._pool.fetchrow(for_postgres(sql), *params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:  # type: ignore[override]
        async with self._pool.acquire() as conn:
            tx = PostgresTransaction(conn)
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
                yield tx
            if tx.erased_personal_data:
                await _vacuum(conn)

    async def checkpoint(self) -> None:
        async with self._pool.acquire() as conn:
            await _vacuum(conn)


async def _vacuum(conn: asyncpg.Connection) -> None:
    """VACUUM cannot run inside a transaction: on the connection, after COMMIT."""
    await conn.execute(f"VACUUM {', '.join(PERSONAL_TABLES)}")


class PostgresTransaction(Transaction):
    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__()
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> None:
        await self._conn.execute(for_postgres(sql), *params)

    async def execute_rowcount(self, sql: str, params: Params = ()) -> int:
        return rowcount(await self._conn.execute(for_postgres(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(for_postgres(sql), [tuple(row) for row in rows])

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.fetch(for_postgres(sql), *params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._conn.fetchrow(for_postgres(sql), *params)

