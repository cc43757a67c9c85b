"""The booking service: create, match, list, end and extend, each checked against the actor."""

from __future__ import annotations

from datetime import datetime, timedelta

from store.access import can_see_booking, require_scope
from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.accounts.scopes import Scope
from store.audit import AuditTrail
from store.clock import from_iso, to_iso
from store.database import Database, Transaction
from store.errors import Invalid, NotFound
from store.hub.hub import BOOKINGS_TOPIC, BookingChanged, Hub, account_topic, room_topic
from store.rooms.booking import BOOKING_SELECT, Booking, BookingState, booking_from_row
from store.sealing.room_keys import RoomKeys


class Bookings:
    """Creating, listing, ending and extending bookings, each checked against the actor."""

    MAX_WEEKS = 52

    def __init__(self, db: Database, hub: Hub, audit: AuditTrail, keys: RoomKeys) -> None:
        self._db = db
        self._hub = hub
        self._audit = audit
        self._keys = keys

    async def get(self, booking_id: int) -> Booking | None:
        row = await self._db.fetchone(BOOKING_SELECT + " WHERE b.id = ?", (booking_id,))
        return booking_from_row(row) if row else None

    async def visible(self, actor: Account, booking_id: int) -> Booking:
        booking = await self.get(booking_id)
        if booking is None or not can_see_booking(actor, booking, self._db.clock.now()):
            raise NotFound(f"booking {booking_id}")
        return booking

    async def for_actor(self, actor: Account) -> list[Booking]:
        """The bookings this actor may see, soonest end first."""
        if actor.role is Role.ADMIN:
            require_scope(actor, Scope.MATCHING, "list bookings")
            rows = await self._db.fetchall(BOOKING_SELECT + " ORDER BY b.ends_at, b.id")
        else:
            rows = await self._db.fetchall(
                BOOKING_SELECT + " WHERE b.client_id = ? OR b.counsellor_id = ?"
                " ORDER BY b.ends_at, b.id", (actor.id, actor.id))
        now = self._db.clock.now()
        found = [booking_from_row(r) for r in rows]
        return [b for b in found if can_see_booking(actor, b, now)
                and (actor.role is not Role.ADMIN or b.state(now) is not BookingState.DUE)]

    async def staff_listing(self, actor: Account) -> list[Booking]:
        """`admin booking list`: every booking staff may see; the read itself is audited."""
        bookings = await self.for_actor(actor)
        require_scope(actor, Scope.MATCHING, "list bookings")
        await self._audit.write(actor.username, "booking.list")
        return bookings

    async def create(self, actor: Account, client: str, counsellor: str, weeks: int,
                     start: datetime | None = None, request_id: int | None = None) -> Booking:
        require_scope(actor, Scope.MATCHING, "create bookings")
        if not 1 <= weeks <= self.MAX_WEEKS:
            raise Invalid(f"weeks must be between 1 and {self.MAX_WEEKS}")
        now = self._db.clock.now()
        starts = start or now
        ends = starts + timedelta(weeks=weeks)
        if ends <= now:
            raise Invalid("the booking would end in the past")
        async with self._db.transaction() as tx:
            client_row = await self._party(tx, client, Role.CLIENT)
            counsellor_row = await self._party(tx, counsellor, Role.COUNSELLOR)
            if request_id is not None:
                request = await tx.fetchone(
                    "SELECT client_id, status FROM request WHERE id = ?", (request_id,))
                if request is None:
                    raise NotFound(f"request {request_id}")
                if request["status"] != "open":
                    raise Invalid(f"request {request_id} is not open ({request['status']})")
                if request["client_id"] != client_row["id"]:
                    raise Invalid(f"request {request_id} belongs to another client")
            booking_id = await tx.insert(
                "INSERT INTO booking (client_id, counsellor_id, starts_at, ends_at, created_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (client_row["id"], counsellor_row["id"], to_iso(starts), to_iso(ends),
                 to_iso(now)))
            await self._keys.create(tx, booking_id, (client_row["id"], counsellor_row["id"]))
            if request_id is not None:
                await tx.execute("UPDATE request SET status = 'matched', booking_id = ?"
                                 " WHERE id = ?", (booking_id, request_id))
                await self._audit.record(tx, actor.username, "match", request_id, booking_id)
            else:
                await self._audit.record(tx, actor.username, "booking.create", booking_id)
        booking = await self.get(booking_id)
        assert booking is not None
        self._changed(booking)
        return booking

    async def _party(self, tx: Transaction, username: str, role: Role):
        row = await tx.fetchone("SELECT id, role, disabled FROM account WHERE username = ?",
                                (username,))
        if row is None:
            raise NotFound(f"account {username}")
        if row["role"] != role.value:
            raise Invalid(f"{username} is not a {role.value}")
        if row["disabled"]:
            raise Invalid(f"account {username} is disabled")
        return row

    async def end(self, actor: Account, booking_id: int) -> Booking:
        """End a booking now: the counsellor loses access at once."""
        require_scope(actor, Scope.MATCHING, "end bookings")
        now = self._db.clock.now()
        async with self._db.transaction() as tx:
            booking = await self._locked(tx, booking_id)
            state = booking.state(now)
            if state in (BookingState.ENDED, BookingState.DUE):
                raise Invalid(f"booking {booking_id} has already ended")
            starts = min(booking.starts_at, now - timedelta(seconds=1))
            await tx.execute("UPDATE booking SET starts_at = ?, ends_at = ?, ended_early = 1"
                             " WHERE id = ?", (to_iso(starts), to_iso(now), booking_id))
            # Access ends by construction: the counsellor's copy of the room key goes now.
            await self._keys.destroy_copies_of(tx, booking_id, booking.counsellor_id)
            tx.mark_erasure()
            await self._audit.record(tx, actor.username, "booking.end", booking_id)
        ended = await self.get(booking_id)
        assert ended is not None
        self._changed(ended)
        return ended

    async def extend(self, actor: Account, booking_id: int, until: datetime) -> Booking:
        require_scope(actor, Scope.MATCHING, "extend bookings")
        now = self._db.clock.now()
        async with self._db.transaction() as tx:
            booking = await self._locked(tx, booking_id)
            if booking.state(now) in (BookingState.ENDED, BookingState.DUE):
                raise Invalid(f"booking {booking_id} has ended; create a new booking instead")
            if until <= booking.ends_at:
                raise Invalid("the new end must be after the current end")
            if until > booking.starts_at + timedelta(weeks=self.MAX_WEEKS):
                raise Invalid(f"a booking lasts at most {self.MAX_WEEKS} weeks")
            await tx.execute("UPDATE booking SET ends_at = ? WHERE id = ?",
                             (to_iso(until), booking_id))
            await self._audit.record(tx, actor.username, "booking.extend", booking_id)
        extended = await self.get(booking_id)
        assert extended is not None
        self._changed(extended)
        return extended

    async def _locked(self, tx: Transaction, booking_id: int) -> Booking:
        row = await tx.fetchone(BOOKING_SELECT + " WHERE b.id = ?", (booking_id,))
        if row is None:
            raise NotFound(f"booking {booking_id}")
        return booking_from_row(row)

    def _changed(self, booking: Booking) -> None:
        announce_booking(self._hub, booking)

    async def boundaries_after(self, moment: datetime) -> datetime | None:
        """The next start or end of any booking after this moment (for the end timer)."""
        stamp = to_iso(moment)
        row = await self._db.fetchone(
            "SELECT min(t) FROM (SELECT min(starts_at) AS t FROM booking WHERE starts_at > ?"
            " UNION ALL SELECT min(ends_at) FROM booking WHERE ends_at > ?) AS boundary",
            (stamp, stamp))
        return from_iso(row[0]) if row and row[0] else None

    async def destroy_ended_copies(self, now: datetime) -> int:
        """The counsellor's copy of the room key of every booking ended by time: gone in one
        transaction the moment the timer sees the end (the access rule already refuses)."""
        async with self._db.transaction() as tx:
            destroyed = await tx.execute_rowcount(
                "DELETE FROM room_key WHERE EXISTS (SELECT 1 FROM booking b"
                " JOIN account_key k ON k.account_id = b.counsellor_id"
                " WHERE b.id = room_key.booking_id AND k.id = room_key.key_id"
                " AND b.ends_at <= ?)", (to_iso(now),))
            if destroyed:
                tx.mark_erasure()
        return destroyed

    async def crossing(self, since: datetime, until: datetime) -> list[Booking]:
        """Bookings that started or ended in (since, until]."""
        a, b = to_iso(since), to_iso(until)
        rows = await self._db.fetchall(
            BOOKING_SELECT + " WHERE (b.starts_at > ? AND b.starts_at <= ?)"
            " OR (b.ends_at > ? AND b.ends_at <= ?)", (a, b, a, b))
        return [booking_from_row(r) for r in rows]


def announce_booking(hub: Hub, booking: Booking) -> None:
    """Everyone showing this booking reloads it: the room, both parties' lists, and the
    booking timer (in whichever process it runs)."""
    event = BookingChanged(booking.id)
    hub.publish(room_topic(booking.id), event)
    hub.publish(account_topic(booking.client_id), event)
    hub.publish(account_topic(booking.counsellor_id), event)
    hub.publish(BOOKINGS_TOPIC, event)
