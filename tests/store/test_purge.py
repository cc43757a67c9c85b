"""The retention task: what it deletes, what it leaves, and that a failure or a kill in the
middle never leaves a half-deleted room."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

import store.deletion.retention_task
import store.deletion.room_deletion
from store.deletion.ledger import ErasureKind, erasures_since
from store.deletion.windows import RetentionWindow
from store.errors import NotFound, NotPermitted
from store.hub.hub import BookingChanged, account_topic, room_topic
from tests.conftest import START
from tests.retention_world import make_world
from tests.sealed import keys_of, post_as

DAY = timedelta(days=1)
MESSAGES_PER_ROOM = 3


async def _rooms(services, clock, count: int):
    """`count` clients, each with a one-week booking that has messages, a read marker and the
    request it was matched from; the clock is left at the bookings' end."""
    worlds = []
    for i in range(count):
        world = await make_world(services, clock, client=f"klient{i}")
        request = await services.requests.file(world.client, f"Anliegen {i}")
        await services.db.execute("UPDATE request SET status = 'matched', booking_id = ?"
                                  " WHERE id = ?", (world.booking.id, request.id))
        worlds.append(world)
    clock.advance(timedelta(hours=1))
    for world in worlds:
        for n in range(MESSAGES_PER_ROOM):
            await post_as(services, world.client, world.booking.id, f"Nachricht {n}")
    clock.set(worlds[0].ends)
    return worlds


async def _left(services, booking_id: int) -> dict[str, int]:
    counts = {}
    for table, column in (("booking", "id"), ("message", "booking_id"),
                          ("room_read", "booking_id"), ("request", "booking_id")):
        row = await services.db.fetchone(f"SELECT count(*) FROM {table} WHERE {column} = ?",
                                         (booking_id,))
        counts[table] = row[0]
    return counts


WHOLE = {"booking": 1, "message": MESSAGES_PER_ROOM, "room_read": 1, "request": 1}
GONE = {"booking": 0, "message": 0, "room_read": 0, "request": 0}


async def test_purge_deletes_due_rooms_whole_and_nothing_else(services, clock, caplog):
    worlds = await _rooms(services, clock, 2)
    await services.retention.choose(worlds[0].client, RetentionWindow.TWO_WEEKS)
    clock.set(worlds[0].ends + 14 * DAY)
    heard: list = []
    services.hub.subscribe(room_topic(worlds[0].booking.id), heard.append)
    services.hub.subscribe(account_topic(worlds[0].counsellor.id), heard.append)

    with caplog.at_level(logging.INFO, logger="store.deletion.retention_task"):
        result = await services.retention_task.purge()

    assert result.rooms == [worlds[0].booking.id]
    assert result.messages == MESSAGES_PER_ROOM
    assert await _left(services, worlds[0].booking.id) == GONE
    assert await _left(services, worlds[1].booking.id) == WHOLE
    assert heard == [BookingChanged(worlds[0].booking.id)] * 2
    # counts only in the log: no names, no text
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "1 rooms with 3 messages" in logged
    assert "klient" not in logged and "Nachricht" not in logged and "berta" not in logged


async def test_ledger_and_audit_hold_ids_and_time_only(services, clock):
    worlds = await _rooms(services, clock, 1)
    clock.set(worlds[0].ends + 56 * DAY)
    await services.retention_task.purge()
    entries = await erasures_since(services.db, START)
    assert [(e.kind, e.target_id, e.at) for e in entries] == [
        (ErasureKind.ROOM, worlds[0].booking.id, "2027-01-30T09:00:00+00:00")]
    row = await services.db.fetchone("SELECT * FROM erasure_ledger")
    assert list(row.keys()) == ["seq", "kind", "target_id", "at"]
    audit = await services.db.fetchall(
        "SELECT actor, action, target_ids FROM audit WHERE action = 'retention.delete'")
    assert [tuple(r) for r in audit] == [("retention", "retention.delete",
                                          str(worlds[0].booking.id))]


async def test_clock_jumping_backwards_deletes_nothing_early(services, clock):
    worlds = await _rooms(services, clock, 1)
    deletes_at = worlds[0].ends + 56 * DAY
    clock.set(deletes_at - DAY)
    assert (await services.retention_task.purge()).rooms == []
    clock.set(START - 400 * DAY)  # the wall clock jumps far back
    assert (await services.retention_task.purge()).rooms == []
    clock.set(deletes_at - timedelta(seconds=1))
    assert (await services.retention_task.purge()).rooms == []
    assert await _left(services, worlds[0].booking.id) == WHOLE
    clock.set(deletes_at)
    assert (await services.retention_task.purge()).rooms == [worlds[0].booking.id]


