"""Room keys: one random key per ward room, sealed to each participant's key pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from store.access import require_scope
from store.accounts.accounts import Account
from store.accounts.scopes import Scope
from store.database import Database, Transaction
from store.rooms.booking import Booking, BookingState
from store.sealing.crypto import (
    SealBroken,
    encrypt_message,
    new_room_key,
    open_sealed,
    room_key_info,
    seal_to,
)
from store.sealing.keyring import Keyring

_ACTIVE_KEY = "SELECT id, public_key FROM account_key WHERE account_id = ? AND retired_on IS NULL"


@dataclass(frozen=True)
class SealStatus:
    rooms: int
    unsealed_rooms: int  # still holding text from before sealing, until a participant logs in
    accounts_without_keys: int  # accounts from before sealing that have not logged in since


@dataclass(frozen=True)
class PendingAccess:
    """The other participant's current key pair has no copy of a room this session holds."""

    booking_id: int
    account_id: int
    username: str
    # Set when staff reset that person's access: their copy comes back only if this session's
    # person confirms. Otherwise (a pair made at an upgrade) it is granted without asking.
    reset_on: date | None


def may_hold_copy(booking: Booking, account_id: int, now) -> bool:
    """A client holds the room key until deletion; a counsellor only until the booking ends."""
    state = booking.state(now)
    if state is BookingState.DUE:
        return False
    if account_id == booking.client_id:
        return True
    return account_id == booking.counsellor_id and state in (BookingState.BEFORE_START,
                                                            BookingState.ACTIVE)


