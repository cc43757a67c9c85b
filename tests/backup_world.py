"""Helpers for the backup tests: a key outside the database directory, destinations, and a
look inside a backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store.backup_file import decrypt
from store.backup_key import BackupKey, create_key_file
from store.backups import BackupPlan, Backups
from store.services import Services

SITES = ("site-a", "site-b")


def backup_plan(services: Services, tmp_path_factory: pytest.TempPathFactory,
                sites: tuple[str, ...] = SITES, **kwargs) -> tuple[BackupPlan, BackupKey]:
    """Destinations and key each in a directory of their own, none beside the database."""
    key_file = tmp_path_factory.mktemp("keys") / "backup.key"
    destinations = tuple(tmp_path_factory.mktemp(site) for site in sites)
    key = create_key_file(key_file, services.db.path, destinations, services.clock.now())
    return BackupPlan(destinations, key_file, **kwargs), key


def backups_for(services: Services, plan: BackupPlan) -> Backups:
    return Backups(services.db, services.audit, plan)


def open_backup(path: Path, key: BackupKey, into: Path) -> sqlite3.Connection:
    """Decrypt a backup into `into` and open it, checked, for reading."""
    with into.open("wb") as out:
        decrypt(path, out, key)
    conn = sqlite3.connect(into)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return conn


def files_in(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` with its bytes: to prove nothing changed, or nothing holds
    a marker."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}
