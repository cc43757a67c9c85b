"""The erasure ledger: which room or account was deleted when, with ids and time only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from store.clock import to_iso
from store.database import Database, Transaction


class ErasureKind(StrEnum):
    ROOM = "room"  # a booking's ward room with its messages (id = booking id)
    ACCOUNT = "account"  # a client's account with everything it owned (id = account id)
    REQUEST = "request"  # a request withdrawn or unmatched past its limit (id = request id)


@dataclass(frozen=True)
class ErasureEntry:
    kind: ErasureKind
    target_id: int
    at: str


async def record_erasure(tx: Transaction, kind: ErasureKind, target_id: int,
                         at: datetime) -> None:
    """Written in the deleting transaction, so an entry exists exactly when the deletion does."""
    await tx.execute("INSERT INTO erasure_ledger (kind, target_id, at) VALUES (?, ?, ?)",
                     (kind.value, target_id, to_iso(at)))


async def erasures_since(db: Database, since: datetime | None = None) -> list[ErasureEntry]:
    """Every erasure at or after `since` (all of them without it), oldest first: what a
    restore must replay."""
    rows = await db.fetchall(
        "SELECT kind, target_id, at FROM erasure_ledger WHERE at >= ? ORDER BY seq",
        (to_iso(since) if since else "",))
    return [ErasureEntry(ErasureKind(r["kind"]), r["target_id"], r["at"]) for r in rows]
