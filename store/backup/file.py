"""The backup file: the database file itself, encrypted with age (age-encryption.org/v1) to
every backup recipient, so the standard `age` and `rage` tools open it too.

age seals the data in 64 KiB chunks, each authenticated, the last one marked as last, and the
header under a MAC of the file key: a changed byte anywhere, a missing or reordered chunk and
a file cut short all fail. The header names no recipient; nothing in the file is readable.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pyrage
from pyrage import x25519

from store.backup.key import BackupRecipients
from store.errors import Invalid

MAGIC = b"age-encryption.org/v1\n"


class BackupUnreadable(Invalid):
    """The file is not a wardroom backup, needs another key, or is damaged; nothing was
    written from it."""


def is_age(path: Path) -> bool:
    with path.open("rb") as source:
        return source.read(len(MAGIC)) == MAGIC


# pyrage keeps the GIL for all its work; through Python file objects (its *_io functions,
# not *_file) every read and write lets it go, so the event loop runs between chunks.

def seal(plain: Path, target: BinaryIO, recipients: BackupRecipients) -> None:
    """Write `plain` (a database file nobody writes to now) to `target`, encrypted."""
    with plain.open("rb") as source:
        pyrage.encrypt_io(source, target, recipients.for_age())


def unseal(path: Path, target: BinaryIO, identities: list[x25519.Identity]) -> None:
    """Write the database inside the backup at `path` to `target`; any failure of the file
    raises BackupUnreadable (chunks written before it are the caller's to destroy)."""
    try:
        with path.open("rb") as source:
            pyrage.decrypt_io(source, target, identities)
    except pyrage.DecryptError as error:
        if "no matching keys" in str(error).lower():
            raise BackupUnreadable("no identity given opens this backup: it was made for "
                                   "other recipients, or its header is damaged") from None
        raise BackupUnreadable(f"the backup is damaged, cut short or altered ({error})"
                               ) from None
    except OSError as error:
        if error.errno is not None:
            raise  # the disk failed, not the backup
        # A chunk that fails authentication reaches us as an OSError without a number.
        raise BackupUnreadable(f"the backup is damaged, cut short or altered ({error})"
                               ) from None
