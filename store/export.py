"""The account's own data as one JSON document (Art. 15/20 GDPR), produced piece by piece."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from store.access import is_party
from store.accounts import Account
from store.bookings import Bookings
from store.clock import to_iso
from store.database import Database
from store.errors import NotFound, RoomSealed
from store.policy.versions import PolicyVersions
from store.requests import Requests
from store.retention_choice import RetentionChoices
from store.rooms import WardRooms
from store.sealing.keyring import Keyring
from store.text import sanitize

PAGE = 500  # messages read per query: memory stays flat however long the history
SEALED_REASON = ("sealed: this session holds no key that opens this room's text "
                 "(staff never do; after a password reset by staff, the recovery code or the "
                 "other participant gives access back)")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class DataExport:
    def __init__(self, db: Database, bookings: Bookings, requests: Requests, rooms: WardRooms,
                 retention: RetentionChoices, policy: PolicyVersions) -> None:
        self._db = db
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
        window = await self._retention.current(actor)
        accepted = await self._policy.accepted(actor)
        account = {
            "username": actor.username,
            "role": actor.role.value,
            "created": actor.created_at,
            "retention_days": int(window) if window is not None else None,
            "policy_version": accepted.version if accepted else None,
        }
        yield '{"account": ' + _json(account)
        requests = [{"id": r.id, "created": r.created_at, "status": r.status,
                     "text": sanitize(r.body)}
                    for r in await self._requests.own(actor)]
        yield ',\n"requests": ' + _json(requests)
        bookings = [b for b in await self._bookings.for_actor(actor) if is_party(actor, b)]
        yield ',\n"bookings": ' + _json([
            {"id": b.id, "counsellor": b.counsellor_username, "start": to_iso(b.starts_at),
             "end": to_iso(b.ends_at)} for b in bookings])
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