async def test_failure_mid_purge_leaves_no_half_deleted_room(services, clock, monkeypatch):
    worlds = await _rooms(services, clock, 4)
    clock.set(worlds[0].ends + 56 * DAY)
    ids = sorted(w.booking.id for w in worlds)
    real_record = store.deletion.room_deletion.record_erasure
    calls = 0

    async def failing_third_room(tx, kind, target_id, at):
        nonlocal calls
        calls += 1
        if calls == 3:  # the third room's messages are already deleted in its transaction
            raise RuntimeError("power cut")
        await real_record(tx, kind, target_id, at)

    monkeypatch.setattr(store.deletion.room_deletion, "record_erasure", failing_third_room)
    with pytest.raises(RuntimeError):
        await services.retention_task.purge()
    assert [await _left(services, i) for i in ids] == [GONE, GONE, WHOLE, WHOLE]

    monkeypatch.setattr(store.deletion.room_deletion, "record_erasure", real_record)
    result = await services.retention_task.purge()
    assert result.rooms == ids[2:]
    assert [await _left(services, i) for i in ids] == [GONE] * 4


async def _purge_killed_in_a_child(services, due, sabotage: str) -> None:
    """Run the retention task in a child process on the same database at `due`, after
    `sabotage` (code that makes the child `os._exit(9)` somewhere in the purge), and check it
    died there: no rollback, no close, as if the server were killed."""
    script = textwrap.dedent("""
        import asyncio, os, sys
        from datetime import datetime
        import store.deletion.room_deletion
        from store.clock import FrozenClock
        from store.services import Services

    """) + textwrap.dedent(sabotage) + textwrap.dedent("""
        async def main():
            clock = FrozenClock(datetime.fromisoformat(sys.argv[2]))
            services = await Services.open(sys.argv[1], clock=clock)
            await services.retention_task.purge()

        asyncio.run(main())
    """)
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", script, services.db.target, due.isoformat()],
        cwd=os.getcwd(), capture_output=True, timeout=60)
    assert done.returncode == 9, done.stderr.decode()


async def test_killed_process_mid_purge_leaves_no_half_deleted_room(services, clock):
    worlds = await _rooms(services, clock, 3)
    ids = sorted(w.booking.id for w in worlds)
    due = worlds[0].ends + 56 * DAY
    await _purge_killed_in_a_child(services, due, """
        real, calls = store.deletion.room_deletion.record_erasure, []

        async def killed_in_second_room(tx, kind, target_id, at):
            calls.append(target_id)
            if len(calls) == 2:
                os._exit(9)  # no rollback, no close: as if the server were killed
            await real(tx, kind, target_id, at)

        store.deletion.room_deletion.record_erasure = killed_in_second_room
    """)
    assert [await _left(services, i) for i in ids] == [GONE, WHOLE, WHOLE]
    clock.set(due)
    assert (await services.retention_task.purge()).rooms == ids[1:]
    assert [await _left(services, i) for i in ids] == [GONE] * 3


async def test_dry_run_and_status(services, clock):
    worlds = await _rooms(services, clock, 2)
    await services.retention.choose(worlds[1].client, RetentionWindow.THREE_WEEKS)
    clock.set(worlds[0].ends + 30 * DAY)
    status = await services.retention_task.status(worlds[0].admin)
    assert [(s.booking_id, s.deletes_at, s.due) for s in status] == [
        (worlds[1].booking.id, worlds[1].ends + 21 * DAY, True),
        (worlds[0].booking.id, worlds[0].ends + 56 * DAY, False)]
    dry = await services.retention_task.run_now(worlds[0].admin, dry_run=True)
    assert (dry.rooms, dry.messages) == ([worlds[1].booking.id], MESSAGES_PER_ROOM)
    assert await _left(services, worlds[1].booking.id) == WHOLE
    done = await services.retention_task.run_now(worlds[0].admin)
    assert done.rooms == [worlds[1].booking.id]
    audit = await services.db.fetchall("SELECT actor FROM audit WHERE action = 'retention.delete'")
    assert [r["actor"] for r in audit] == ["admin"]


