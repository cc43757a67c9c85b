"""The retention task: deletes every ward room past its deletion date, one room per transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from store.access import require_scope
from store.accounts import Account
from store.audit import AuditTrail
from store.booking import BOOKING_SELECT, Booking, BookingState, booking_from_row
from store.bookings import announce_booking
from store.clock import to_iso
from store.database import Database, Transaction
from store.erasure_ledger import ErasureKind, record_erasure
from store.hub import Hub
from store.scopes import Scope
from store.sealing.room_keys import RoomKeys

if TYPE_CHECKING:
    from store.storage_sweep import StorageSweep, SweepResult

log = logging.getLogger(__name__)

TASK_ACTOR = "retention"  # the audit's actor when the task itself deletes
MESSAGE_BATCH = 500
# Bounds the wait for the next deletion date, so a wall clock that jumps forward is noticed.
MIN_SLEEP_SECONDS = 1.0


@dataclass(frozen=True)
class ScheduledDeletion:
    """An ended room and when it goes; `due` once its deletion date has come."""

    booking_id: int
    ended: datetime
    deletes_at: datetime
    due: bool


@dataclass
class PurgeResult:
    rooms: list[int] = field(default_factory=list)
    messages: int = 0
    others: SweepResult | None = None  # requests, accounts, audit, ledger past their limits


async def delete_room(tx: Transaction, booking_id: int, at: datetime) -> int:
    """Delete one ward room: its messages (in batches), read markers, the request that led to
    it, and the booking itself; returns how many messages went. The caller's transaction makes
    it all-or-nothing and must call `tx.mark_erasure()`."""
    # Cryptographic deletion first: with every copy of its key gone, the room's ciphertext
    # (here, in a backup, on a copied disk) opens for nobody, before a single row goes.
    await RoomKeys.destroy_room(tx, booking_id)
    messages = 0
    while True:
        deleted = await tx.execute_rowcount(
            "DELETE FROM message WHERE id IN"
            " (SELECT id FROM message WHERE booking_id = ? LIMIT ?)",
            (booking_id, MESSAGE_BATCH))
        messages += deleted
        if deleted < MESSAGE_BATCH:
            break
        await asyncio.sleep(0)  # the loop serves other sessions between batches
    await tx.execute("DELETE FROM room_read WHERE booking_id = ?", (booking_id,))
    # The request's text is about the same counselling: it goes with its room.
    await tx.execute("DELETE FROM request WHERE booking_id = ?", (booking_id,))
    await tx.execute("DELETE FROM booking WHERE id = ?", (booking_id,))
    await record_erasure(tx, ErasureKind.ROOM, booking_id, at)
    return messages


class RetentionTask:
    """Runs inside `wardroom serve`: at start, then every interval or at the next deletion
    date, whichever comes first."""

    def __init__(self, db: Database, hub: Hub, audit: AuditTrail,
                 sweep: StorageSweep | None = None) -> None:
        self._db = db
        self._hub = hub
        self._audit = audit
        self._sweep = sweep  # after the rooms, everything else past its storage limit
        self._task: asyncio.Task[None] | None = None
        self._run_lock = asyncio.Lock()

    # -- what staff may ask --------------------------------------------------------------
    async def status(self, actor: Account) -> list[ScheduledDeletion]:
        require_scope(actor, Scope.BACKUP, "see the retention schedule")
        return await self.schedule()

    async def run_now(self, actor: Account, dry_run: bool = False) -> PurgeResult:
        require_scope(actor, Scope.BACKUP, "run the retention task")
        if dry_run:
            return await self._would_delete()
        return await self.purge(actor.username)

    # -- the work --------------------------------------------------------------------------
    async def schedule(self) -> list[ScheduledDeletion]:
        """Every ended room with its deletion date, soonest first."""
        now = self._db.clock.now()
        return sorted(
            (ScheduledDeletion(b.id, b.ends_at, b.deletes_at, b.state(now) is BookingState.DUE)
             for b in await self._ended(now)),
            key=lambda s: (s.deletes_at, s.booking_id))

    async def _ended(self, now: datetime) -> list[Booking]:
        rows = await self._db.fetchall(BOOKING_SELECT + " WHERE b.ends_at <= ?", (to_iso(now),))
        return [booking_from_row(r) for r in rows]

    async def _would_delete(self) -> PurgeResult:
        result = PurgeResult()
        for entry in await self.schedule():
            if entry.due:
                row = await self._db.fetchone("SELECT count(*) FROM message WHERE booking_id = ?",
                                              (entry.booking_id,))
                result.rooms.append(entry.booking_id)
                result.messages += int(row[0])
        return result

    async def purge(self, actor_name: str = TASK_ACTOR) -> PurgeResult:
        """Delete every due room, each in its own transaction, yielding between rooms.

        Due means due by the clock now: a clock set back makes fewer rooms due, never more.
        """
        async with self._run_lock:
            result = PurgeResult()
            for entry in await self.schedule():
                if entry.due:
                    deleted = await self._purge_room(entry.booking_id, actor_name)
                    if deleted is not None:
                        result.rooms.append(entry.booking_id)
                        result.messages += deleted
                await asyncio.sleep(0)
            if result.rooms:
                log.info("retention: deleted %d rooms with %d messages", len(result.rooms),
                         result.messages)
            if self._sweep is not None:
                result.others = await self._sweep.sweep(actor_name)
            return result

    async def _purge_room(self, booking_id: int, actor_name: str) -> int | None:
        async with self._db.transaction() as tx:
            # Checked again inside the write transaction: the window or the booking may have
            # changed since the schedule was read.
            row = await tx.fetchone(BOOKING_SELECT + " WHERE b.id = ?", (booking_id,))
            now = self._db.clock.now()
            if row is None:
                return None
            booking = booking_from_row(row)
            if booking.state(now) is not BookingState.DUE:
                return None
            deleted = await delete_room(tx, booking_id, now)
            await self._audit.record(tx, actor_name, "retention.delete", booking_id)
            tx.mark_erasure()
        announce_booking(self._hub, booking)
        return deleted

    # -- running inside the server -------------------------------------------------------
    def start(self, interval_seconds: float) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(interval_seconds))

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()  # a room being deleted rolls back whole
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self, interval_seconds: float) -> None:
        while True:
            try:
                await self.purge()
                delay = await self._seconds_to_next(interval_seconds)
            except Exception:
                log.exception("retention run failed; trying again at the next interval")
                delay = interval_seconds
            await asyncio.sleep(delay)

    async def _seconds_to_next(self, interval_seconds: float) -> float:
        """Until the next deletion date (so an open room closes on time), at most an interval."""
        now = self._db.clock.now()
        upcoming = [s.deletes_at for s in await self.schedule() if not s.due]
        if not upcoming:
            return interval_seconds
        until = (min(upcoming) - now).total_seconds()
        return min(max(until, MIN_SLEEP_SECONDS), interval_seconds)
