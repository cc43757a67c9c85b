"""Ward rooms: the messages of one booking, read and written by its two parties.

Text is stored only sealed under the room's key, which the session opens with its own keys;
the access rules are checked as well, so a rule and a key both have to allow it.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from store.access import can_post, can_read_room
from store.accounts.accounts import Account
from store.clock import from_iso, to_iso
from store.database import Database
from store.errors import Invalid, NotFound, NotPermitted, RoomSealed
from store.hub.hub import Hub, MessagePosted, account_topic, room_topic
from store.rooms.booking import Booking
from store.rooms.bookings import Bookings, announce_booking
from store.rooms.read_markers import ReadMarkers
from store.sealing.crypto import decrypt_message, encrypt_message
from store.sealing.keyring import Keyring
from store.sealing.room_keys import PendingAccess, RoomKeys
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


@dataclass(frozen=True)
class SealedMessage:
    """A message as the hub carries it, to other sessions and processes: the text stays
    sealed (base64 of nonce and ciphertext) until a session holding the room key opens it."""

    id: int
    booking_id: int
    sender_role: str
    sender_username: str
    sent_at: datetime
    sealed: str

    def open(self, room_key: bytes) -> Message:
        text = decrypt_message(room_key, self.booking_id, self.id, base64.b64decode(self.sealed))
        return Message(self.id, self.booking_id, self.sender_role, self.sender_username,
                       self.sent_at, text)


_SELECT = """SELECT m.id, m.booking_id, m.sender_role, coalesce(a.username, '?') AS sender,
m.sent_at, m.sealed FROM message m LEFT JOIN account a ON a.id = m.sender_id"""


def _message(row, room_key: bytes) -> Message:
    text = decrypt_message(room_key, row["booking_id"], row["id"], row["sealed"])
    return Message(row["id"], row["booking_id"], row["sender_role"], row["sender"],
                   from_iso(row["sent_at"]), text)


def check_message(text: str) -> str:
    """The text as it will be stored, or Invalid: sanitised, not blank, ≤ 4,000 characters."""
    body = sanitize(text)
    if not body.strip():
        raise Invalid("empty")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise Invalid("too_long")
    return body


class WardRooms:
    def __init__(self, db: Database, hub: Hub, bookings: Bookings, keys: RoomKeys) -> None:
        self._db = db
        self._hub = hub
        self._bookings = bookings
        self._keys = keys
        self._read_markers = ReadMarkers(db)

    async def open(self, actor: Account, booking_id: int) -> Booking:
        """The booking of a room the actor may read, or NotFound."""
        booking = await self._bookings.get(booking_id)
        if booking is None or not can_read_room(actor, booking, self._db.clock.now()):
            raise NotFound(f"room {booking_id}")
        return booking

    async def room_key(self, actor: Account, booking_id: int, keys: Keyring) -> bytes:
        """The room's key for a session that may read it: NotFound if it may not, RoomSealed
        if its keys hold no copy (access reset by staff, not yet given back)."""
        await self.open(actor, booking_id)
        room_key = await self._keys.open(keys, booking_id)
        if room_key is None:
            raise RoomSealed(f"room {booking_id}")
        return room_key

    def writable(self, actor: Account, booking: Booking) -> bool:
        """Whether the actor may post in this room now (the screen shows it read-only if not)."""
        return can_post(actor, booking, self._db.clock.now())

    async def sealed_message(self, message_id: int) -> SealedMessage | None:
        """A stored message as the hub carries it (still sealed), for a node that heard only
        its id from another node; None once it is deleted."""
        row = await self._db.fetchone(_SELECT + " WHERE m.id = ?", (message_id,))
        if row is None:
            return None
        return SealedMessage(row["id"], row["booking_id"], row["sender_role"], row["sender"],
                             from_iso(row["sent_at"]),
                             base64.b64encode(row["sealed"]).decode())

    async def history(self, actor: Account, booking_id: int, keys: Keyring,
                      before_id: int | None = None, limit: int = PAGE_SIZE) -> list[Message]:
        """One page of messages, oldest first, ending just before `before_id`."""
        room_key = await self.room_key(actor, booking_id, keys)
        rows = await self._db.fetchall(
            _SELECT + " WHERE m.booking_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?",
            (booking_id, before_id if before_id is not None else 2**62, limit))
        return [_message(r, room_key) for r in reversed(rows)]

    async def pages(self, actor: Account, booking_id: int, keys: Keyring,
                    size: int) -> AsyncIterator[list[Message]]:
        """The whole room, oldest first, `size` messages at a time (for the export). Access
        and key are asked again for every page: a room that ends or goes mid-way stops."""
        after = 0
        while True:
            room_key = await self.room_key(actor, booking_id, keys)
            rows = await self._db.fetchall(
                _SELECT + " WHERE m.booking_id = ? AND m.id > ? ORDER BY m.id LIMIT ?",
                (booking_id, after, size))
            if not rows:
                return
            after = rows[-1]["id"]
            yield [_message(r, room_key) for r in rows]

    async def post(self, actor: Account, booking_id: int, text: str, keys: Keyring) -> Message:
        """Store a message; it is published only after it is committed (on disk).

        Shielded: a sender who disconnects mid-send cancels the caller, never the commit and
        its delivery, so a message is either stored and delivered or not stored at all.
        """
        body = check_message(text)
        return await asyncio.shield(self._store_and_publish(actor, booking_id, body, keys))

    async def _store_and_publish(self, actor: Account, booking_id: int, body: str,
                                 keys: Keyring) -> Message:
        booking = await self._bookings.get(booking_id)
        now = self._db.clock.now()
        if booking is None or not can_read_room(actor, booking, now):
            raise NotFound(f"room {booking_id}")
        if not can_post(actor, booking, now):
            raise NotPermitted("this room is read-only now")
        room_key = await self.room_key(actor, booking_id, keys)
        async with self._db.transaction() as tx:
            # The id is chosen first, as it is bound into the ciphertext; the transaction
            # holds the database's one write lock, so no other writer can take it meanwhile.
            row = await tx.fetchone("SELECT coalesce(max(id), 0) + 1 FROM message")
            message_id = int(row[0])
            sealed = encrypt_message(room_key, booking_id, message_id, body)
            await tx.execute(
                "INSERT INTO message (id, booking_id, sender_id, sender_role, sent_at, body,"
                " sealed) VALUES (?, ?, ?, ?, ?, '', ?)",
                (message_id, booking_id, actor.id, actor.role.value, to_iso(now), sealed))
            await tx.execute(
                "INSERT INTO room_read (account_id, booking_id, last_message_id)"
                " VALUES (?, ?, ?) ON CONFLICT (account_id, booking_id)"
                " DO UPDATE SET last_message_id = excluded.last_message_id",
                (actor.id, booking_id, message_id))
        message = Message(message_id, booking_id, actor.role.value, actor.username, now, body)
        event = MessagePosted(booking_id, SealedMessage(
            message_id, booking_id, actor.role.value, actor.username, now,
            base64.b64encode(sealed).decode()))
        self._hub.publish(room_topic(booking_id), event)
        for party in (booking.client_id, booking.counsellor_id):
            self._hub.publish(account_topic(party), event)
        return message

    async def settle(self, actor: Account, keys: Keyring) -> None:
        """At login: seal this person's rooms that still hold text from before sealing, and
        give the other participant a copy where their first key pair lacks one (an upgrade, not
        a reset by staff: that one waits for this person's explicit confirmation in the room)."""
        if actor.is_admin:
            return  # staff are party to no room (and may lack the scope to list bookings)
        now = self._db.clock.now()
        readable = [b for b in await self._bookings.for_actor(actor)
                    if can_read_room(actor, b, now)]
        await self._keys.seal_unsealed(keys, readable)
        for booking in readable:
            pending = await self._keys.pending(keys, booking)
            if pending is not None and pending.reset_on is None:
                await self._keys.grant(keys, booking, pending.account_id)

    async def locked(self, actor: Account, keys: Keyring) -> list[int]:
        """The rooms this person may read but their keys cannot open (after a staff reset)."""
        now = self._db.clock.now()
        return [b.id for b in await self._bookings.for_actor(actor)
                if can_read_room(actor, b, now) and await self._keys.open(keys, b.id) is None]

    async def pending_access(self, actor: Account, booking_id: int,
                             keys: Keyring) -> PendingAccess | None:
        """Whose access to this room this session could give back (see RoomKeys.pending)."""
        booking = await self.open(actor, booking_id)
        return await self._keys.pending(keys, booking)

    async def give_access(self, actor: Account, booking_id: int, keys: Keyring,
                          account_id: int) -> bool:
        """This participant's explicit yes: the other one's current key pair gets a copy."""
        booking = await self.open(actor, booking_id)
        if account_id not in (booking.client_id, booking.counsellor_id) or \
                account_id == actor.id:
            raise NotPermitted("only the other participant of this room")
        given = await self._keys.grant(keys, booking, account_id)
        if given:
            announce_booking(self._hub, booking)  # an open room of theirs opens at once
        return given

    async def mark_read(self, actor: Account, booking_id: int, message_id: int) -> None:
        """The actor has seen the room up to `message_id`: stored a moment later, together
        with other markers (see ReadMarkers); the access is checked now."""
        await self.open(actor, booking_id)
        self._read_markers.note(actor.id, booking_id, message_id)

    def left_room(self) -> None:
        """Someone closed a room (or their session ended): its marker is written now, so the
        dashboard they go back to, or their next session, counts what they read."""
        self._read_markers.write_soon()

    async def write_read_markers(self) -> None:
        """Write the read markers still waiting (before the database closes)."""
        await self._read_markers.settle()

    async def unread_counts(self, actor: Account) -> dict[int, int]:
        """Unread messages per room the actor may read now."""
        await self._read_markers.settle()
        visible = await self._bookings.for_actor(actor)
        now = self._db.clock.now()
        counts: dict[int, int] = {}
        for booking in visible:
            if not can_read_room(actor, booking, now):
                continue
            row = await self._db.fetchone(
                "SELECT count(*) FROM message m WHERE m.booking_id = ?"
                " AND (m.sender_id IS NULL OR m.sender_id != ?)"
                " AND m.id > coalesce((SELECT last_message_id FROM room_read"
                " WHERE account_id = ? AND booking_id = ?), 0)",
                (booking.id, actor.id, actor.id, booking.id))
            counts[booking.id] = int(row[0])
        return counts
