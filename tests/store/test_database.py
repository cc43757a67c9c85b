"""The database owner: safe pragmas on every connection, private files, migrations."""

from __future__ import annotations

import os
import stat

import aiosqlite
import pytest

from store.backends.sqlite import _split_sql, apply_pragmas
from store.database import Database, DatabaseError, migrations


async def test_pragmas_are_applied_and_read_back(tmp_path):
    db = await Database.open(tmp_path / "w.db")
    try:
        for pragma, expected in [("journal_mode", "wal"), ("synchronous", 2),
                                 ("foreign_keys", 1), ("secure_delete", 1)]:
            row = await db.fetchone(f"PRAGMA {pragma}")
            assert row[0] == expected, pragma
    finally:
        await db.close()


async def test_a_pragma_that_does_not_stick_refuses_to_open(tmp_path, monkeypatch):
    import store.backends.sqlite as database

    monkeypatch.setattr(database, "_PRAGMAS", (("secure_delete", "ON", "2"),))
    conn = await aiosqlite.connect(tmp_path / "w.db")
    try:
        with pytest.raises(DatabaseError, match="secure_delete"):
            await apply_pragmas(conn)
    finally:
        await conn.close()


async def test_database_files_are_private(tmp_path):
    old_umask = os.umask(0o022)  # a typical umask would make new files world-readable
    try:
        db = await Database.open(tmp_path / "w.db")
        await db.execute("CREATE TABLE IF NOT EXISTS t (x)")
        for name in ("w.db", "w.db-wal", "w.db-shm"):
            path = tmp_path / name
            assert path.exists(), name
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (name, oct(path.stat().st_mode))
        await db.close()
    finally:
        os.umask(old_umask)


async def test_an_existing_readable_database_is_tightened(tmp_path):
    path = tmp_path / "w.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    db = await Database.open(path)
    await db.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_migrations_set_user_version_to_the_last(tmp_path):
    db = await Database.open(tmp_path / "w.db")
    try:
        row = await db.fetchone("PRAGMA user_version")
        assert row[0] == migrations()[-1][0]
    finally:
        await db.close()


def test_semicolons_in_comments_do_not_split_statements():
    script = "-- one; two\nCREATE TABLE a (x TEXT); -- tail; comment\nCREATE TABLE b (y);\n"
    assert [s.split()[2] for s in _split_sql(script)] == ["a", "b"]
