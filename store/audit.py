"""The audit trail of state changes: actor, action, target ids, time. Never content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.access import require_scope
from store.accounts.accounts import Account
from store.accounts.scopes import Scope
from store.clock import to_iso
from store.database import Database, Transaction


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    target_ids: str


class AuditTrail:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, tx: Transaction, actor: str, action: str,
                     *target_ids: int | str) -> None:
        """Written in the caller's transaction, so the entry exists exactly when the change does."""
        await tx.execute(
            "INSERT INTO audit (at, actor, action, target_ids) VALUES (?, ?, ?, ?)",
            (to_iso(self._db.clock.now()), actor, action, ",".join(map(str, target_ids))),
        )

    async def write(self, actor: str, action: str, *target_ids: int | str) -> None:
        async with self._db.transaction() as tx:
            await self.record(tx, actor, action, *target_ids)

    async def read(self, actor: Account, since: datetime | None = None) -> list[AuditEntry]:
        """The trail as staff read it; nobody else may."""
        require_scope(actor, Scope.AUDIT, "read the audit trail")
        # Read first: the entry for this reading is not part of what it shows.
        entries = await self.entries(to_iso(since) if since else None)
        await self.write(actor.username, "audit.read")
        return entries

    async def entries(self, since: str | None = None) -> list[AuditEntry]:
        rows = await self._db.fetchall(
            "SELECT id, at, actor, action, target_ids FROM audit WHERE at >= ? ORDER BY id",
            (since or "",),
        )
        return [AuditEntry(r["id"], r["at"], r["actor"], r["action"], r["target_ids"])
                for r in rows]
