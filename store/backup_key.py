"""The operator's backup key: 32 random bytes, hex in a mode-0600 file that `wardroom keygen`
creates outside the database directory, so a copy of that directory never carries its key."""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from store.clock import to_iso
from store.errors import Invalid

KEY_BYTES = 32  # AES-256


class KeyFileError(Invalid):
    """The key file is missing, unreadable, badly placed, too open, or not a key."""


@dataclass(frozen=True)
class BackupKey:
    secret: bytes

    @property
    def key_id(self) -> str:
        """A short public name for the key, kept in each backup's header: it tells which key
        a backup needs without revealing anything about the key."""
        return hashlib.sha256(b"wardroom backup key id\0" + self.secret).hexdigest()[:16]


def create_key_file(path: Path, db_path: Path, destinations: tuple[Path, ...],
                    now: datetime) -> BackupKey:
    """Write a new key to `path`; never overwrites (a lost key makes its backups useless)."""
    check_placement(path, db_path, destinations)
    key = BackupKey(secrets.token_bytes(KEY_BYTES))
    text = (f"# wardroom backup key {key.key_id}, created {to_iso(now)}.\n"
            "# Keep a copy offline, apart from the backups: without it no backup can be "
            "restored.\n"
            f"{key.secret.hex()}\n")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} exists; a key file is never overwritten") from None
    except OSError as error:
        raise KeyFileError(f"cannot create {path}: {error.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    return key


def load_key_file(path: Path) -> BackupKey:
    try:
        info = path.stat()
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not a key file"
        raise KeyFileError(f"backup key {path}: {reason}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"backup key {path} is open to other users "
                           f"(mode {stat.S_IMODE(info.st_mode):o}); chmod 600 it")
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith("#")]
    try:
        secret = bytes.fromhex(lines[0]) if len(lines) == 1 else b""
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise KeyFileError(f"backup key {path} is not a wardroom key file "
                           "(made by `wardroom keygen`)")
    return BackupKey(secret)


def check_placement(key_path: Path, db_path: Path, destinations: tuple[Path, ...] = ()) -> None:
    """The key lives neither in the database's directory nor in a backup destination: whoever
    gets a copy of either must not get the key with it."""
    key_dir = key_path.resolve().parent
    for place in (db_path.resolve().parent, *(d.resolve() for d in destinations)):
        if key_dir == place or place in key_dir.parents:
            raise KeyFileError(f"backup key {key_path} must not lie in {place} (the database "
                               "directory or a backup destination)")
