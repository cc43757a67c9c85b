"""Wires the database and the services that guard it; the TUI and the commands use this."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from store.accounts import Accounts
from store.clock import Clock, SystemClock
from store.database import Database
from store.passwords import PasswordVault


@dataclass
class Services:
    db: Database
    vault: PasswordVault
    accounts: Accounts

    @property
    def clock(self) -> Clock:
        return self.db.clock

    @classmethod
    async def open(cls, db_path: Path | str, clock: Clock | None = None,
                   vault: PasswordVault | None = None) -> Services:
        db = await Database.open(db_path, clock or SystemClock())
        vault = vault or PasswordVault()
        return cls(db=db, vault=vault, accounts=Accounts(db, vault))

    async def close(self) -> None:
        await self.db.close()
        self.vault.close()
