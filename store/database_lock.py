"""Who uses a database file: every wardroom process holds a shared lock on `<db>.lock`, and
`wardroom restore` takes it exclusively, so it never swaps a database under a running server.
A PostgreSQL database has no file here: several nodes use it at once by design.

A kernel lock (flock) rather than a pid file: it disappears with the process however that
ends (kill -9 included), so there is no stale file to clean up and no recycled pid to trust.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from store.database import is_postgres_url


class DatabaseInUse(RuntimeError):
    """Another process has the database open (or is restoring it)."""


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextmanager
def holding(db: Path | str, *, exclusive: bool = False) -> Iterator[None]:
    """Hold the database's lock for the block: shared to use it, exclusive to replace it."""
    if is_postgres_url(db):
        yield
        return
    db_path = Path(db)
    # The lock file stays: removing it would let two processes lock two different files.
    fd = os.open(lock_path(db_path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            if exclusive:
                raise DatabaseInUse(f"{db_path} is in use: stop `wardroom serve` and every "
                                    "`wardroom admin` command on it first") from None
            raise DatabaseInUse(f"{db_path} is being restored; try again when the restore "
                                "has finished") from None
        yield
    finally:
        os.close(fd)
