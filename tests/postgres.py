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
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

# Not WARDROOM_*: every such variable is a setting, and `wardroom` refuses unknown ones.
ENV = "TEST_POSTGRESQL_URL"


def maintenance_url() -> str:
    url = os.environ.get(ENV)
    if not url:
        pytest.skip(f"no PostgreSQL to test against: set {ENV} (.ci/run starts one)")
    return url


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


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
        yield database_url(base, name)
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
