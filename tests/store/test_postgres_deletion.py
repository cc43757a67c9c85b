"""Deletion on PostgreSQL, read from the cluster's own files: message text never reaches any of
them (data files and WAL), and after a purge or an erasure the tables that held the data carry
no dead tuples (they were vacuumed), so nothing waits for autovacuum. What PostgreSQL still
holds after that (free space in pages, WAL until recycled, replicas) is in
docs/deployment-nodes.md. The test cluster's superuser reads the data directory."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from store.database import Database
from tests.retention_world import ended_room_with_marker, make_world, marker_text, new_token
from tests.sealed import post_as

pytestmark = pytest.mark.postgresql_only

DAY = timedelta(days=1)


async def _cluster_files(db: Database) -> list[Path]:
    """The database's own data files and the cluster's WAL, after a checkpoint."""
    await db.execute("CHECKPOINT")
    row = await db.fetchone(
        "SELECT current_setting('data_directory') AS data, oid FROM pg_database"
        " WHERE datname = current_database()")
    data = Path(row["data"])
    return [p for p in [*(data / "base" / str(row["oid"])).iterdir(),
                        *(data / "pg_wal").iterdir()] if p.is_file()]


async def _holding(db: Database, token: str) -> list[str]:
    needles = [f"{token}-{end}".encode(encoding) for end in ("START", "END")
               for encoding in ("utf-8", "utf-16-le", "utf-16-be")]
    return [p.name for p in await _cluster_files(db)
            if any(needle in p.read_bytes() for needle in needles)]


async def _dead_tuples(db: Database, table: str) -> int:
    await db.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
    row = await db.fetchone(f"SELECT dead_tuple_count FROM pgstattuple('{table}')")
    return int(row[0])


async def test_no_message_text_reaches_any_file_of_the_cluster(services, clock):
    world = await make_world(services, clock)
    token = new_token()
    await post_as(services, world.client, world.booking.id, marker_text(token))
    assert await _holding(services.db, token) == []


async def test_a_purge_leaves_no_dead_tuples_behind(services, clock):
    world = await make_world(services, clock)
    await ended_room_with_marker(services, clock, world, new_token())
    clock.set(world.ends + 56 * DAY)
    assert (await services.retention_task.purge()).rooms == [world.booking.id]
    for table in ("message", "room_key", "booking", "room_read"):
        assert await _dead_tuples(services.db, table) == 0, table


async def test_an_erasure_leaves_no_dead_tuples_behind(services, clock):
    world = await make_world(services, clock)
    await post_as(services, world.client, world.booking.id, "Heute geht es mir besser.")
    await services.erasure.erase_client(world.admin, world.client.username,
                                        world.client.username)
    for table in ("account", "account_key", "message", "room_key", "booking",
                  "policy_acceptance"):
        assert await _dead_tuples(services.db, table) == 0, table
