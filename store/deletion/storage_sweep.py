"""The sweep after the retention task's rooms: deletes unmatched requests, unused client
accounts, old audit entries and ledger entries once they are past their storage limits."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from store.accounts.roles import Role
from store.audit import AuditTrail
from store.clock import to_iso
from store.database import Database
from store.deletion.erasure import delete_client
from store.deletion.ledger import ErasureKind, record_erasure
from store.deletion.storage_limits import LEDGER_DAYS, StorageLimits, months_before
from store.hub.hub import AccountClosed, Hub, account_topic

log = logging.getLogger(__name__)

SWEEP_ACTOR = "retention"  # the audit's actor when the sweep deletes


@dataclass
class SweepResult:
    requests: list[int] = field(default_factory=list)
    accounts: list[int] = field(default_factory=list)
    audit_entries: int = 0
    ledger_entries: int = 0


class StorageSweep:
    """Run by the retention task after the rooms: each kind in its own transaction."""

    def __init__(self, db: Database, hub: Hub, audit: AuditTrail,
                 limits: StorageLimits) -> None:
        self._db = db
        self._hub = hub
        self._audit = audit
        self.limits = limits

    async def sweep(self, actor_name: str = SWEEP_ACTOR) -> SweepResult:
        result = SweepResult()
        result.requests = await self._expired_requests(actor_name)
        result.accounts = await self._inactive_clients(actor_name)
        result.audit_entries, result.ledger_entries = await self._old_records()
        if result.requests or result.accounts or result.audit_entries or result.ledger_entries:
            log.info("retention: deleted %d unmatched requests, %d unused client accounts, "
                     "%d audit entries, %d ledger entries", len(result.requests),
                     len(result.accounts), result.audit_entries, result.ledger_entries)
        return result

    async def _expired_requests(self, actor_name: str) -> list[int]:
        now = self._db.clock.now()
        cutoff = to_iso(now - timedelta(weeks=self.limits.request_weeks))
        async with self._db.transaction() as tx:
            rows = await tx.fetchall("SELECT id FROM request WHERE status = 'open'"
                                     " AND created_at <= ? ORDER BY id", (cutoff,))
            ids = [r["id"] for r in rows]
            for request_id in ids:
                await tx.execute("DELETE FROM request WHERE id = ?", (request_id,))
                await record_erasure(tx, ErasureKind.REQUEST, request_id, now)
            if ids:
                await self._audit.record(tx, actor_name, "retention.delete-request", *ids)
                tx.mark_erasure()
        return ids

    async def _inactive_clients(self, actor_name: str) -> list[int]:
        """Clients with no booking at all (ended rooms go with their retention window) and
        no login for `inactive_client_months` whole months."""
        now = self._db.clock.now()
        cutoff = months_before(now, self.limits.inactive_client_months)
        rows = await self._db.fetchall(
            "SELECT id, username FROM account a WHERE role = ?"
            " AND COALESCE(active_month, substr(created_at, 1, 7)) < ?"
            " AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.client_id = a.id)",
            (Role.CLIENT.value, cutoff))
        erased = []
        for row in rows:
            async with self._db.transaction() as tx:
                # Asked again inside the transaction: a login or a booking may have come.
                still = await tx.fetchone(
                    "SELECT 1 FROM account a WHERE id = ?"
                    " AND COALESCE(active_month, substr(created_at, 1, 7)) < ?"
                    " AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.client_id = a.id)",
                    (row["id"], cutoff))
                if still is None:
                    continue
                await delete_client(tx, row["id"], row["username"], now)
                await self._audit.record(tx, actor_name, "retention.erase-account", row["id"])
                tx.mark_erasure()
            self._hub.publish(account_topic(row["id"]), AccountClosed(row["id"], "erased"))
            erased.append(row["id"])
        return erased

    async def _old_records(self) -> tuple[int, int]:
        now = self._db.clock.now()
        async with self._db.transaction() as tx:
            audit = await tx.execute_rowcount(
                "DELETE FROM audit WHERE at < ?",
                (to_iso(now - timedelta(days=self.limits.audit_days)),))
            ledger = await tx.execute_rowcount(
                "DELETE FROM erasure_ledger WHERE at < ?",
                (to_iso(now - timedelta(days=LEDGER_DAYS)),))
            if audit or ledger:
                tx.mark_erasure()
        return audit, ledger
