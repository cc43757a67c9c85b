"""The retention task: deletes every ward room past its deletion date, room by room, each in
short transactions (store/deletion/room_deletion.py), so other writers never wait for a whole
room."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from store.access import require_scope
from store.accounts.accounts import Account
from store.accounts.scopes import Scope
from store.audit import AuditTrail
from store.clock import to_iso
from store.database import Database
from store.deletion.room_deletion import begin_room_deletion, finish_room_deletion
from store.hub.hub import Hub
from store.rooms.booking import BOOKING_SELECT, Booking, BookingState, booking_from_row
from store.rooms.bookings import announce_booking

if TYPE_CHECKING:
    from store.deletion.storage_sweep import StorageSweep, SweepResult

log = logging.getLogger(__name__)

TASK_ACTOR = "retention"  # the audit's actor when the task itself deletes
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
        # A room whose deletion began is due whatever the clock says: a crashed purge is
        # finished by the next run even after the wall clock was set back.
        rows = await self._db.fetchall(BOOKING_SELECT + " WHERE b.ends_at <= ? OR b.deleting = 1",
                                       (to_iso(now),))
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
            if not booking.deleting:  # else a run before this one began it and was stopped
                await begin_room_deletion(tx, booking_id, now)
                await self._audit.record(tx, actor_name, "retention.delete", booking_id)
                tx.mark_erasure()
        # Gone for every reader from here: the open sessions drop it now, not at the end.
        announce_booking(self._hub, booking)
        return await finish_room_deletion(self._db, booking_id)

    # -- running inside the server -------------------------------------------------------
    def start(self, interval_seconds: float) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(interval_seconds))

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            # A batch being deleted rolls back whole; a room already begun stays gone for
            # every reader and is finished by the next run.
            task.cancel()
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
