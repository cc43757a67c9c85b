"""`wardroom restore`: a backup put in place of the database, every erasure since replayed.
(This is the SQLite way; a PostgreSQL database takes the same steps with a staging database
in place of the temporary file: store.backup.restore_postgres.)

The order keeps unerased data from ever lying where a server could serve it:
1. the database's lock, exclusively: no server and no admin command has it open;
2. the backup decrypted beside the database into a temporary file (with the operator's age
   identity, or the old key for a backup made before age) and checked with PRAGMA
   integrity_check; a failure stops here with the database untouched;
3. the erasure ledger read from the current database, the one place that knows which
   erasures came after the backup, and with it the standing decisions that protect data
   (StandingDecisions: retention choices, booking ends, disabled accounts, passwords);
4. in the temporary file: every ledger entry the backup's own ledger lacks is replayed with
   its original time (so the ledger stays complete for a later restore), the standing
   decisions are carried over, then retention runs;
5. only then the swap: the old database stays linked aside until the new one is in place, and
   is then overwritten and removed with its -wal and -shm.

Entries are compared whole rather than by the backup's time: an erasure that committed while
the backup was being copied may carry an earlier time, and is still replayed if the backup
does not know it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pyrage import x25519

from store.accounts.roles import Role
from store.audit import AuditTrail
from store.backends.sqlite import integrity_problems
from store.backup import file_v1 as backup_file_v1
from store.backup.backups import backup_id, created_at_of
from store.backup.file import BackupUnreadable, is_age, unseal
from store.clock import Clock, from_iso
from store.database import Database, DatabaseError, Transaction, is_postgres_url
from store.database_lock import holding
from store.deletion.erasure import delete_client
from store.deletion.ledger import ErasureEntry, ErasureKind, erasures_since, record_erasure
from store.deletion.retention_task import RetentionTask
from store.deletion.room_deletion import delete_room
from store.deletion.shredding import shred_database, sqlite_companions
from store.deletion.storage_limits import StorageLimits
from store.deletion.storage_sweep import StorageSweep
from store.errors import Invalid
from store.hub.hub import Hub


class LedgerUnavailable(Invalid):
    """The current database's erasure ledger cannot be read, so the restore will not run
    unless told to go without it."""


_KEY_COLUMNS = ("id, account_id, public_key, sealed_by_password, sealed_by_recovery,"
                " recovery_code_sealed, recovery_code_shown, created_on, reset_by_staff,"
                " retired_on")


@dataclass(frozen=True)
class RestoreKeys:
    """What opens a backup: the age identities, or for a backup made before age, the old key.
    Neither is ever kept by the server; the operator brings them to a restore."""

    identities: tuple[x25519.Identity, ...] = ()
    old_key: backup_file_v1.V1Key | None = None


@dataclass(frozen=True)
class StandingDecisions:
    """What the current database decided after the backup that must hold after a restore too,
    because undoing it would show or keep data longer than promised:
    - a client's retention window (their latest choice decides when rooms go; a shorter one
      chosen after the backup must not turn back into 56 days);
    - a booking's end, where it is earlier now (a booking ended early stays ended, so its
      counsellor never regains the room; an extension after the backup is lost like the
      other changes);
    - a disabled account stays disabled;
    - an account's password as it is now (an old, perhaps leaked, one must not work again),
      and with it its key pairs as they are now (sealed under that password; a pair a staff
      reset retired stays retired);
    - the copies of room keys as they are now (a counsellor's copy destroyed at a booking's
      end stays destroyed; access given back after a reset stays given).
    Rows are matched by id and by who they are about, never by id alone."""

    accounts: list[tuple[int, str, int | None, int, str, int]]
    booking_ends: list[tuple[int, int, int, str, int]]
    account_keys: list[tuple] = field(default_factory=list)
    room_keys: list[tuple[int, int, bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class RestoreReport:
    backup_id: int
    created_at: datetime
    rooms_replayed: int
    accounts_replayed: int
    retention_rooms: int
    retention_messages: int
    accounts_carried: int = 0  # accounts whose standing decisions differed from the backup's
    bookings_carried: int = 0


def aside_path(db_path: Path) -> Path:
    """Where the old database waits while the restored one is put in place."""
    return db_path.with_name(db_path.name + ".pre-restore")


async def restore(backup: Path, db: Path | str, keys: RestoreKeys, clock: Clock,
                  actor_name: str, *, without_ledger: bool = False) -> RestoreReport:
    """`db`: the SQLite file or the PostgreSQL URL (store.backup.restore_postgres)."""
    created_at = created_at_of(backup)
    if created_at is None:
        raise Invalid(f"{backup.name} is not named like a backup (wardroom-<id>.backup, the id "
                      "being when it was taken); give it back its name")
    if is_postgres_url(db):
        from store.backup.restore_postgres import restore_into_postgres

        return await restore_into_postgres(backup, str(db), created_at, keys, clock,
                                           actor_name, without_ledger)
    db_path = Path(db)
    with holding(db_path, exclusive=True):
        if await asyncio.to_thread(aside_path(db_path).exists):
            raise Invalid(f"{aside_path(db_path)} is left from a restore that did not finish; "
                          "see docs/backup-runbook.md before restoring again")
        fd, name = tempfile.mkstemp(dir=db_path.parent, prefix=f".{db_path.name}.restore-")
        restored = Path(name)
        try:
            await asyncio.to_thread(decrypt_into, backup, fd, keys)
            if problems := await integrity_problems(restored):
                raise BackupUnreadable(f"the database inside the backup is damaged: "
                                       f"{problems[0]}")
            current, decisions = (([], StandingDecisions([], [])) if without_ledger
                                   else await current_state(db_path, clock))
            report = await bring_up_to_date(restored, created_at, current, decisions, clock,
                                            actor_name)
            await asyncio.to_thread(_swap, restored, db_path)
        except BaseException:
            await asyncio.to_thread(shred_database, restored)
            raise
    return report


def decrypt_into(backup: Path, fd: int, keys: RestoreKeys) -> None:
    with os.fdopen(fd, "wb") as out:
        if is_age(backup):
            if not keys.identities:
                raise BackupUnreadable("this backup is an age file: it needs the age identity "
                                       "(--identity)")
            unseal(backup, out, list(keys.identities))
        elif backup_file_v1.is_v1(backup):
            if keys.old_key is None:
                raise BackupUnreadable("this backup is in the old wardroom format, made before "
                                       "age: it needs the old key file (--old-key)")
            backup_file_v1.decrypt(backup, out, keys.old_key)
        else:
            raise BackupUnreadable("not a wardroom backup: neither an age file nor the old "
                                   "format")
        out.flush()
        os.fsync(out.fileno())


async def current_state(db_target: Path | str,
                        clock: Clock) -> tuple[list[ErasureEntry], StandingDecisions]:
    advice = ("; if the database is lost or beyond reading, restore with --without-ledger "
              "and follow docs/backup-runbook.md")
    if not is_postgres_url(db_target) and not await asyncio.to_thread(Path(db_target).exists):
        raise LedgerUnavailable(f"there is no database at {db_target} whose erasure ledger "
                                f"could be replayed{advice}")
    try:
        db = await Database.open(db_target, clock)
        try:
            return await erasures_since(db), await _standing_decisions(db)
        finally:
            await db.close()
    except (sqlite3.Error, DatabaseError) as error:
        raise LedgerUnavailable(f"cannot read the erasure ledger of {db_target} "
                                f"({error}){advice}") from None


async def _standing_decisions(db: Database) -> StandingDecisions:
    accounts = await db.fetchall(
        "SELECT id, username, retention_days, disabled, password_hash, must_change_password"
        " FROM account")
    bookings = await db.fetchall(
        "SELECT id, client_id, counsellor_id, ends_at, ended_early FROM booking")
    account_keys = await db.fetchall(f"SELECT {_KEY_COLUMNS} FROM account_key")
    room_keys = await db.fetchall("SELECT booking_id, key_id, sealed FROM room_key")
    return StandingDecisions([tuple(r) for r in accounts], [tuple(r) for r in bookings],
                             [tuple(r) for r in account_keys], [tuple(r) for r in room_keys])


async def _carry_over(tx: Transaction, decisions: StandingDecisions) -> tuple[int, int]:
    """Apply the current database's standing decisions to the restored rows they are about;
    returns how many accounts and bookings changed."""
    accounts = bookings = 0
    for account_id, username, retention, disabled, password_hash, must_change in (
            decisions.accounts):
        accounts += await tx.execute_rowcount(
            "UPDATE account SET retention_days = ?,"
            " disabled = CASE WHEN disabled < ? THEN ? ELSE disabled END,"
            " password_hash = ?, must_change_password = ?"
            " WHERE id = ? AND username = ? AND (coalesce(retention_days, 0) != ?"
            " OR disabled < ? OR password_hash != ? OR must_change_password != ?)",
            # A window is 14, 21 or 56 days, or none (NULL): 0 stands for none.
            (retention, disabled, disabled, password_hash, must_change, account_id, username,
             retention or 0, disabled, password_hash, must_change))
    for booking_id, client_id, counsellor_id, ends_at, ended_early in decisions.booking_ends:
        bookings += await tx.execute_rowcount(
            "UPDATE booking SET ends_at = ?, ended_early = ? WHERE id = ? AND client_id = ?"
            " AND counsellor_id = ? AND ends_at > ? AND starts_at < ?",
            (ends_at, ended_early, booking_id, client_id, counsellor_id, ends_at, ends_at))
    await _carry_keys(tx, decisions)
    return accounts, bookings


async def _carry_keys(tx: Transaction, decisions: StandingDecisions) -> None:
    """The key pairs and room-key copies of every account in both databases, as they are now;
    deleting an account's pairs first takes the backup's copies sealed to them along."""
    same = {account_id for account_id, username, *_ in decisions.accounts
            if await tx.fetchone("SELECT 1 FROM account WHERE id = ? AND username = ?",
                                 (account_id, username))}
    placeholders = ", ".join("?" * len(_KEY_COLUMNS.split(",")))
    carried_keys = set()
    for account_id in same:
        await tx.execute("DELETE FROM account_key WHERE account_id = ?", (account_id,))
    for row in decisions.account_keys:
        if row[1] in same:
            await tx.execute(f"INSERT INTO account_key ({_KEY_COLUMNS}) VALUES ({placeholders})",
                             row)
            carried_keys.add(row[0])
    for booking_id, key_id, sealed in decisions.room_keys:
        if key_id in carried_keys:
            # Only into the same booking: its id, with the pair's account one of its parties.
            await tx.execute(
                "INSERT INTO room_key (booking_id, key_id, sealed) SELECT ?, ?, ?"
                " WHERE EXISTS (SELECT 1 FROM booking b JOIN account_key k ON k.id = ?"
                " WHERE b.id = ? AND k.account_id IN (b.client_id, b.counsellor_id))"
                " ON CONFLICT (booking_id, key_id) DO UPDATE SET sealed = excluded.sealed",
                (booking_id, key_id, sealed, key_id, booking_id))


async def bring_up_to_date(restored: Path | str, created_at: datetime,
                           current: list[ErasureEntry], decisions: StandingDecisions,
                           clock: Clock, actor_name: str) -> RestoreReport:
    """In the restored database (a file, or a PostgreSQL database not yet in service):
    replay the erasures it lacks, carry the standing decisions over, then run retention."""
    db = await Database.open(restored, clock)
    try:
        known = set(await erasures_since(db))
        pending = [entry for entry in current if entry not in known]
        audit = AuditTrail(db)
        async with db.transaction() as tx:
            for entry in pending:
                await _replay(tx, entry)
            carried = await _carry_over(tx, decisions)
            await audit.record(tx, actor_name, "backup.restore", backup_id(created_at))
            tx.mark_erasure()
        hub = Hub()
        purged = await RetentionTask(db, hub, audit,
                                     StorageSweep(db, hub, audit, StorageLimits())).purge()
    finally:
        await db.close()
    return RestoreReport(
        backup_id(created_at), created_at,
        rooms_replayed=sum(e.kind is ErasureKind.ROOM for e in pending),
        accounts_replayed=sum(e.kind is ErasureKind.ACCOUNT for e in pending),
        retention_rooms=len(purged.rooms), retention_messages=purged.messages,
        accounts_carried=carried[0], bookings_carried=carried[1])


async def _replay(tx: Transaction, entry: ErasureEntry) -> None:
    """Delete what the entry names, if the backup still has it, and record the entry."""
    at = from_iso(entry.at)
    if entry.kind is ErasureKind.ROOM:
        if await tx.fetchone("SELECT 1 FROM booking WHERE id = ?", (entry.target_id,)):
            await delete_room(tx, entry.target_id, at)
            return
    elif entry.kind is ErasureKind.REQUEST:
        await tx.execute("DELETE FROM request WHERE id = ?", (entry.target_id,))
    else:
        row = await tx.fetchone("SELECT username FROM account WHERE id = ? AND role = ?",
                                (entry.target_id, Role.CLIENT.value))
        if row is not None:
            await delete_client(tx, entry.target_id, row["username"], at)
            return
    await record_erasure(tx, entry.kind, entry.target_id, at)


def _swap(restored: Path, db_path: Path) -> None:
    aside = aside_path(db_path)
    moved: list[tuple[Path, Path]] = []
    if db_path.exists():
        shutil.copymode(db_path, restored)
        # A second name for the old file: the database path is never missing, and the old
        # data is only overwritten once the restored file has taken its place.
        os.link(db_path, aside)
        # A write-ahead log left beside the old file would be applied to the restored one.
        for old, kept in zip(sqlite_companions(db_path), sqlite_companions(aside), strict=True):
            if old.exists():
                os.replace(old, kept)
                moved.append((old, kept))
    try:
        os.replace(restored, db_path)
    except BaseException:
        for old, kept in moved:
            os.replace(kept, old)
        aside.unlink(missing_ok=True)
        raise
    directory = os.open(db_path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    shred_database(aside)
