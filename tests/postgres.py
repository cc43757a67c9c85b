"""Throwaway PostgreSQL databases for the tests that run on both engines.

`.ci/run` starts a throwaway PostgreSQL 15 cluster (scripts/throwaway-postgres) and names it in
TEST_POSTGRESQL_URL, a URL of its maintenance database. Each test gets a database of its
own, made from template0 and dropped afterwards, so tests in parallel never meet. Without the
variable the PostgreSQL half of those tests is skipped, with that reason.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from store.backends.postgres import with_database
from store.hub.node_bus import NODE_LOCKS

# Not WARDROOM_*: every such variable is a setting, and `wardroom` refuses unknown ones.
ENV = "TEST_POSTGRESQL_URL"


def maintenance_url() -> str:
    url = os.environ.get(ENV)
    if not url:
        pytest.skip(f"no PostgreSQL to test against: set {ENV} (.ci/run starts one)")
    return url


@asynccontextmanager
async def throwaway_database() -> AsyncIterator[str]:
    """The URL of a new, empty database; dropped, with whatever still holds it, at the end."""
    base = maintenance_url()
    name = f"wardroom_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await admin.close()
    try:
        yield with_database(base, name)
    finally:
        admin = await asyncpg.connect(base)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def run_on_both_engines(metafunc: pytest.Metafunc) -> None:
    """For a folder's pytest_generate_tests: each test that opens `services` runs once on SQLite
    and once on PostgreSQL, unless marked `sqlite_only` (it reads SQLite's own files) or
    `postgresql_only` (it reads PostgreSQL's)."""
    if "backend" not in metafunc.fixturenames:
        return
    marks = {mark.name for mark in metafunc.definition.iter_markers()}
    if "sqlite_only" in marks:
        return
    engines = ["postgresql"] if "postgresql_only" in marks else ["sqlite", "postgresql"]
    metafunc.parametrize("backend", engines, indirect=True)


async def cut_off_node(url: str, node: int) -> int:
    """As if node `node` died: PostgreSQL ends the connection holding its liveness lock (and
    so the lock). Returns how many connections it ended."""
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory'"
            " AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 2",
            NODE_LOCKS, node))
    finally:
        await conn.close()
