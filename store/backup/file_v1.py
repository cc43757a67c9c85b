"""Backups in wardroom's own format, written until backups became age files: still read, so
they can be restored until the last of them is deleted, 8 weeks after the switch.

    header  magic "WRDRMBAK" | format version (1 byte) | chunk size (4) | created at (8, Unix
            seconds UTC) | key id (8) | nonce (16)
    body    chunk 1 … chunk n: the chunk's ciphertext and its 16-byte GCM tag

Each file is sealed with its own AES-256 key, HKDF-SHA256 of the operator's old backup key
(32 random bytes, hex in a file of its own) salted with the header's random nonce, so chunk
nonces simply count (11 bytes of index, then a flag that marks the last chunk). Every chunk
carries the whole header as associated data: a changed header, a reordered, missing or cut-off
chunk all fail authentication.
"""

from __future__ import annotations

import hashlib
import stat
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from store.backup.file import BackupUnreadable
from store.backup.key import IdentityFileError

MAGIC = b"WRDRMBAK"
FORMAT_VERSION = 1
KEY_BYTES = 32
_HEADER = struct.Struct(">8sBIq8s16s")
_TAG = 16
_CHUNK_LIMITS = (4096, 64 << 20)  # what a reader accepts, so a forged header cannot make it
#                                   allocate without bound before authentication fails


@dataclass(frozen=True)
class V1Key:
    secret: bytes

    @property
    def key_id(self) -> str:
        """The key's public name, kept in each backup's header."""
        return hashlib.sha256(b"wardroom backup key id\0" + self.secret).hexdigest()[:16]


@dataclass(frozen=True)
class BackupHeader:
    created_at: datetime
    key_id: str
    nonce: bytes
    chunk_size: int

    def pack(self) -> bytes:
        return _HEADER.pack(MAGIC, FORMAT_VERSION, self.chunk_size,
                            int(self.created_at.timestamp()), bytes.fromhex(self.key_id),
                            self.nonce)

    @classmethod
    def unpack(cls, data: bytes) -> BackupHeader:
        if len(data) < _HEADER.size or not data.startswith(MAGIC):
            raise BackupUnreadable("not a backup in the old wardroom format")
        _magic, version, chunk_size, created, key_id, nonce = _HEADER.unpack(data[:_HEADER.size])
        if version != FORMAT_VERSION:
            raise BackupUnreadable(f"backup format {version} is not one this wardroom reads")
        if not _CHUNK_LIMITS[0] <= chunk_size <= _CHUNK_LIMITS[1]:
            raise BackupUnreadable("the backup's header is damaged")
        try:
            created_at = datetime.fromtimestamp(created, UTC)
        except (OverflowError, OSError, ValueError):
            raise BackupUnreadable("the backup's header is damaged") from None
        return cls(created_at, key_id.hex(), nonce, chunk_size)


def is_v1(path: Path) -> bool:
    with path.open("rb") as source:
        return source.read(len(MAGIC)) == MAGIC


def load_v1_key(path: Path) -> V1Key:
    """The old key file `wardroom keygen` used to make, for restoring the old backups."""
    try:
        info = path.stat()
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not a key file"
        raise IdentityFileError(f"old backup key {path}: {reason}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise IdentityFileError(f"old backup key {path} is open to other users "
                                f"(mode {stat.S_IMODE(info.st_mode):o}); chmod 600 it")
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith("#")]
    try:
        secret = bytes.fromhex(lines[0]) if len(lines) == 1 else b""
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise IdentityFileError(f"{path} is not an old wardroom backup key file")
    return V1Key(secret)


def decrypt(path: Path, target: BinaryIO, key: V1Key) -> None:
    """Write the database inside the backup at `path` to `target`; each chunk is written
    only after it authenticated, and any failure raises BackupUnreadable."""
    with path.open("rb") as source:
        sealed_header = source.read(_HEADER.size)
        header = BackupHeader.unpack(sealed_header)
        if header.key_id != key.key_id:
            raise BackupUnreadable(f"this backup needs the old key {header.key_id}; the key "
                                   f"file holds the key {key.key_id}")
        body_size = path.stat().st_size - _HEADER.size
        count = _chunk_count(body_size, header.chunk_size + _TAG)
        aead = AESGCM(file_key(key, header.nonce))
        for index in range(count):
            sealed = source.read(header.chunk_size + _TAG)
            try:
                target.write(aead.decrypt(chunk_nonce(index, index == count - 1), sealed,
                                          sealed_header))
            except InvalidTag:
                raise BackupUnreadable(
                    f"the backup is damaged, cut short or altered (part {index + 1} of "
                    f"{count} fails authentication)") from None


def file_key(key: V1Key, nonce: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=nonce,
                info=b"wardroom backup file v1").derive(key.secret)


def chunk_nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _chunk_count(size: int, chunk_size: int) -> int:
    """At least one chunk: even an empty body carries a tag, so an empty file fails."""
    return max(1, -(-size // chunk_size))
