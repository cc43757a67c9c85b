"""Deleted means deleted at byte level: after the purge or an erasure, a message's UTF-8 bytes
are in none of the database's files (main, -wal, -shm, -journal), even when another
connection held a read transaction while the deletion ran."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

from tests.retention_world import ended_room_with_marker, files_holding, make_world, new_token

DAY = timedelta(days=1)


async def test_purge_leaves_no_bytes(services, clock):
    world = await make_world(services, clock)
    token = new_token()
    await ended_room_with_marker(services, clock, world, token)
    await services.db.checkpoint()  # the marker now sits in the main file's overflow pages
    assert files_holding(services.db.path, token) == ["wardroom.db"]

    clock.set(world.ends + 56 * DAY)
    assert (await services.retention_task.purge()).rooms == [world.booking.id]
    assert files_holding(services.db.path, token) == []


async def test_purge_leaves_no_bytes_while_a_reader_holds_a_snapshot(services, clock):
    world = await make_world(services, clock)
    token = new_token()
    await ended_room_with_marker(services, clock, world, token)
    assert files_holding(services.db.path, token)  # in the -wal, not yet checkpointed

    reader = sqlite3.connect(services.db.path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM message").fetchone()[0] == 4
        clock.set(world.ends + 56 * DAY)
        purge = asyncio.create_task(services.retention_task.purge())
        await asyncio.sleep(0.3)
        # The delete is committed, but TRUNCATE cannot finish while the snapshot is held:
        # the purge keeps retrying rather than returning with the bytes still in the WAL.
        assert not purge.done()
        assert files_holding(services.db.path, token)
        reader.execute("COMMIT")
    finally:
        reader.close()
    await asyncio.wait_for(purge, 10)
    assert files_holding(services.db.path, token) == []


async def test_erasure_leaves_no_bytes(services, clock):
    world = await make_world(services, clock)
    token = new_token()
    await ended_room_with_marker(services, clock, world, token)
    await services.requests.file(world.client, f"{token}-START Anliegen {token}-END")
    await services.db.checkpoint()
    assert files_holding(services.db.path, token) == ["wardroom.db"]

    await services.erasure.erase_client(world.admin, "klara", confirm="klara")
    assert files_holding(services.db.path, token) == []
