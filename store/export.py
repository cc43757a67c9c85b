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
from store.errors import NotFound
from store.policy.versions import PolicyVersions
from store.requests import Requests
from store.retention_choice import RetentionChoices
from store.rooms import WardRooms
from store.text import sanitize

PAGE = 500  # messages read per query: memory stays flat however long the history


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

    async def chunks(self, actor: Account) -> AsyncIterator[str]:
        """JSON text in pieces: `account`, `requests`, `bookings`, then `messages` page by page.

        Only what the actor may read now: its own requests, the bookings it is a party to and
        may see, and the rooms it may still read (a counsellor: active bookings only). Of other
        accounts only the counsellor's username appears.
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
        for booking in bookings:
            async for page in self._room_pages(actor, booking.id):
                yield ("\n" if first else ",\n") + ",\n".join(page)
                first = False
        yield "\n]}\n"

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
