"""Deleting one ward room: the steps, shared by the retention task (a transaction per step)
and by an account erasure or a restore's replay (all steps in the caller's transaction)."""

from __future__ import annotations

from datetime import datetime

from store.database import Database, Transaction
from store.deletion.ledger import ErasureKind, record_erasure
from store.sealing.room_keys import RoomKeys

# Messages per DELETE: small enough that one batch with its checkpoint keeps another writer
# waiting well under 100 ms (benchmarks.purge, "db wait max").
MESSAGE_BATCH = 500


async def delete_room(tx: Transaction, booking_id: int, at: datetime) -> int:
    """Delete one ward room whole inside the caller's transaction, which makes it
    all-or-nothing and must call `tx.mark_erasure()`; returns how many messages went."""
    await erase_room_key(tx, booking_id, at)
    messages = 0
    while True:
        deleted = await _delete_message_batch(tx, booking_id)
        messages += deleted
        if deleted < MESSAGE_BATCH:
            break
    await _delete_room_rows(tx, booking_id)
    return messages


async def begin_room_deletion(tx: Transaction, booking_id: int, at: datetime) -> None:
    """The short first step of a deletion in steps: after it commits, the room opens for
    nobody and every reader treats its booking as gone (`Booking.deleting`), so the rest may
    take many transactions without a half-deleted room ever being shown. The caller marks
    the transaction as an erasure."""
    await erase_room_key(tx, booking_id, at)
    await tx.execute("UPDATE booking SET deleting = 1 WHERE id = ?", (booking_id,))


async def erase_room_key(tx: Transaction, booking_id: int, at: datetime) -> None:
    # Cryptographic deletion first: with every copy of its key gone, the room's ciphertext
    # (here, in a backup, on a copied disk) opens for nobody, before a single row goes. The
    # ledger entry is written with it, so a restore replays the deletion from this moment.
    await RoomKeys.destroy_room(tx, booking_id)
    await record_erasure(tx, ErasureKind.ROOM, booking_id, at)


async def finish_room_deletion(db: Database, booking_id: int) -> int:
    """Delete the messages and rows of a room whose deletion has begun, one batch per
    transaction (other writers go between them), each checkpointed so no deleted byte stays
    in the write-ahead log; returns how many messages went. Safe to repeat after a crash."""
    messages = 0
    while True:
        async with db.transaction() as tx:
            deleted = await _delete_message_batch(tx, booking_id)
            messages += deleted
            last = deleted < MESSAGE_BATCH
            if last:
                await _delete_room_rows(tx, booking_id)
            tx.mark_erasure()
        if last:
            return messages


async def _delete_message_batch(tx: Transaction, booking_id: int) -> int:
    return await tx.execute_rowcount(
        "DELETE FROM message WHERE id IN (SELECT id FROM message WHERE booking_id = ? LIMIT ?)",
        (booking_id, MESSAGE_BATCH))


async def _delete_room_rows(tx: Transaction, booking_id: int) -> None:
    await tx.execute("DELETE FROM room_read WHERE booking_id = ?", (booking_id,))
    # The request's text is about the same counselling: it goes with its room.
    await tx.execute("DELETE FROM request WHERE booking_id = ?", (booking_id,))
    await tx.execute("DELETE FROM booking WHERE id = ?", (booking_id,))