async def test_only_staff_see_or_run_retention(services, clock):
    worlds = await _rooms(services, clock, 1)
    for actor in (worlds[0].client, worlds[0].counsellor):
        with pytest.raises(NotPermitted):
            await services.retention_task.status(actor)
        with pytest.raises(NotPermitted):
            await services.retention_task.run_now(actor)


async def test_task_runs_at_start_and_stops(services, clock):
    worlds = await _rooms(services, clock, 1)
    clock.set(worlds[0].ends + 56 * DAY)
    services.retention_task.start(interval_seconds=3600)
    for _ in range(200):
        if (await _left(services, worlds[0].booking.id)) == GONE:
            break
        await asyncio.sleep(0.02)
    await services.retention_task.stop()
    assert await _left(services, worlds[0].booking.id) == GONE


@pytest.mark.sqlite_only
async def test_secure_delete_is_on(services):
    row = await services.db.fetchone("PRAGMA secure_delete")
    assert row[0] == 1


async def test_task_wakes_at_the_next_deletion_date(services, clock, monkeypatch):
    monkeypatch.setattr(store.deletion.retention_task, "MIN_SLEEP_SECONDS", 0.01)
    worlds = await _rooms(services, clock, 1)
    deletes_at = worlds[0].ends + 56 * DAY
    clock.set(deletes_at - timedelta(seconds=0.1))
    asleep = asyncio.Event()
    real_delay = store.deletion.retention_task.RetentionTask._seconds_to_next

    async def noting_the_delay(task, interval_seconds):
        delay = await real_delay(task, interval_seconds)
        asleep.set()
        return delay

    monkeypatch.setattr(store.deletion.retention_task.RetentionTask, "_seconds_to_next",
                        noting_the_delay)
    services.retention_task.start(interval_seconds=3600)
    try:
        await asyncio.wait_for(asleep.wait(), 10)  # the run at start found nothing due
        assert await _left(services, worlds[0].booking.id) == WHOLE
        clock.advance(timedelta(seconds=0.2))
        for _ in range(100):
            if (await _left(services, worlds[0].booking.id)) == GONE:
                break
            await asyncio.sleep(0.02)
        assert await _left(services, worlds[0].booking.id) == GONE
    finally:
        await services.retention_task.stop()


# -- a room deleted in steps: other writers go between its batches, readers never see it ---

async def _hidden_from_everyone(services, world) -> bool:
    """The room as each of its people would look for it: listed nowhere, opened by nobody."""
    for actor in (world.client, world.counsellor, world.admin):
        if any(b.id == world.booking.id for b in await services.bookings.for_actor(actor)):
            return False
    for actor in (world.client, world.counsellor):
        with pytest.raises(NotFound):
            await services.rooms.open(actor, world.booking.id)
    return True


async def test_a_write_during_a_big_room_purge_goes_between_its_batches(
        services, clock, monkeypatch):
    # one transaction a message
    monkeypatch.setattr(store.deletion.room_deletion, "MESSAGE_BATCH", 1)
    big = await make_world(services, clock)
    clock.advance(timedelta(hours=1))
    for n in range(20):  # more batches than the post below takes database turns
        await post_as(services, big.client, big.booking.id, f"Nachricht {n}")
    clock.set(big.ends + 56 * DAY)
    other = await make_world(services, clock, client="klient9")  # active now
    keys = await keys_of(services, other.client)
    events: list[str] = []
    posting: list[asyncio.Task] = []
    real_batch = store.deletion.room_deletion._delete_message_batch

    async def noting_batches(tx, booking_id):
        events.append("batch")
        if not posting:  # a message is sent while the first batch runs
            async def post() -> None:
                await services.rooms.post(other.client, other.booking.id, "Hallo", keys)
                events.append("posted")
            posting.append(asyncio.create_task(post()))
        return await real_batch(tx, booking_id)

    monkeypatch.setattr(store.deletion.room_deletion, "_delete_message_batch", noting_batches)
    result = await services.retention_task.purge()
    await posting[0]

    assert result.rooms == [big.booking.id]
    # The message went between the room's batches: it waited for a few, not the whole room.
    assert "batch" in events[events.index("posted"):]
    assert await _left(services, big.booking.id) == GONE