class RoomKeys:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, tx: Transaction, booking_id: int, party_ids: tuple[int, ...]) -> None:
        """A new room's key, sealed to every party that has a key pair, then forgotten: staff
        who book never see it. A party without a pair yet (an account from before sealing)
        gets its copy from the other party's session later."""
        room_key = new_room_key()
        await self._seal_to_parties(tx, booking_id, room_key, party_ids)

    async def _seal_to_parties(self, tx: Transaction, booking_id: int, room_key: bytes,
                               party_ids: tuple[int, ...]) -> None:
        for account_id in party_ids:
            row = await tx.fetchone(_ACTIVE_KEY, (account_id,))
            if row is not None:
                await self._insert_copy(tx, booking_id, row["id"], row["public_key"], room_key)

    @staticmethod
    async def _insert_copy(tx: Transaction, booking_id: int, key_id: int, public: bytes,
                           room_key: bytes) -> None:
        await tx.execute(
            "INSERT INTO room_key (booking_id, key_id, sealed) VALUES (?, ?, ?)"
            " ON CONFLICT (booking_id, key_id) DO UPDATE SET sealed = excluded.sealed",
            (booking_id, key_id, seal_to(public, room_key, room_key_info(booking_id))))

    async def open(self, keys: Keyring, booking_id: int) -> bytes | None:
        """The room's key if this session's pair holds a copy, else None (sealed to it)."""
        row = await self._db.fetchone(
            "SELECT sealed FROM room_key WHERE booking_id = ? AND key_id = ?",
            (booking_id, keys.key_id))
        if row is None:
            return None
        try:
            return open_sealed(keys.private, row["sealed"], room_key_info(booking_id))
        except SealBroken:
            return None

    @staticmethod
    async def destroy_copies_of(tx: Transaction, booking_id: int, account_id: int) -> None:
        """Every copy this account's pairs hold of the room's key (booking end: the
        counsellor's). The caller marks the transaction as an erasure."""
        await tx.execute(
            "DELETE FROM room_key WHERE booking_id = ? AND key_id IN"
            " (SELECT id FROM account_key WHERE account_id = ?)", (booking_id, account_id))

    @staticmethod
    async def destroy_room(tx: Transaction, booking_id: int) -> None:
        """Every copy of the room's key: after this, its ciphertext opens for nobody."""
        await tx.execute("DELETE FROM room_key WHERE booking_id = ?", (booking_id,))

    async def pending(self, keys: Keyring, booking: Booking) -> PendingAccess | None:
        """The other participant, if their current pair lacks a copy this session could give."""
        other = booking.counsellor_id if keys.account_id == booking.client_id \
            else booking.client_id
        if not may_hold_copy(booking, other, self._db.clock.now()):
            return None
        row = await self._db.fetchone(
            "SELECT k.id, k.reset_by_staff, k.created_on, a.username FROM account_key k"
            " JOIN account a ON a.id = k.account_id WHERE k.account_id = ?"
            " AND k.retired_on IS NULL AND NOT EXISTS (SELECT 1 FROM room_key r"
            " WHERE r.booking_id = ? AND r.key_id = k.id)", (other, booking.id))
        if row is None:
            return None
        reset_on = date.fromisoformat(row["created_on"]) if row["reset_by_staff"] else None
        return PendingAccess(booking.id, other, row["username"], reset_on)

    async def grant(self, keys: Keyring, booking: Booking, account_id: int) -> bool:
        """Seal this session's room key to the other participant's current pair."""
        room_key = await self.open(keys, booking.id)
        if room_key is None or not may_hold_copy(booking, account_id, self._db.clock.now()):
            return False
        async with self._db.transaction() as tx:
            row = await tx.fetchone(_ACTIVE_KEY, (account_id,))
            if row is None:
                return False
            await self._insert_copy(tx, booking.id, row["id"], row["public_key"], room_key)
        return True

    async def seal_unsealed(self, keys: Keyring, bookings: list[Booking]) -> int:
        """Upgrade of a database from before sealing, at a participant's login: each room of
        theirs that has no key yet gets one (sealed to every party that has a pair and may
        hold it); plaintext messages in it (or in a room whose key this session holds) are
        encrypted and their text removed for good. Returns how many rooms were sealed."""
        now = self._db.clock.now()
        sealed = 0
        for booking in bookings:
            if not may_hold_copy(booking, keys.account_id, now):
                continue
            async with self._db.transaction() as tx:
                rows = await tx.fetchall(
                    "SELECT id, body FROM message WHERE booking_id = ? AND sealed IS NULL",
                    (booking.id,))
                keyed = await tx.fetchone("SELECT 1 FROM room_key WHERE booking_id = ?",
                                          (booking.id,))
                if keyed and not rows:
                    continue
                if keyed:
                    mine = await tx.fetchone(
                        "SELECT sealed FROM room_key WHERE booking_id = ? AND key_id = ?",
                        (booking.id, keys.key_id))
                    if mine is None:
                        continue  # whoever holds the key seals them at their login
                    room_key = open_sealed(keys.private, mine["sealed"],
                                           room_key_info(booking.id))
                else:
                    room_key = new_room_key()
                    parties = tuple(p for p in (booking.client_id, booking.counsellor_id)
                                    if may_hold_copy(booking, p, now))
                    await self._seal_to_parties(tx, booking.id, room_key, parties)
                await tx.executemany(
                    "UPDATE message SET sealed = ?, body = '' WHERE id = ?",
                    [(encrypt_message(room_key, booking.id, r["id"], r["body"]), r["id"])
                     for r in rows])
                if rows:
                    tx.mark_erasure()
                sealed += 1
        return sealed

    async def unsealed_rooms(self) -> int:
        """Rooms still holding text from before sealing (`admin seal status`)."""
        row = await self._db.fetchone(
            "SELECT count(DISTINCT booking_id) FROM message WHERE sealed IS NULL")
        return int(row[0])

    async def status(self, actor: Account) -> SealStatus:
        """Counts only, for staff: how far an upgraded database is sealed."""
        require_scope(actor, Scope.BACKUP, "see the sealing status")
        rooms = await self._db.fetchone("SELECT count(*) FROM booking WHERE deleting = 0")
        accounts = await self._db.fetchone(
            "SELECT count(*) FROM account a WHERE NOT EXISTS (SELECT 1 FROM account_key k"
            " WHERE k.account_id = a.id AND k.retired_on IS NULL)")
        return SealStatus(rooms=int(rooms[0]), unsealed_rooms=await self.unsealed_rooms(),
                          accounts_without_keys=int(accounts[0]))
