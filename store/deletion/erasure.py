"""Erasure: a client's account and everything it owns, erased irrecoverably (what the client
asks for with an objection, Widerspruch, Art. 21 GDPR)."""

from __future__ import annotations

from datetime import datetime

from store.access import is_staff, require_scope
from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.accounts.scopes import Scope
from store.audit import AuditTrail
from store.database import Database, Transaction
from store.deletion.ledger import ErasureKind, record_erasure
from store.deletion.room_deletion import delete_room
from store.errors import Invalid, NotFound, NotPermitted
from store.hub.hub import AccountClosed, Hub, account_topic
from store.rooms.booking import BOOKING_SELECT, Booking, booking_from_row
from store.rooms.bookings import announce_booking

ERASED_ACTOR = "(erased account)"  # replaces the erased username where the audit named it


async def delete_client(tx: Transaction, account_id: int, username: str,
                        at: datetime) -> list[Booking]:
    """Delete a client's account with its requests, bookings, rooms, messages and keys, and
    record it in the ledger; returns the deleted bookings. Also replays an erasure into a
    restored backup. The caller's transaction makes it all-or-nothing and must call
    `tx.mark_erasure()`."""
    bookings = [booking_from_row(r) for r in await tx.fetchall(
        BOOKING_SELECT + " WHERE b.client_id = ?", (account_id,))]
    for booking in bookings:
        await delete_room(tx, booking.id, at)
    await tx.execute("DELETE FROM request WHERE client_id = ?", (account_id,))
    # Their own refused admin attempts named them; the entries stay, the name goes.
    await tx.execute("UPDATE audit SET actor = ? WHERE actor = ?", (ERASED_ACTOR, username))
    # Keys, read markers and consent records go with the account (ON DELETE CASCADE).
    await tx.execute("DELETE FROM account WHERE id = ?", (account_id,))
    await record_erasure(tx, ErasureKind.ACCOUNT, account_id, at)
    return bookings


class Erasure:
    def __init__(self, db: Database, hub: Hub, audit: AuditTrail) -> None:
        self._db = db
        self._hub = hub
        self._audit = audit

    async def erase_client(self, actor: Account, username: str, confirm: str) -> int:
        """Erase the client `username` with its requests, bookings, rooms, messages and keys,
        in one transaction; `confirm` must repeat the username. Returns the erased account id.

        Staff do this for an objection received by letter; a client only for itself. Every
        session of the client ends and the counsellor's view of each booking goes at once.
        """
        if confirm != username:
            raise Invalid("the confirmation does not match the username; nothing was erased")
        if actor.role is Role.ADMIN:
            require_scope(actor, Scope.ACCOUNTS, "erase accounts")
        elif not (actor.role is Role.CLIENT and actor.username == username
                  and not actor.disabled):
            raise NotPermitted("a client can only erase its own account")
        now = self._db.clock.now()
        async with self._db.transaction() as tx:
            row = await tx.fetchone("SELECT id, role FROM account WHERE username = ?", (username,))
            if row is None:
                raise NotFound(f"account {username}")
            if row["role"] != Role.CLIENT.value:
                raise Invalid(f"{username} is not a client; disable staff and counsellor "
                              "accounts instead")
            account_id = row["id"]
            bookings = await delete_client(tx, account_id, username, now)
            who = actor.username if is_staff(actor) else f"account:{account_id}"
            await self._audit.record(tx, who, "account.erase", account_id)
            tx.mark_erasure()
        for booking in bookings:
            announce_booking(self._hub, booking)
        self._hub.publish(account_topic(account_id), AccountClosed(account_id, "erased"))
        return account_id
