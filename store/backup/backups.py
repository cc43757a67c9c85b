"""Encrypted backups of the live database at every destination, and their deletion by age.

Where a backup's metadata lives: in the backup files, not in a table. A file is named
`wardroom-<id>.backup`, its id being the UTC second it was taken (YYYYMMDDHHMMSS). A table in
the main database would itself be inside every backup, so a restore would bring back a list
that forgets every later backup (which then would never be deleted) and names files long gone.
The destinations are the truth about which backups exist, and names and formats are read
without any key, so listing and rotation work after a restore, with the database lost, and for
a destination that was offline for a while.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from store.access import require_scope
from store.accounts.accounts import Account
from store.accounts.scopes import Scope
from store.audit import AuditTrail
from store.backends.postgres import dump_database
from store.backends.sqlite import copy_database
from store.backup.file import is_age, seal
from store.backup.file_v1 import is_v1
from store.backup.key import BackupRecipients, load_recipients
from store.clock import Clock
from store.database import Database
from store.deletion.shredding import shred, shred_database
from store.errors import Invalid

log = logging.getLogger(__name__)

MAX_AGE = timedelta(weeks=8)  # SPEC: no backup outlives 8 weeks
DEFAULT_INTERVAL = timedelta(hours=24)
_ID_FORMAT = "%Y%m%d%H%M%S"
_FINAL = re.compile(r"wardroom-(\d{14})\.backup")
_PARTIAL = re.compile(r"\.wardroom-(\d{14})\.backup\.partial")


class BackupFailed(Invalid):
    """No destination could take the backup; the message says why for each."""


@dataclass(frozen=True)
class BackupPlan:
    destinations: tuple[Path, ...] = ()
    key_file: Path | None = None
    max_age: timedelta = MAX_AGE
    interval: timedelta = DEFAULT_INTERVAL


@dataclass(frozen=True)
class StoredBackup:
    id: int
    created_at: datetime
    deletes_at: datetime
    copies: tuple[Path, ...]  # one file per destination that holds it
    format: str | None  # "age", or "wardroom-v1" before age; None when no copy is readable

    @property
    def destinations(self) -> tuple[Path, ...]:
        return tuple(copy.parent for copy in self.copies)


@dataclass
class Inventory:
    backups: list[StoredBackup] = field(default_factory=list)  # oldest first
    unfinished: list[tuple[Path, datetime]] = field(default_factory=list)  # crashed writes
    unreachable: dict[Path, str] = field(default_factory=dict)  # destination → why


@dataclass
class BackupResult:
    id: int
    created_at: datetime
    written: list[Path] = field(default_factory=list)
    failed: dict[Path, str] = field(default_factory=dict)  # destination → why


def backup_id(created_at: datetime) -> int:
    return int(created_at.astimezone(UTC).strftime(_ID_FORMAT))


def backup_file_name(backup: int) -> str:
    return f"wardroom-{backup}.backup"


def created_at_of(path: Path) -> datetime | None:
    """When the backup at `path` was taken, by its name; None for a name not a backup's."""
    found = _FINAL.fullmatch(path.name)
    return _created_at(found[1]) if found else None


