"""Read markers (how far each person has read each room), written a moment late and together.

Every message delivered to an open room moves its reader's marker; written at once, that was a
commit of its own (with its fsync) per delivered message. Markers wait here instead and one
writer stores every waiting one in one transaction, `DELAY_SECONDS` after the first, or at once
when someone leaves a room or asks for unread counts, and before the database closes. A marker
is not a message: if the process dies in between, the room counts a few messages as unread.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging

from store.database import Database

log = logging.getLogger(__name__)

DELAY_SECONDS = 1.0

# A marker never moves back, and one for an account or a room deleted meanwhile (erasure,
# retention) is not written: the row would outlive what it describes.
_WRITE = (
    "INSERT INTO room_read (account_id, booking_id, last_message_id)"
    " SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM account WHERE id = ?)"
    " AND EXISTS (SELECT 1 FROM booking WHERE id = ?)"
    " ON CONFLICT (account_id, booking_id) DO UPDATE SET"
    " last_message_id = excluded.last_message_id"
    " WHERE excluded.last_message_id > room_read.last_message_id")


class ReadMarkers:
    delay = DELAY_SECONDS

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: dict[tuple[int, int], int] = {}
        self._due = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None

    def note(self, account_id: int, booking_id: int, message_id: int) -> None:
        """`account_id` has read `booking_id` up to `message_id`; written within `delay`."""
        key = (account_id, booking_id)
        self._waiting[key] = max(self._waiting.get(key, 0), message_id)
        if not self._writing():
            self._due.clear()  # a wish to write now from before this marker is met already
            # In a context of its own: the caller's (a session's, holding its app) would stay
            # alive with the task, and the task must outlive the session that noted a marker.
            self._writer = asyncio.get_running_loop().create_task(
                self._write_waiting(), context=contextvars.Context())

    def write_soon(self) -> None:
        """Write what waits without waiting out the delay (someone left a room)."""
        if self._writing():
            self._due.set()

    async def settle(self) -> None:
        """Return once every marker noted so far is written."""
        while self._writer is not None and self._writing():
            self._due.set()
            await self._writer

    def _writing(self) -> bool:
        return self._writer is not None and not self._writer.done()

    async def _write_waiting(self) -> None:
        while self._waiting:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), self.delay)
            self._due.clear()
            waiting, self._waiting = self._waiting, {}
            try:
                async with self._db.transaction() as tx:
                    await tx.executemany(_WRITE, [
                        (account, booking, message, account, booking)
                        for (account, booking), message in waiting.items()])
            except Exception:
                log.exception("read markers not written: %d rooms count as unread",
                              len(waiting))
