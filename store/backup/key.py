"""The backups' age keys: the recipients file the server writes backups to, and the identities
that open them, which only the operator holds, offline.

The recipients file (`backup_key_file`) is an age recipients file: one `age1…` public key a
line, `#` comments, so `age -R FILE` reads it too. It holds nothing secret, but it decides who
can read every later backup, so it may not be writable by other users nor lie where a copy of
the database or a destination could replace it.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pyrage import IdentityError, RecipientError, x25519

from store.clock import to_iso
from store.errors import Invalid

IDENTITY_PREFIX = "AGE-SECRET-KEY-"
_V1_KEY = re.compile(r"[0-9a-f]{64}")  # the old format's key: a secret, never to be kept here


class KeyFileError(Invalid):
    """The recipients file is missing, unreadable, badly placed, open to writing by others,
    holds a secret, or names no recipient."""


class IdentityFileError(Invalid):
    """The identities given to a restore cannot be read."""


@dataclass(frozen=True)
class BackupRecipients:
    keys: tuple[str, ...]  # `age1…`, as written in the file

    def for_age(self) -> list[x25519.Recipient]:
        return [x25519.Recipient.from_str(key) for key in self.keys]


@dataclass(frozen=True)
class NewIdentity:
    """Made by keygen: the secret half is shown once and kept nowhere by wardroom."""
    secret: str
    recipient: str


def generate_identity() -> NewIdentity:
    identity = x25519.Identity.generate()
    return NewIdentity(str(identity), str(identity.to_public()))


def identity_text(identity: NewIdentity, now: datetime) -> str:
    """An identity file as age-keygen writes it, so `age -d -i FILE` takes it as it is."""
    return (f"# created: {to_iso(now)}\n"
            f"# public key: {identity.recipient}\n"
            f"{identity.secret}\n")


def add_recipient(path: Path, recipient: str, db_path: Path | None,
                  destinations: tuple[Path, ...],
                  now: datetime) -> BackupRecipients:
    """Append a recipient to the file, creating it (mode 0600) if need be. Nothing is ever
    removed here: a recipient dropped by mistake would make the next backups unreadable to
    its identity's holder; the runbook says how to retire one by hand."""
    check_placement(path, db_path, destinations)
    if not _is_recipient(recipient):
        raise KeyFileError(f"{recipient!r} is not an age recipient (age1…)")
    known = _read_recipients(path) if path.exists() else ()
    if recipient in known:
        raise KeyFileError(f"{path} names the recipient {recipient} already")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as error:
        raise KeyFileError(f"cannot write {path}: {error.strerror}") from None
    with os.fdopen(fd, "a", encoding="ascii") as out:
        # A file edited by hand may end without a newline; its last line must stay whole.
        if out.tell() and not path.read_text(encoding="ascii").endswith("\n"):
            out.write("\n")
        out.write(f"# added {to_iso(now)}\n{recipient}\n")
        out.flush()
        os.fsync(out.fileno())
    return BackupRecipients((*known, recipient))


def load_recipients(path: Path) -> BackupRecipients:
    keys = _read_recipients(path)
    if not keys:
        raise KeyFileError(f"backup recipients {path} names no recipient (add one with "
                           "`wardroom keygen`)")
    return BackupRecipients(keys)


def _read_recipients(path: Path) -> tuple[str, ...]:
    """Every recipient of the file, which must hold nothing else and be safe from others."""
    try:
        info = path.stat()
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not a recipients file"
        raise KeyFileError(f"backup recipients {path}: {reason}") from None
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise KeyFileError(f"backup recipients {path} may be changed by other users "
                           f"(mode {stat.S_IMODE(info.st_mode):o}); chmod go-w it")
    keys = []
    for number, line in _lines(text):
        if line.startswith(IDENTITY_PREFIX) or _V1_KEY.fullmatch(line):
            # Said without the line itself: an error message must not carry the secret on.
            raise KeyFileError(f"backup recipients {path}, line {number}: a secret key, which "
                               "the server must not hold; move it offline and keep only "
                               "recipients here (see docs/backup-runbook.md)")
        if not _is_recipient(line):
            raise KeyFileError(f"backup recipients {path}, line {number}: not an age "
                               "recipient (age1…)")
        keys.append(line)
    return tuple(keys)


def parse_identities(text: str, source: str) -> list[x25519.Identity]:
    """An age identity file's text (`AGE-SECRET-KEY-1…` lines, `#` comments)."""
    identities = []
    for number, line in _lines(text):
        try:
            identities.append(x25519.Identity.from_str(line))
        except IdentityError:
            raise IdentityFileError(f"{source}, line {number}: not an age identity "
                                    f"({IDENTITY_PREFIX}1…)") from None
    if not identities:
        raise IdentityFileError(f"{source} holds no age identity")
    return identities


def check_placement(key_path: Path, db_path: Path | None,
                    destinations: tuple[Path, ...] = ()) -> None:
    """The recipients file lives neither in the database's directory (None: a PostgreSQL
    database, which has none here) nor in a backup destination: whoever can replace either
    must not choose who can read the backups."""
    key_dir = key_path.resolve().parent
    places = [d.resolve() for d in destinations]
    if db_path is not None:
        places.append(db_path.resolve().parent)
    for place in places:
        if key_dir == place or place in key_dir.parents:
            raise KeyFileError(f"backup recipients {key_path} must not lie in {place} (the "
                               "database directory or a backup destination)")


def _is_recipient(text: str) -> bool:
    try:
        x25519.Recipient.from_str(text)
    except RecipientError:
        return False
    return True


def _lines(text: str) -> list[tuple[int, str]]:
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.lstrip().startswith("#")]
