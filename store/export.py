"""The account's own data as one JSON document (Art. 15/20 GDPR), produced piece by piece."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from store.access import is_party, require_scope
from store.accounts.accounts import Account, Accounts
from store.accounts.roles import Role
from store.accounts.scopes import Scope
from store.audit import AuditTrail
from store.clock import to_iso
from store.database import Database
from store.deletion.choice import RetentionChoices
from store.errors import NotFound, RoomSealed
from store.export_account import account_record
from store.policy.versions import PolicyVersions
from store.rooms.booking import Booking
from store.rooms.bookings import Bookings
from store.rooms.requests import Requests
from store.rooms.rooms import WardRooms
from store.sealing.keyring import Keyring
from store.text import sanitize

PAGE = 500  # messages read per query: memory stays flat however long the history
SEALED_REASON = ("sealed: this session holds no key that opens this room's text "
                 "(staff never do; after a password reset by staff, the recovery code or the "
                 "other participant gives access back)")
SEALED_FOR_STAFF = "sealed: staff cannot read ward rooms, by any path"


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

    async def chunks(self, actor: Account, keys: Keyring | None) -> AsyncIterator[str]:
        """JSON text in pieces: `account`, `requests`, `bookings`, `messages` page by page,
        then `sealed_rooms`.

        Only what the actor may read now: its own requests, the bookings it is a party to and
        may see, and the rooms it may still read (a counsellor: active bookings only). Of other
        accounts only the counsellor's username appears. Text is opened with the session's own
        keys; a room they cannot open (or every room, without keys) is listed in
        `sealed_rooms`, never silently left out.
        """
        bookings = await self._party_bookings(actor)
        yield await self._head(actor, bookings)
        yield ',\n"messages": ['
        first = True
        sealed: list[dict[str, Any]] = []
        for booking in bookings:
            try:
                async for page in self._room_pages(actor, booking.id, keys):
                    yield ("\n" if first else ",\n") + ",\n".join(page)
                    first = False
            except RoomSealed:
                sealed.append({"booking": booking.id, "reason": SEALED_REASON})
        yield "\n],\n\"sealed_rooms\": " + _json(sealed) + "}\n"

    async def for_staff(self, actor: Account, username: str) -> AsyncIterator[str]:
        """`admin user export NAME`, for a request received by post: the same document as
        the account's own export, audited; staff hold no key, so every room is listed in
        `sealed_rooms` (and `messages` is empty)."""
        require_scope(actor, Scope.ACCOUNTS, "export an account's data")
        subject = await self._accounts.by_username(username)
        if subject is None:
            raise NotFound(f"account {username}")
        await self._audit.write(actor.username, "user.export", subject.id)
        bookings = await self._party_bookings(subject)
        yield await self._head(subject, bookings)
        yield (',\n"messages": [],\n"sealed_rooms": '
               + _json([{"booking": b.id, "reason": SEALED_FOR_STAFF} for b in bookings])
               + "}\n")

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

    async def _room_pages(self, actor: Account, booking_id: int,
                          keys: Keyring | None) -> AsyncIterator[list[str]]:
        try:
            if keys is None:
                await self._rooms.open(actor, booking_id)
                raise RoomSealed(f"room {booking_id}")
            async for page in self._rooms.pages(actor, booking_id, keys, PAGE):
                yield [_json({"booking": booking_id, "sent_at": to_iso(m.sent_at),
                              "sender_role": m.sender_role, "text": sanitize(m.body)})
                       for m in page]
        except NotFound:
            return
