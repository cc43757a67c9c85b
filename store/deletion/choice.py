"""A client's choice of retention window, and what it means for the ended rooms it has now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.database import Database
from store.deletion.retention_task import RetentionTask
from store.deletion.windows import RetentionWindow, deletion_date, window_of
from store.errors import NotPermitted
from store.hub.hub import Hub
from store.rooms.booking import BOOKING_SELECT, BookingState, booking_from_row
from store.rooms.bookings import announce_booking


@dataclass(frozen=True)
class RoomFate:
    """When one of the client's ended rooms would be deleted under a window."""

    booking_id: int
    counsellor_username: str
    ended: datetime
    deletes_at: datetime
    at_once: bool  # the date has already passed: deleted as soon as the choice is saved


class RetentionChoices:
    def __init__(self, db: Database, hub: Hub, task: RetentionTask) -> None:
        self._db = db
        self._hub = hub
        self._task = task

    async def current(self, actor: Account) -> RetentionWindow | None:
        """The window that applies to this client (the default if none was chosen); None for
        staff and counsellors, who have no rooms of their own to keep."""
        if actor.role is not Role.CLIENT:
            return None
        row = await self._db.fetchone("SELECT retention_days FROM account WHERE id = ?",
                                      (actor.id,))
        return window_of(row["retention_days"] if row else None)

    async def consequences(self, actor: Account, window: RetentionWindow) -> list[RoomFate]:
        """What choosing `window` would do to each ended room the client can still read."""
        if actor.role is not Role.CLIENT:
            raise NotPermitted("only clients choose a retention window")
        now = self._db.clock.now()
        rows = await self._db.fetchall(BOOKING_SELECT + " WHERE b.client_id = ? ORDER BY b.ends_at",
                                       (actor.id,))
        fates = []
        for booking in map(booking_from_row, rows):
            if booking.state(now) is BookingState.ENDED:
                deletes_at = deletion_date(booking.ends_at, int(window))
                fates.append(RoomFate(booking.id, booking.counsellor_username, booking.ends_at,
                                      deletes_at, deletes_at <= now))
        return fates

    async def choose(self, actor: Account, window: RetentionWindow) -> None:
        """Save the choice; it applies to ended bookings too, so every room of the client is
        re-dated at once and every screen showing one reloads it."""
        if actor.role is not Role.CLIENT or actor.disabled:
            raise NotPermitted("only clients choose a retention window")
        window = RetentionWindow(window)
        previous = await self.current(actor)
        # What is due under the old window is deleted first: a longer window never brings
        # back a room whose deletion date has passed.
        await self._task.purge()
        await self._db.execute("UPDATE account SET retention_days = ? WHERE id = ?",
                               (int(window), actor.id))
        rows = await self._db.fetchall(BOOKING_SELECT + " WHERE b.client_id = ?", (actor.id,))
        for booking in map(booking_from_row, rows):
            announce_booking(self._hub, booking)
        if previous is None or window < previous:
            await self._task.purge()  # a room the shorter window made due goes now
