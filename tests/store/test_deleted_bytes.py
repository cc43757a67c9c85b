"""Deleted means deleted at byte level. Message text never reaches the database files at all
(sealed rooms); after the purge or an erasure, every sealed copy of the room's key and every
ciphertext are in none of the database's files (main, -wal, -shm, -journal), even when another
connection held a read transaction while the deletion ran."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

import pytest

from tests.retention_world import (
    ended_room_with_marker,
    files_holding,
    files_holding_bytes,
    make_world,
    new_token,
    room_secrets,
)

# SQLite's own files, read byte by byte (PostgreSQL: tests/store/test_postgres_deletion.py).
pytestmark = pytest.mark.sqlite_only

DAY = timedelta(days=1)


async def test_purge_leaves_no_bytes(services, clock):
    world = await make_world(services, clock)
    token = new_token()
    await ended_room_with_marker(services, clock, world, token)
    secrets = await room_secrets(services, world.booking.id)
    await services.db.checkpoint()  # the sealed rows now sit in the main file
    assert files_holding(services.db.path, token) == []  # the text was never there
    assert files_holding_bytes(services.db.path, secrets) == ["wardroom.db"]

    clock.set(world.ends + 56 * DAY)
    assert (await services.retention_task.purge()).rooms == [world.booking.id]
    assert files_holding_bytes(services.db.path, secrets) == []


async def test_purge_leaves_no_bytes_while_a_reader_holds_a_snapshot(services, clock):
    world = await make_world(services, clock)
    token = new_token()
    await ended_room_with_marker(services, clock, world, token)
    secrets = await room_secrets(services, world.booking.id)
    assert files_holding_bytes(services.db.path, secrets)  # in the -wal, not yet checkpointed

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
        assert files_holding_bytes(services.db.path, secrets)
        reader.execute("COMMIT")
    finally:
        reader.close()
    await asyncio.wait_for(purge, 10)
    assert files_holding_bytes(services.db.path, secrets) == []


async def test_erasure_leaves_no_bytes(services, clock):
    world = await make_world(services, clock)
    token = new_token()
    await ended_room_with_marker(services, clock, world, token)
    await services.requests.file(world.client, f"{token}-START Anliegen {token}-END")
    key_pairs = [bytes(r["sealed_by_password"]) for r in await services.db.fetchall(
        "SELECT sealed_by_password FROM account_key WHERE account_id = ?", (world.client.id,))]
    secrets = await room_secrets(services, world.booking.id) + key_pairs
    await services.db.checkpoint()
    assert files_holding(services.db.path, token) == ["wardroom.db"]  # the request's text
    assert files_holding_bytes(services.db.path, secrets) == ["wardroom.db"]

    await services.erasure.erase_client(world.admin, "klara", confirm="klara")
    assert files_holding(services.db.path, token) == []
    assert files_holding_bytes(services.db.path, secrets) == []
