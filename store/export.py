"""The account's own data as one JSON document (Art. 15/20 GDPR), produced piece by piece."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from store.access import is_party, require_scope
from store.accounts import Account, Accounts
from store.audit import AuditTrail
from store.booking import Booking
from store.bookings import Bookings
from store.clock import to_iso
from store.database import Database
from store.errors import NotFound
from store.export_account import account_record
from store.policy.versions import PolicyVersions
from store.requests import Requests
from store.retention_choice import RetentionChoices
from store.roles import Role
from store.rooms import WardRooms
from store.scopes import Scope
from store.text import sanitize

PAGE = 500  # messages read per query: memory stays flat however long the history
# Why a room's messages are not in a document, as the document says it.
SEALED_FOR_STAFF = "staff cannot read ward rooms"
SEALED_ONE_TIME_PASSWORD = "log in and choose your own password to read your rooms"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class DataExport:
    def __init__(self, db: Database, bookings: Bookings, requests: Requests, rooms: WardRooms,
                 retention: RetentionChoices, policy: PolicyVersions, accounts: Accounts,
                 audit: AuditTrail) -> None:
        self._db = db
        self._accounts = accounts
        self._audit = audit
        self._bookings = bookings
        self._requests = requests
        self._rooms = rooms
        self._retention = retention
        self._policy = policy

    async def chunks(self, actor: Account) -> AsyncIterator[str]:
        """JSON text in pieces: `account`, `requests`, `bookings`, then `messages` page by page.

        Only what the actor may read now: its own requests, the bookings it is a party to and
        may see, and the rooms it may still read (a counsellor: active bookings only). Of other
        accounts only the counsellor's username appears.
        """
        if actor.must_change_password:
            # Whoever set a one-time password knows it: the rooms stay closed until the
            # person has chosen her own, everything else she may read now.
            async for chunk in self._sealed(actor, SEALED_ONE_TIME_PASSWORD):
                yield chunk
            return
        bookings = await self._party_bookings(actor)
        yield await self._head(actor, bookings)
        yield ',\n"messages": ['
        first = True
        for booking in bookings:
            async for page in self._room_pages(actor, booking.id):
                yield ("\n" if first else ",\n") + ",\n".join(page)
                first = False
        yield "\n]}\n"

    async def for_staff(self, actor: Account, username: str) -> AsyncIterator[str]:
        """`admin user export NAME`, for a request received by post: the same document as
        the account's own export, audited, and every room marked as not readable by staff
        (staff never read rooms, by any path)."""
        require_scope(actor, Scope.ACCOUNTS, "export an account's data")
        subject = await self._accounts.by_username(username)
        if subject is None:
            raise NotFound(f"account {username}")
        await self._audit.write(actor.username, "user.export", subject.id)
        async for chunk in self._sealed(subject, SEALED_FOR_STAFF):
            yield chunk

    async def _sealed(self, subject: Account, why: str) -> AsyncIterator[str]:
        bookings = await self._party_bookings(subject)
        yield await self._head(subject, bookings)
        yield ',\n"messages": ' + _json([{"booking": b.id, "sealed": True, "why": why}
                                          for b in bookings]) + "}\n"

    async def _party_bookings(self, subject: Account) -> list[Booking]:
        if subject.role is Role.ADMIN:
            return []  # staff are party to no booking
        return [b for b in await self._bookings.for_actor(subject) if is_party(subject, b)]

    async def _head(self, subject: Account, bookings: list[Booking]) -> str:
        """`account`, `requests` and `bookings`: the document up to its messages."""
        account = await account_record(self._db, subject, self._retention, self._policy)
        requests = [{"id": r.id, "created": r.created_at, "status": r.status,
                     "text": sanitize(r.body)}
                    for r in await self._requests.own(subject)]
        return ('{"account": ' + _json(account) + ',\n"requests": ' + _json(requests)
                + ',\n"bookings": ' + _json([
                    {"id": b.id, "counsellor": b.counsellor_username,
                     "start": to_iso(b.starts_at), "end": to_iso(b.ends_at)} for b in bookings]))

    async def _room_pages(self, actor: Account, booking_id: int) -> AsyncIterator[list[str]]:
        after = 0
        while True:
            try:
                # Asked again for every page: a room that ends or is deleted mid-export stops.
                await self._rooms.open(actor, booking_id)
            except NotFound:
                return
            rows = await self._db.fetchall(
                "SELECT id, sent_at, sender_role, body FROM message"
                " WHERE booking_id = ? AND id > ? ORDER BY id LIMIT ?",
                (booking_id, after, PAGE))
            if not rows:
                return
            after = rows[-1]["id"]
            yield [_json({"booking": booking_id, "sent_at": r["sent_at"],
                          "sender_role": r["sender_role"], "text": sanitize(r["body"])})
                   for r in rows]
