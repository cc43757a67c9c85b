"""`wardroom keygen` and `wardroom restore`, run on the host (the staff's `admin backup` is in
sshd_app/commands/backup.py): keygen makes an age identity for the operator and gives the
server only its recipient; restore puts a backup in place of the stopped server's database
with the identity the operator brings."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from pyrage import x25519

from sshd_app.config import Settings, local_database
from store.backup.file_v1 import load_v1_key
from store.backup.key import (
    KeyFileError,
    add_recipient,
    generate_identity,
    identity_text,
    parse_identities,
)
from store.backup.restore import RestoreKeys, restore
from store.clock import Clock, SystemClock, berlin_minute
from store.database import redacted
from store.database_lock import DatabaseInUse
from store.errors import Invalid

_WHERE_IS_THE_KEY = ("wardroom: name the recipients file: --key-file FILE, or backup_key_file "
                     "in the settings")
_NO_IDENTITY = ("wardroom: restore needs the offline age identity: --identity FILE, or "
                "--identity - to read it from standard input (--old-key FILE for a backup in "
                "the old format); nothing was restored")


def _fail(message: str) -> int:
    print(f"wardroom: {message}", file=sys.stderr)
    return 1


def keygen(settings: Settings, recipient: str | None, clock: Clock | None = None) -> int:
    """Without `recipient`: a new identity on standard output, the only copy there will be,
    and its recipient added to the file; what to do with it goes to standard error, so
    `wardroom keygen > FILE` writes a clean identity file."""
    if not settings.backup_key_file:
        print(_WHERE_IS_THE_KEY, file=sys.stderr)
        return 2
    path = Path(settings.backup_key_file)
    now = (clock or SystemClock()).now()
    identity = generate_identity() if recipient is None else None
    new = identity.recipient if identity is not None else str(recipient)
    try:
        recipients = add_recipient(path, new, local_database(settings),
                                   tuple(Path(d) for d in settings.backup_destinations), now)
    except KeyFileError as error:
        return _fail(str(error))
    if identity is not None:
        sys.stdout.write(identity_text(identity, now))
        sys.stdout.flush()
    print(f"added the recipient {new} to {path} ({len(recipients.keys)} in "
          "all); backups from now on are written to each of them", file=sys.stderr)
    if identity is not None:
        print("The identity (on standard output) is shown this once and kept nowhere else: "
              "store it offline, apart from the backups. Without it, its backups cannot be "
              "restored.", file=sys.stderr)
    return 0


async def restore_backup(settings: Settings, backup: Path, identity: str | None,
                         old_key: str | None, without_ledger: bool,
                         clock: Clock | None = None) -> int:
    if identity is None and old_key is None:
        print(_NO_IDENTITY, file=sys.stderr)
        return 2
    try:
        keys = RestoreKeys(
            identities=tuple(_read_identities(identity)) if identity is not None else (),
            old_key=load_v1_key(Path(old_key)) if old_key is not None else None)
        report = await restore(backup, settings.db, keys, clock or SystemClock(),
                               f"host:{getpass.getuser()}", without_ledger=without_ledger)
    except (Invalid, DatabaseInUse) as error:
        return _fail(f"{error}; nothing was restored")
    except OSError as error:
        return _fail(f"{error.filename or backup}: {error.strerror}; nothing was restored")
    print(f"restored backup {report.backup_id} (taken {berlin_minute(report.created_at)} "
          f"Europe/Berlin) into {redacted(settings.db)}")
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


def _read_identities(identity: str) -> list[x25519.Identity]:
    if identity == "-":
        return parse_identities(sys.stdin.read(), "standard input")
    return parse_identities(Path(identity).read_text(encoding="ascii", errors="replace"),
                            identity)
