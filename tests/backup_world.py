"""Helpers for the backup tests: a recipients file outside the database directory with the
identity kept apart, destinations, a look inside a backup, and backups in the old format."""

from __future__ import annotations

import secrets
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pyrage import x25519

from store.backends.sqlite import copy_database
from store.backup.backups import BackupPlan, Backups
from store.backup.file import unseal
from store.backup.file_v1 import BackupHeader, V1Key, chunk_nonce, file_key
from store.backup.key import add_recipient, generate_identity
from store.backup.restore import RestoreKeys
from store.services import Services

SITES = ("site-a", "site-b")


def backup_plan(services: Services, tmp_path_factory: pytest.TempPathFactory,
                sites: tuple[str, ...] = SITES, **kwargs) -> tuple[BackupPlan, RestoreKeys]:
    """Destinations and recipients file each in a directory of their own, none beside the
    database; the identity only in what is returned, as the operator would hold it."""
    key_file = tmp_path_factory.mktemp("keys") / "backup.recipients"
    destinations = tuple(tmp_path_factory.mktemp(site) for site in sites)
    identity = generate_identity()
    add_recipient(key_file, identity.recipient, services.db.path, destinations,
                  services.clock.now())
    keys = RestoreKeys(identities=(x25519.Identity.from_str(identity.secret),))
    return BackupPlan(destinations, key_file, **kwargs), keys


def backups_for(services: Services, plan: BackupPlan) -> Backups:
    return Backups(services.db, services.audit, plan)


def open_backup(path: Path, keys: RestoreKeys, into: Path) -> sqlite3.Connection:
    """Decrypt a backup into `into` and open it, checked, for reading."""
    with into.open("wb") as out:
        unseal(path, out, list(keys.identities))
    conn = sqlite3.connect(into)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return conn


def files_in(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` with its bytes: to prove nothing changed, or nothing holds
    a marker."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def old_key_file(path: Path) -> V1Key:
    """A key file as `wardroom keygen` made them before backups were age files."""
    key = V1Key(secrets.token_bytes(32))
    path.write_text(f"# wardroom backup key {key.key_id}\n{key.secret.hex()}\n")
    path.chmod(0o600)
    return key


def write_old_backup(db_path: Path, target: Path, key: V1Key, created_at: datetime,
                     chunk_size: int = 1 << 20) -> None:
    """A backup of the database as wardroom wrote them before age, byte for byte: the
    server no longer writes this format, so the tests make their own old files."""
    snapshot = target.with_name(target.name + ".plain")
    copy_database(db_path, snapshot)
    header = BackupHeader(created_at, key.key_id, secrets.token_bytes(16), chunk_size)
    sealed_header = header.pack()
    aead = AESGCM(file_key(key, header.nonce))
    plain = snapshot.read_bytes()
    snapshot.unlink()
    chunks = [plain[i:i + chunk_size] for i in range(0, len(plain), chunk_size)] or [b""]
    with target.open("wb") as out:
        out.write(sealed_header)
        for index, chunk in enumerate(chunks):
            out.write(aead.encrypt(chunk_nonce(index, index == len(chunks) - 1), chunk,
                                   sealed_header))
    target.chmod(0o600)
