"""Requests (Anliegen): a client's short free text asking for counselling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.access import can_see_request_text, require_scope
from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.accounts.scopes import Scope
from store.audit import AuditTrail
from store.clock import from_iso, to_iso
from store.database import Database
from store.deletion.ledger import ErasureKind, record_erasure
from store.deletion.storage_limits import StorageLimits
from store.errors import Invalid, NotFound, NotPermitted
from store.rooms.booking import BOOKING_SELECT, booking_from_row
from store.text import sanitize

MAX_REQUEST_LENGTH = 2000
MAX_OPEN_REQUESTS = 3


@dataclass(frozen=True)
class Request:
    id: int
    client_id: int
    client_username: str
    body: str
    status: str
    created_at: str
    booking_id: int | None


_SELECT = """SELECT r.id, r.client_id, a.username AS client_username, r.body, r.status,
r.created_at, r.booking_id FROM request r JOIN account a ON a.id = r.client_id"""


def _request(row) -> Request:
    return Request(row["id"], row["client_id"], row["client_username"], row["body"],
                   row["status"], row["created_at"], row["booking_id"])


def check_request(text: str) -> str:
    """The text as it will be stored, or Invalid("empty" / "too_long"), like check_message."""
    body = sanitize(text).strip()
    if not body:
        raise Invalid("empty")
    if len(body) > MAX_REQUEST_LENGTH:
        raise Invalid("too_long")
    return body


class Requests:
    def __init__(self, db: Database, audit: AuditTrail, limits: StorageLimits) -> None:
        self._db = db
        self._audit = audit
        self._limits = limits

    @property
    def kept_weeks(self) -> int:
        """How long a request nobody matched is kept (request_retention_weeks)."""
        return self._limits.request_weeks

    def deleted_at(self, request: Request) -> datetime:
        """When this request goes if nobody matches it (the client is told when filing)."""
        return self._limits.request_deleted_at(from_iso(request.created_at))

    async def file(self, actor: Account, text: str) -> Request:
        if actor.role is not Role.CLIENT or actor.disabled:
            raise NotPermitted("only clients file requests")
        body = check_request(text)
        async with self._db.transaction() as tx:
            row = await tx.fetchone("SELECT count(*) FROM request WHERE client_id = ?"
                                    " AND status = 'open'", (actor.id,))
            if row[0] >= MAX_OPEN_REQUESTS:
                raise Invalid("too_many")
            request_id = await tx.insert(
                "INSERT INTO request (client_id, body, created_at) VALUES (?, ?, ?)"
                " RETURNING id",
                (actor.id, body, to_iso(self._db.clock.now())))
        return await self._get(request_id)

    async def _get(self, request_id: int) -> Request:
        row = await self._db.fetchone(_SELECT + " WHERE r.id = ?", (request_id,))
        if row is None:
            raise NotFound(f"request {request_id}")
        return _request(row)

    async def open_requests(self, actor: Account) -> list[Request]:
        """Staff see open requests (with text, which they need to match well)."""
        require_scope(actor, Scope.MATCHING, "list requests")
        rows = await self._db.fetchall(_SELECT + " WHERE r.status = 'open' ORDER BY r.id")
        return [_request(r) for r in rows]

    async def staff_listing(self, actor: Account) -> list[Request]:
        """`admin request list`: the open requests with their text; the read is audited."""
        requests = await self.open_requests(actor)
        await self._audit.write(actor.username, "request.list")
        return requests

    async def own(self, actor: Account) -> list[Request]:
        rows = await self._db.fetchall(_SELECT + " WHERE r.client_id = ? ORDER BY r.id",
                                       (actor.id,))
        return [request for request in map(_request, rows)
                if await self._readable(actor, request)]

    async def read(self, actor: Account, request_id: int) -> Request:
        """One request with its text, if this actor may read it."""
        if actor.role is Role.ADMIN:
            require_scope(actor, Scope.MATCHING, "read requests")
        row = await self._db.fetchone(_SELECT + " WHERE r.id = ?", (request_id,))
        if row is None or not await self._readable(actor, _request(row)):
            raise NotFound(f"request {request_id}")
        return _request(row)

    async def _readable(self, actor: Account, request: Request) -> bool:
        booking = None
        if request.booking_id is not None:
            row = await self._db.fetchone(BOOKING_SELECT + " WHERE b.id = ?",
                                          (request.booking_id,))
            booking = booking_from_row(row) if row else None
        return can_see_request_text(actor, request.client_id, booking, self._db.clock.now())

    async def withdraw(self, actor: Account, request_id: int) -> None:
        """The client takes back an open request: it is deleted at once."""
        async with self._db.transaction() as tx:
            row = await tx.fetchone("SELECT client_id, status FROM request WHERE id = ?",
                                    (request_id,))
            if row is None or row["client_id"] != actor.id:
                raise NotFound(f"request {request_id}")
            if row["status"] != "open":
                raise Invalid(f"request {request_id} is no longer open")
            # Withdrawn means deleted, like an erasure: nothing of the text stays on disk.
            await tx.execute("DELETE FROM request WHERE id = ?", (request_id,))
            await record_erasure(tx, ErasureKind.REQUEST, request_id, self._db.clock.now())
            tx.mark_erasure()
