"""Accounts: creation, lookup, password and key checks, profile settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from store.accounts.passwords import (
    DerivedPassword,
    PasswordCheck,
    PasswordVault,
    check_password_rules,
)
from store.accounts.roles import Role
from store.accounts.scopes import ALL_SCOPES, Scope, parse_scopes
from store.accounts.usernames import check_username
from store.clock import to_iso
from store.database import Database, Transaction
from store.deletion.storage_limits import active_month
from store.sealing.account_keys import AccountKeys
from store.sealing.keyring import Keyring


class AccountExists(ValueError):
    """The username is not available."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: Role
    must_change_password: bool
    disabled: bool
    language: str
    created_at: str
    scopes: frozenset[Scope] = frozenset()  # staff only: what the account may act on

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True)
class NewPassword:
    """A checked password as its stored form and sealing key, ready to be written; never
    shown in a repr."""

    derived: DerivedPassword = field(repr=False)

    @property
    def hash(self) -> str:
        return self.derived.stored

    @property
    def sealing_key(self) -> bytes:
        return self.derived.sealing_key


@dataclass(frozen=True)
class Login:
    """A password login: the account and the keys its password opened."""

    account: Account
    keys: Keyring = field(repr=False)


_COLUMNS = "id, username, role, must_change_password, disabled, language, created_at"
# Read with the account every time, so a revoked scope is gone at the next command.
_COLUMNS += (", (SELECT group_concat(scope) FROM staff_scope s WHERE s.account_id = account.id)"
             " AS scopes")


def _account(row) -> Account:
    return Account(
        id=row["id"],
        username=row["username"],
        role=Role(row["role"]),
        must_change_password=bool(row["must_change_password"]),
        disabled=bool(row["disabled"]),
        language=row["language"],
        created_at=row["created_at"],
        scopes=parse_scopes(row["scopes"]),
    )