# On SQLite a reader queues behind the writer's lock, so it reads exactly between two batches;
# PostgreSQL readers never wait for a writer (the test after this one reads during each batch).
@pytest.mark.sqlite_only
async def test_a_reader_between_batches_never_sees_the_room(services, clock, monkeypatch):
    monkeypatch.setattr(store.deletion.room_deletion, "MESSAGE_BATCH", 1)
    worlds = await _rooms(services, clock, 1)
    booking_id = worlds[0].booking.id
    clock.set(worlds[0].ends + 56 * DAY)
    seen: list[tuple[int, bool]] = []  # (messages still stored, hidden from everyone)
    readers: list[asyncio.Task] = []
    real_batch = store.deletion.room_deletion._delete_message_batch

    async def read() -> None:
        left = await services.db.fetchone("SELECT count(*) FROM message WHERE booking_id = ?",
                                          (booking_id,))
        seen.append((left[0], await _hidden_from_everyone(services, worlds[0])))

    async def reading_between_batches(tx, target):
        readers.append(asyncio.create_task(read()))  # runs once this batch has committed
        return await real_batch(tx, target)

    monkeypatch.setattr(store.deletion.room_deletion, "_delete_message_batch",
                        reading_between_batches)
    await services.retention_task.purge()
    await asyncio.gather(*readers)

    assert [left for left, _ in seen] == [2, 1, 0, 0]  # read mid-deletion, batch by batch
    assert all(hidden for _, hidden in seen)
    key_copies = await services.db.fetchone("SELECT count(*) FROM room_key")
    assert key_copies[0] == 0  # (the other rooms' copies: none exist in this world)


# PostgreSQL readers never wait for a writer: a reader on another connection, in the middle of
# each batch's transaction, sees what the batches before it committed, and never the room.
@pytest.mark.postgresql_only
async def test_a_reader_during_each_batch_never_sees_the_room(services, clock, monkeypatch):
    monkeypatch.setattr(store.deletion.room_deletion, "MESSAGE_BATCH", 1)
    worlds = await _rooms(services, clock, 1)
    booking_id = worlds[0].booking.id
    clock.set(worlds[0].ends + 56 * DAY)
    seen: list[tuple[int, bool]] = []  # (messages still stored, hidden from everyone)
    real_batch = store.deletion.room_deletion._delete_message_batch

    async def reading_during_the_batch(tx, target):
        left = await services.db.fetchone("SELECT count(*) FROM message WHERE booking_id = ?",
                                          (booking_id,))
        seen.append((left[0], await _hidden_from_everyone(services, worlds[0])))
        return await real_batch(tx, target)

    monkeypatch.setattr(store.deletion.room_deletion, "_delete_message_batch",
                        reading_during_the_batch)
    await services.retention_task.purge()

    # read mid-deletion, batch by batch: what the batches before committed
    assert [left for left, _ in seen] == list(range(MESSAGES_PER_ROOM, -1, -1))
    assert all(hidden for _, hidden in seen)
    assert await _left(services, booking_id) == GONE


async def test_a_purge_killed_between_batches_is_finished_by_the_next_run(services, clock):
    worlds = await _rooms(services, clock, 1)
    booking_id = worlds[0].booking.id
    due = worlds[0].ends + 56 * DAY
    await _purge_killed_in_a_child(services, due, """
        store.deletion.room_deletion.MESSAGE_BATCH = 1
        real, calls = store.deletion.room_deletion._delete_message_batch, []

        async def killed_in_second_batch(tx, booking_id):
            calls.append(booking_id)
            if len(calls) == 2:
                os._exit(9)  # no rollback, no close: as if the server were killed
            return await real(tx, booking_id)

        store.deletion.room_deletion._delete_message_batch = killed_in_second_batch
    """)

    # Half deleted on disk: key copies gone and the erasure recorded, yet shown to nobody,
    # even with the wall clock set back before the deletion date.
    left = await _left(services, booking_id)
    assert left["booking"] == 1 and 0 < left["message"] < MESSAGES_PER_ROOM
    assert (await services.db.fetchone("SELECT count(*) FROM room_key"))[0] == 0
    clock.set(worlds[0].ends)
    assert await _hidden_from_everyone(services, worlds[0])

    result = await services.retention_task.purge()
    assert (result.rooms, result.messages) == ([booking_id], left["message"])
    assert await _left(services, booking_id) == GONE
    entries = await erasures_since(services.db, START)
    assert [(e.kind, e.target_id) for e in entries] == [(ErasureKind.ROOM, booking_id)]
    audit = await services.db.fetchall("SELECT count(*) FROM audit"
                                       " WHERE action = 'retention.delete'")
    assert audit[0][0] == 1
