"""Removing a file that held personal data: its bytes are overwritten before it is unlinked."""

from __future__ import annotations

import os
from pathlib import Path

_BLOCK = 1 << 20


def shred(path: Path) -> None:
    """Overwrite the file with zeros, flush it to disk, then unlink it; a missing file is fine.

    Unlinking alone would leave the plaintext in free blocks of the file system, which is the
    same reason the database runs with secure_delete.
    """
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return
    try:
        remaining = os.fstat(fd).st_size
        zeros = bytes(_BLOCK)
        while remaining > 0:
            remaining -= os.write(fd, zeros[:min(remaining, _BLOCK)])
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink(missing_ok=True)


def sqlite_companions(db_path: Path) -> list[Path]:
    """The files SQLite may keep beside a database: write-ahead log, shared memory, journal."""
    return [db_path.with_name(db_path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def shred_database(db_path: Path) -> None:
    """A database file with whatever SQLite left beside it."""
    for path in (db_path, *sqlite_companions(db_path)):
        shred(path)
