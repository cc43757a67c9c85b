"""The host's backup commands: `wardroom keygen` makes the backup key, `wardroom restore`
puts a backup in place of the stopped server's database."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from sshd_app.config import Settings
from store.backup_key import KeyFileError, create_key_file, load_key_file
from store.clock import Clock, SystemClock, berlin_minute
from store.database_lock import DatabaseInUse
from store.errors import Invalid
from store.restore import restore

_WHERE_IS_THE_KEY = ("wardroom: name the key file: --key-file FILE, or backup_key_file in the "
                     "settings")


def _fail(message: str) -> int:
    print(f"wardroom: {message}", file=sys.stderr)
    return 1


def keygen(settings: Settings, clock: Clock | None = None) -> int:
    if not settings.backup_key_file:
        print(_WHERE_IS_THE_KEY, file=sys.stderr)
        return 2
    path = Path(settings.backup_key_file)
    try:
        key = create_key_file(path, Path(settings.db),
                              tuple(Path(d) for d in settings.backup_destinations),
                              (clock or SystemClock()).now())
    except KeyFileError as error:
        return _fail(str(error))
    print(f"created {path} with the backup key {key.key_id}")
    print("Keep a copy offline and apart from the backups: without it no backup can be "
          "restored.")
    return 0


async def restore_backup(settings: Settings, backup: Path, without_ledger: bool,
                         clock: Clock | None = None) -> int:
    if not settings.backup_key_file:
        print(_WHERE_IS_THE_KEY, file=sys.stderr)
        return 2
    db_path = Path(settings.db)
    try:
        key = load_key_file(Path(settings.backup_key_file))
        report = await restore(backup, db_path, key, clock or SystemClock(),
                               f"host:{getpass.getuser()}", without_ledger=without_ledger)
    except (Invalid, DatabaseInUse) as error:
        return _fail(f"{error}; nothing was restored")
    except OSError as error:
        return _fail(f"{error.filename or backup}: {error.strerror}; nothing was restored")
    print(f"restored backup {report.backup_id} (taken {berlin_minute(report.created_at)} "
          f"Europe/Berlin) into {db_path}")
    if without_ledger:
        print("erasure ledger: not replayed (--without-ledger); see docs/backup-runbook.md")
    else:
        print(f"replayed from the erasure ledger: {report.rooms_replayed} rooms, "
              f"{report.accounts_replayed} accounts")
        print(f"kept from the current database: retention choices, disabled state and "
              f"passwords of {report.accounts_carried} accounts, earlier ends of "
              f"{report.bookings_carried} bookings")
    print(f"retention: {report.retention_rooms} rooms with {report.retention_messages} "
          "messages deleted")
    return 0
