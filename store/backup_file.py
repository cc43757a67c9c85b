"""The encrypted backup file: an authenticated header, then the database in AES-256-GCM chunks.

    header  magic "WRDRMBAK" | format version (1 byte) | chunk size (4) | created at (8, Unix
            seconds UTC) | key id (8) | nonce (16)
    body    chunk 1 … chunk n: the chunk's ciphertext and its 16-byte GCM tag

Each file is sealed with its own AES-256 key, HKDF-SHA256 of the operator key salted with the
header's random nonce, so chunk nonces may simply count (11 bytes of index, then a flag that
marks the last chunk). Every chunk carries the whole header as associated data: a changed
header, a reordered, missing or cut-off chunk all fail authentication, so the tags are the
checksum. Chunks keep memory flat: the database is never held in memory, let alone twice.
"""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from store.backup_key import BackupKey
from store.errors import Invalid

MAGIC = b"WRDRMBAK"
FORMAT_VERSION = 1
CHUNK_SIZE = 1 << 20
_HEADER = struct.Struct(">8sBIq8s16s")
_TAG = 16
_CHUNK_LIMITS = (4096, 64 << 20)  # what a reader accepts, so a forged header cannot make it
#                                   allocate without bound before authentication fails


class BackupUnreadable(Invalid):
    """The file is not a wardroom backup, needs another key, or is damaged; nothing was
    written from it."""


@dataclass(frozen=True)
class BackupHeader:
    created_at: datetime
    key_id: str
    nonce: bytes
    chunk_size: int = CHUNK_SIZE

    def pack(self) -> bytes:
        return _HEADER.pack(MAGIC, FORMAT_VERSION, self.chunk_size,
                            int(self.created_at.timestamp()), bytes.fromhex(self.key_id),
                            self.nonce)

    @classmethod
    def unpack(cls, data: bytes) -> BackupHeader:
        if len(data) < _HEADER.size or not data.startswith(MAGIC):
            raise BackupUnreadable("not a wardroom backup file")
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


def read_header(path: Path) -> BackupHeader:
    """The header alone; it needs no key, and is only proven genuine by decrypting."""
    with path.open("rb") as source:
        return BackupHeader.unpack(source.read(_HEADER.size))


def encrypt(plain: Path, target: BinaryIO, key: BackupKey, created_at: datetime) -> None:
    """Write `plain` (a database file nobody writes to now) to `target`, sealed."""
    header = BackupHeader(created_at, key.key_id, secrets.token_bytes(16))
    sealed_header = header.pack()
    target.write(sealed_header)
    aead = AESGCM(_file_key(key, header.nonce))
    count = _chunk_count(plain.stat().st_size, header.chunk_size)
    with plain.open("rb") as source:
        for index in range(count):
            chunk = source.read(header.chunk_size)
            target.write(aead.encrypt(_nonce(index, index == count - 1), chunk, sealed_header))


def decrypt(path: Path, target: BinaryIO, key: BackupKey) -> BackupHeader:
    """Write the database inside the backup at `path` to `target`; each chunk is written
    only after it authenticated, and any failure raises BackupUnreadable."""
    with path.open("rb") as source:
        sealed_header = source.read(_HEADER.size)
        header = BackupHeader.unpack(sealed_header)
        if header.key_id != key.key_id:
            raise BackupUnreadable(f"this backup needs the key {header.key_id}; the key file "
                                   f"holds the key {key.key_id}")
        body_size = path.stat().st_size - _HEADER.size
        count = _chunk_count(body_size, header.chunk_size + _TAG)
        aead = AESGCM(_file_key(key, header.nonce))
        for index in range(count):
            sealed = source.read(header.chunk_size + _TAG)
            try:
                target.write(aead.decrypt(_nonce(index, index == count - 1), sealed,
                                          sealed_header))
            except InvalidTag:
                raise BackupUnreadable(
                    f"the backup is damaged, cut short or altered (part {index + 1} of "
                    f"{count} fails authentication)") from None
    return header


def _chunk_count(size: int, chunk_size: int) -> int:
    """At least one chunk: even an empty body carries a tag, so an empty file fails."""
    return max(1, -(-size // chunk_size))


def _file_key(key: BackupKey, nonce: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=nonce,
                info=b"wardroom backup file v1").derive(key.secret)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