def _created_at(backup: str) -> datetime | None:
    try:
        return datetime.strptime(backup, _ID_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


class Backups:
    def __init__(self, db: Database, audit: AuditTrail, plan: BackupPlan) -> None:
        self._db = db
        self._audit = audit
        self.plan = plan

    @property
    def clock(self) -> Clock:
        return self._db.clock

    # -- what staff may ask --------------------------------------------------------------
    async def create(self, actor: Account) -> BackupResult:
        self._check(actor)
        return await self.take(actor.username)

    async def list(self, actor: Account) -> Inventory:
        self._check(actor)
        return await self.inventory()

    def _check(self, actor: Account) -> None:
        require_scope(actor, Scope.BACKUP, "manage backups")
        self._key_file()

    def _key_file(self) -> Path:
        if not self.plan.destinations or self.plan.key_file is None:
            raise Invalid("backups are not configured: set backup_destinations and "
                          "backup_key_file (see docs/backup-runbook.md)")
        return self.plan.key_file

    # -- the work --------------------------------------------------------------------------
    async def take(self, actor_name: str) -> BackupResult:
        """Copy the database, seal it, write it to every destination; the audit names the
        id. Fails only when no destination took it."""
        recipients = await asyncio.to_thread(load_recipients, self._key_file())
        created_at = self._db.clock.now().replace(microsecond=0)
        # One worker thread does copy, sealing and shredding: a cancelled caller cannot
        # leave the plaintext copy behind, the thread finishes and removes it.
        result = await asyncio.to_thread(self._seal_everywhere, recipients, created_at)
        if not result.written:
            raise BackupFailed("backup failed at every destination: " + "; ".join(
                f"{place}: {why}" for place, why in result.failed.items()))
        await self._audit.write(actor_name, "backup.create", result.id)
        log.info("backup %d written to %d of %d destinations", result.id, len(result.written),
                 len(self.plan.destinations))
        return result

    def _seal_everywhere(self, recipients: BackupRecipients,
                         created_at: datetime) -> BackupResult:
        result = BackupResult(backup_id(created_at), created_at)
        name = backup_file_name(result.id)
        if any((place / name).exists() for place in self.plan.destinations):
            raise BackupFailed(f"backup {result.id} exists already: one backup per second")
        # Beside a SQLite database, which already holds the same data with the same
        # protection; a PostgreSQL dump goes to this user's private temporary file.
        where = self._db.path
        fd, snapshot_name = tempfile.mkstemp(
            dir=where.parent if where else None,
            prefix=f".{where.name}.snapshot-" if where else ".wardroom-dump-")
        os.close(fd)
        snapshot = Path(snapshot_name)
        try:
            if where is not None:
                copy_database(where, snapshot)
            else:
                dump_database(self._db.target, snapshot)
            for place in self.plan.destinations:
                try:
                    _write_new(place / name, lambda out: seal(snapshot, out, recipients))
                    result.written.append(place)
                except OSError as error:
                    result.failed[place] = _reason(error)
                    log.warning("backup %d: destination %s failed (%s); retried later",
                                result.id, place, _reason(error))
        finally:
            shred_database(snapshot)
        return result

    async def inventory(self) -> Inventory:
        return await asyncio.to_thread(self._scan)

    def _scan(self) -> Inventory:
        inventory = Inventory()
        copies: dict[int, tuple[datetime, list[Path]]] = {}
        for place in self.plan.destinations:
            try:
                names = sorted(os.listdir(place))
            except OSError as error:
                inventory.unreachable[place] = _reason(error)
                continue
            for name in names:
                found = _FINAL.fullmatch(name) or _PARTIAL.fullmatch(name)
                created_at = _created_at(found[1]) if found else None
                if created_at is None:
                    continue  # not ours: a destination may hold other files too
                if found.re is _PARTIAL:
                    inventory.unfinished.append((place / name, created_at))
                else:
                    copies.setdefault(int(found[1]), (created_at, []))[1].append(place / name)
        for backup, (created_at, paths) in sorted(copies.items()):
            inventory.backups.append(StoredBackup(
                backup, created_at, created_at + self.plan.max_age, tuple(paths),
                _first_format(paths)))
        return inventory

    async def rotate(self, inventory: Inventory, actor_name: str) -> list[int]:
        """Delete every backup (and every unfinished write) whose deletion date has come;
        returns the ids deleted everywhere. A copy that cannot be deleted now is tried
        again at the next run."""
        now = self._db.clock.now()
        due = [b for b in inventory.backups if b.deletes_at <= now]
        stale = [path for path, created in inventory.unfinished
                 if created + self.plan.max_age <= now]
        gone = await asyncio.to_thread(_delete, due, stale)
        if gone:
            await self._audit.write(actor_name, "backup.delete", *gone)
            log.info("backups deleted on their date: %s", ", ".join(map(str, gone)))
        return gone

    async def repair(self, inventory: Inventory) -> dict[Path, str]:
        """Copy each live backup to every reachable destination that lacks it (one that
        failed, or was added later); returns the destinations that failed again."""
        return await asyncio.to_thread(self._copy_missing, inventory)

    def _copy_missing(self, inventory: Inventory) -> dict[Path, str]:
        now = self._db.clock.now()
        failed: dict[Path, str] = {}
        for backup in inventory.backups:
            if backup.deletes_at <= now or backup.format is None:
                continue
            source = backup.copies[0]
            for place in self.plan.destinations:
                if place in backup.destinations or place in inventory.unreachable:
                    continue
                try:
                    _write_new(place / source.name,
                               lambda out, src=source: _copy_bytes(src, out))
                    log.info("backup %d copied to %s", backup.id, place)
                except OSError as error:
                    failed[place] = _reason(error)
                    log.warning("backup %d: copy to %s failed (%s); retried later",
                                backup.id, place, _reason(error))
        return failed


def _write_new(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write a file under a hidden partial name, flush it to disk, then give it its name: a
    half-written file never looks like a backup. A destination directory is never created:
    an unmounted mount point must fail, not fill the disk beneath it."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                       "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)  # sealed bytes only: no need to overwrite them
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _copy_bytes(source: Path, out: BinaryIO) -> None:
    with source.open("rb") as src:
        shutil.copyfileobj(src, out, 1 << 20)


def _first_format(paths: list[Path]) -> str | None:
    for path in paths:
        try:
            if is_age(path):
                return "age"
            if is_v1(path):
                return "wardroom-v1"
        except OSError:
            continue
    return None


def _delete(due: list[StoredBackup], stale: list[Path]) -> list[int]:
    """Overwritten before unlinking, like everything else that goes for good."""
    gone = []
    for backup in due:
        left = False
        for path in backup.copies:
            try:
                shred(path)
            except OSError as error:
                left = True
                log.warning("backup %d: cannot delete %s (%s); retried later", backup.id,
                            path, _reason(error))
        if not left:
            gone.append(backup.id)
    for path in stale:
        try:
            shred(path)
        except OSError as error:
            log.warning("cannot delete unfinished backup %s (%s); retried later", path,
                        _reason(error))
    return gone
