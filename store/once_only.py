"""Work that must run on one node at a time (retention, the booking timer, scheduled backups).

On SQLite there is one server per database file (store.database_lock), so the work starts at
once. On PostgreSQL the nodes compete for one advisory lock, each on a connection of its own:
the holder runs the work; the others try again every `retry_seconds`. When the holder dies,
PostgreSQL ends its connection and frees the lock, and the next try of another node takes it
over. A holder that loses its connection stops the work before it tries again, so two nodes
run it together at most until the lost connection is noticed (a keepalive interval).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from store.backends.postgres import connect_once
from store.database import Database, DatabaseError

log = logging.getLogger(__name__)

ONCE_ONLY_LOCK = 0x77617264_00000003
RETRY_SECONDS = 10.0


class OnceOnly:
    def __init__(self, db: Database, start: Callable[[], None],
                 stop: Callable[[], Awaitable[None]], retry_seconds: float = RETRY_SECONDS) -> None:
        self._db = db
        self._start = start
        self._stop = stop
        self._retry_seconds = retry_seconds
        self._task: asyncio.Task[None] | None = None
        self.holding = asyncio.Event()

    def begin(self) -> None:
        if self._db.backend != "postgresql":
            self._start()
            self.holding.set()
            return
        self._task = asyncio.create_task(self._compete())

    async def end(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.holding.is_set():
            self.holding.clear()
            await self._stop()

    async def _compete(self) -> None:
        while True:
            try:
                conn = await connect_once(self._db.target)
            except DatabaseError as error:
                log.error("once-only work: %s", error)
                await asyncio.sleep(self._retry_seconds)
                continue
            try:
                await self._hold(conn)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
                log.error("once-only work: lost the database connection: %s", error)
            finally:
                if self.holding.is_set():
                    self.holding.clear()
                    await self._stop()
                    log.warning("once-only work stopped on this node")
                with contextlib.suppress(Exception):
                    await conn.close(timeout=5)
            await asyncio.sleep(self._retry_seconds)

    async def _hold(self, conn: asyncpg.Connection) -> None:
        """Wait for the lock; once held, run the work and check the connection until it fails
        (or the task is cancelled)."""
        while True:
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", ONCE_ONLY_LOCK):
                break
            await asyncio.sleep(self._retry_seconds)
        log.info("this node runs the once-only work (retention, booking timer, backups)")
        self._start()
        self.holding.set()
        while True:
            await asyncio.sleep(self._retry_seconds)
            await conn.fetchval("SELECT 1")