class Accounts:
    """Service for accounts; the only code that reads or writes password hashes."""

    def __init__(self, db: Database, vault: PasswordVault, keys: AccountKeys) -> None:
        self._db = db
        self._vault = vault
        self._keys = keys

    async def create(self, username: str, role: Role, password: str, *,
                     must_change_password: bool = False, language: str = "de") -> Account:
        hashed = await self.new_password(password)
        async with self._db.transaction() as tx:
            return await self._create(tx, username, role, hashed, must_change_password,
                                      language)

    async def _create(self, tx: Transaction, username: str, role: Role, password: NewPassword,
                      must_change: bool, language: str) -> Account:
        """The bootstrap path (`create-admin`, the demo): a staff account made here has every
        scope; staff made by staff (`admin user add`) start with none."""
        account = await self.insert(tx, username, role, password, must_change, language)
        if role is not Role.ADMIN:
            return account
        await tx.executemany("INSERT INTO staff_scope (account_id, scope) VALUES (?, ?)",
                             [(account.id, scope.value) for scope in sorted(ALL_SCOPES)])
        row = await tx.fetchone(f"SELECT {_COLUMNS} FROM account WHERE id = ?", (account.id,))
        return _account(row)

    async def new_password(self, password: str) -> NewPassword:
        """Check and hash a password before any transaction: argon2 must not hold the lock."""
        check_password_rules(password)
        return NewPassword(await self._vault.derive(password))

    async def insert(self, tx: Transaction, username: str, role: Role, password: NewPassword,
                     must_change: bool = False, language: str = "de") -> Account:
        """Insert an account and its key pair inside the caller's transaction (the username is
        checked here too)."""
        check_username(username)
        if await tx.fetchone("SELECT 1 FROM account WHERE username = ?", (username,)):
            raise AccountExists(username)
        now = self._db.clock.now()
        account_id = await tx.insert(
            "INSERT INTO account (username, role, password_hash, must_change_password,"
            " language, created_at, active_month) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (username, role.value, password.hash, int(must_change), language, to_iso(now),
             active_month(now)),
        )
        await self._keys.create(tx, account_id, role, password.sealing_key)
        row = await tx.fetchone(f"SELECT {_COLUMNS} FROM account WHERE id = ?", (account_id,))
        return _account(row)

    async def get(self, account_id: int) -> Account | None:
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM account WHERE id = ?",
                                      (account_id,))
        return _account(row) if row else None

    async def by_username(self, username: str) -> Account | None:
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM account WHERE username = ?",
                                      (username,))
        return _account(row) if row else None

    async def count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM account")
        return int(row[0])

    async def list(self, role: Role | None = None) -> list[Account]:
        if role is None:
            rows = await self._db.fetchall(f"SELECT {_COLUMNS} FROM account ORDER BY username")
        else:
            rows = await self._db.fetchall(
                f"SELECT {_COLUMNS} FROM account WHERE role = ? ORDER BY username", (role.value,)
            )
        return [_account(r) for r in rows]

    async def check_password(self, username: str, password: str) -> Account | None:
        """The account if the password is right and the account usable; None otherwise."""
        login = await self.authenticate(username, password)
        return login.account if login else None

    async def authenticate(self, username: str, password: str) -> Login | None:
        """The account and its opened keys if the password is right and the account usable.

        Every path runs exactly one argon2 run (the same one gives the verifier and the key
        that opens the account's private key), so timing does not reveal whether the username
        exists or is disabled. Only an upgrade of the stored form runs a second one, once.
        """
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS}, password_hash FROM account WHERE username = ?", (username,)
        )
        stored = row["password_hash"] if row else None
        check = await self._vault.check_login(stored, password)
        if not check.ok or row is None or row["disabled"]:
            return None
        account = _account(row)
        return Login(account, await self._open_keys(account, check))

    async def _open_keys(self, account: Account, check: PasswordCheck) -> Keyring:
        if check.sealing_key is not None and check.upgraded is None:
            keys = await self._keys.unlock(account.id, check.sealing_key)
            if keys is not None:
                return keys
        # A stored form from before sealing or with weaker parameters is replaced, and the
        # key pair resealed under the new key (or, for an account from before sealing, made).
        current = (await self._keys.unlock(account.id, check.sealing_key)
                   if check.sealing_key is not None else None)
        sealing_key = check.upgraded.sealing_key if check.upgraded else check.sealing_key
        assert sealing_key is not None
        async with self._db.transaction() as tx:
            if check.upgraded is not None:
                await tx.execute("UPDATE account SET password_hash = ? WHERE id = ?",
                                 (check.upgraded.stored, account.id))
            if current is not None:
                await self._keys.reseal(tx, current, sealing_key)
            elif not await self._keys.has_pair(tx, account.id):
                await self._keys.create(tx, account.id, account.role, sealing_key)
        keys = await self._keys.unlock(account.id, sealing_key)
        assert keys is not None
        return keys

    async def change_password(self, keys: Keyring, password: str) -> Account:
        """The account's own new password: its key pair is resealed under it and the old seal
        destroyed, so no history is lost and nothing stays under the old password (a one-time
        one known to staff included). Raises WeakPassword."""
        hashed = await self.new_password(password)
        async with self._db.transaction() as tx:
            await self.write_password(tx, keys.account_id, hashed, must_change=False)
            await self._keys.reseal(tx, keys, hashed.sealing_key)
        account = await self.get(keys.account_id)
        assert account is not None
        return account

    async def write_password(self, tx: Transaction, account_id: int, password: NewPassword, *,
                             must_change: bool) -> None:
        await tx.execute(
            "UPDATE account SET password_hash = ?, must_change_password = ? WHERE id = ?",
            (password.hash, int(must_change), account_id),
        )

    async def note_login(self, account_id: int) -> None:
        """Remember the month of this login (accounts unused for long are erased); written
        only when the month changes."""
        month = active_month(self._db.clock.now())
        await self._db.execute("UPDATE account SET active_month = ? WHERE id = ?"
                               " AND (active_month IS NULL OR active_month != ?)",
                               (month, account_id, month))

    async def set_language(self, account_id: int, language: str) -> None:
        if language not in ("de", "en"):
            raise ValueError(language)
        await self._db.execute("UPDATE account SET language = ? WHERE id = ?",
                               (language, account_id))
