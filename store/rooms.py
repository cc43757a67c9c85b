"""Ward rooms: the messages of one booking, read and written by its two parties."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from store.access import can_post, can_read_room
from store.accounts import Account
from store.booking import Booking
from store.bookings import Bookings
from store.clock import from_iso, to_iso
from store.database import Database
from store.errors import Invalid, NotFound, NotPermitted
from store.hub import Hub, MessagePosted, account_topic, room_topic
from store.text import sanitize

MAX_MESSAGE_LENGTH = 4000
PAGE_SIZE = 50


@dataclass(frozen=True)
class Message:
    id: int
    booking_id: int
    sender_role: str
    sender_username: str
    sent_at: datetime
    body: str


_SELECT = """SELECT m.id, m.booking_id, m.sender_role, coalesce(a.username, '?') AS sender,
m.sent_at, m.body FROM message m LEFT JOIN account a ON a.id = m.sender_id"""


def _message(row) -> Message:
    return Message(row["id"], row["booking_id"], row["sender_role"], row["sender"],
                   from_iso(row["sent_at"]), row["body"])


def check_message(text: str) -> str:
    """The text as it will be stored, or Invalid: sanitised, not blank, ≤ 4,000 characters."""
    body = sanitize(text)
    if not body.strip():
        raise Invalid("empty")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise Invalid("too_long")
    return body


class WardRooms:
    def __init__(self, db: Database, hub: Hub, bookings: Bookings) -> None:
        self._db = db
        self._hub = hub
        self._bookings = bookings

    async def open(self, actor: Account, booking_id: int) -> Booking:
        """The booking of a room the actor may read, or NotFound."""
        booking = await self._bookings.get(booking_id)
        if booking is None or not can_read_room(actor, booking, self._db.clock.now()):
            raise NotFound(f"room {booking_id}")
        return booking

    def writable(self, actor: Account, booking: Booking) -> bool:
        """Whether the actor may post in this room now (the screen shows it read-only if not)."""
        return can_post(actor, booking, self._db.clock.now())

    async def history(self, actor: Account, booking_id: int, before_id: int | None = None,
                      limit: int = PAGE_SIZE) -> list[Message]:
        """One page of messages, oldest first, ending just before `before_id`."""
        await self.open(actor, booking_id)
        rows = await self._db.fetchall(
            _SELECT + " WHERE m.booking_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?",
            (booking_id, before_id if before_id is not None else 2**62, limit))
        return [_message(r) for r in reversed(rows)]

    async def post(self, actor: Account, booking_id: int, text: str) -> Message:
        """Store a message; it is published only after it is committed (on disk).

        Shielded: a sender who disconnects mid-send cancels the caller, never the commit and
        its delivery, so a message is either stored and delivered or not stored at all.
        """
        body = check_message(text)
        return await asyncio.shield(self._store_and_publish(actor, booking_id, body))

    async def _store_and_publish(self, actor: Account, booking_id: int, body: str) -> Message:
        booking = await self._bookings.get(booking_id)
        now = self._db.clock.now()
        if booking is None or not can_read_room(actor, booking, now):
            raise NotFound(f"room {booking_id}")
        if not can_post(actor, booking, now):
            raise NotPermitted("this room is read-only now")
        async with self._db.transaction() as tx:
            message_id = await tx.execute(
                "INSERT INTO message (booking_id, sender_id, sender_role, sent_at, body)"
                " VALUES (?, ?, ?, ?, ?)",
                (booking_id, actor.id, actor.role.value, to_iso(now), body))
            await tx.execute(
                "INSERT INTO room_read (account_id, booking_id, last_message_id)"
                " VALUES (?, ?, ?) ON CONFLICT (account_id, booking_id)"
                " DO UPDATE SET last_message_id = excluded.last_message_id",
                (actor.id, booking_id, message_id))
        message = Message(message_id, booking_id, actor.role.value, actor.username, now, body)
        event = MessagePosted(booking_id, message)
        self._hub.publish(room_topic(booking_id), event)
        for party in (booking.client_id, booking.counsellor_id):
            self._hub.publish(account_topic(party), event)
        return message

    async def mark_read(self, actor: Account, booking_id: int, message_id: int) -> None:
        await self.open(actor, booking_id)
        await self._db.execute(
            "INSERT INTO room_read (account_id, booking_id, last_message_id) VALUES (?, ?, ?)"
            " ON CONFLICT (account_id, booking_id) DO UPDATE SET last_message_id ="
            " max(last_message_id, excluded.last_message_id)",
            (actor.id, booking_id, message_id))

    async def unread_counts(self, actor: Account) -> dict[int, int]:
        """Unread messages per room the actor may read now."""
        visible = await self._bookings.for_actor(actor)
        now = self._db.clock.now()
        counts: dict[int, int] = {}
        for booking in visible:
            if not can_read_room(actor, booking, now):
                continue
            row = await self._db.fetchone(
                "SELECT count(*) FROM message m WHERE m.booking_id = ? AND m.sender_id IS NOT ?"
                " AND m.id > coalesce((SELECT last_message_id FROM room_read"
                " WHERE account_id = ? AND booking_id = ?), 0)",
                (booking.id, actor.id, actor.id, booking.id))
            counts[booking.id] = int(row[0])
        return counts
