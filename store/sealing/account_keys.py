"""Account key pairs: made with the account, opened at login, resealed, reset, recovered."""

from __future__ import annotations

from datetime import date

from store.accounts.roles import Role
from store.database import Database, Transaction
from store.errors import Invalid
from store.sealing.crypto import (
    SealBroken,
    new_private_key,
    new_recovery_code,
    normalise_recovery_code,
    open_private_key,
    open_sealed,
    public_bytes,
    recovery_code_info,
    recovery_sealing_key,
    room_key_info,
    seal_private_key,
    seal_to,
)
from store.sealing.keyring import Keyring

PASSWORD, RECOVERY = "password", "recovery"


def has_recovery_code(role: Role) -> bool:
    """Clients get a recovery code; counsellors and staff come back through the other party."""
    return role is Role.CLIENT


class AccountKeys:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _today(self) -> str:
        return self._db.clock.now().date().isoformat()

    async def create(self, tx: Transaction, account_id: int, role: Role, sealing_key: bytes,
                     *, reset_by_staff: bool = False, recovery_code: str | None = None) -> int:
        """A new active key pair sealed under the password's key (and, for a client, under a
        new recovery code, shown once at the next login unless `recovery_code` is one the
        person already has). Returns the key id."""
        private = new_private_key()
        sealed_recovery = code_sealed = None
        shown = 1
        if has_recovery_code(role):
            code = recovery_code or new_recovery_code()
            sealed_recovery = seal_private_key(
                private, recovery_sealing_key(code, account_id), account_id, RECOVERY)
            code_sealed = seal_to(public_bytes(private), code.encode(),
                                  recovery_code_info(account_id))
            shown = int(recovery_code is not None)
        return await tx.insert(
            "INSERT INTO account_key (account_id, public_key, sealed_by_password,"
            " sealed_by_recovery, recovery_code_sealed, recovery_code_shown, created_on,"
            " reset_by_staff) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (account_id, public_bytes(private),
             seal_private_key(private, sealing_key, account_id, PASSWORD),
             sealed_recovery, code_sealed, shown, self._today(), int(reset_by_staff)))

    @staticmethod
    async def has_pair(tx: Transaction, account_id: int) -> bool:
        row = await tx.fetchone("SELECT 1 FROM account_key WHERE account_id = ?"
                                " AND retired_on IS NULL", (account_id,))
        return row is not None

    async def unlock(self, account_id: int, sealing_key: bytes) -> Keyring | None:
        """The account's open keys, or None when it has no key pair yet (pre-sealing)."""
        row = await self._db.fetchone(
            "SELECT id, public_key, sealed_by_password FROM account_key"
            " WHERE account_id = ? AND retired_on IS NULL", (account_id,))
        if row is None:
            return None
        private = open_private_key(row["sealed_by_password"], sealing_key, account_id, PASSWORD)
        return Keyring(account_id, row["id"], row["public_key"], private)

    async def reseal(self, tx: Transaction, keys: Keyring, sealing_key: bytes) -> None:
        """Password changed: the same pair under the new password; the old seal is destroyed
        (the caller marks the transaction as an erasure, so its bytes leave the WAL too)."""
        await tx.execute("UPDATE account_key SET sealed_by_password = ? WHERE id = ?",
                         (seal_private_key(keys.private, sealing_key, keys.account_id, PASSWORD),
                          keys.key_id))
        tx.mark_erasure()

    async def reset(self, tx: Transaction, account_id: int, role: Role,
                    sealing_key: bytes) -> None:
        """Staff set a new password: the account gets a new pair, and nothing the staff member
        knows opens the old one. A client's old pair keeps only its recovery seal (its code can
        reopen the rooms later); anyone else's goes with its room copies at once. A second
        factor sealed to the old pair is removed with it."""
        if has_recovery_code(role):
            await tx.execute(
                "UPDATE account_key SET sealed_by_password = NULL, recovery_code_sealed = NULL,"
                " retired_on = ? WHERE account_id = ? AND retired_on IS NULL",
                (self._today(), account_id))
        else:
            await tx.execute("DELETE FROM account_key WHERE account_id = ?", (account_id,))
        # The TOTP secret is sealed to the replaced pair: it goes too, and a counsellor or
        # staff member sets the factor up again at the next login (a reset is a new start).
        await tx.execute("DELETE FROM second_factor WHERE account_id = ?", (account_id,))
        await tx.execute("DELETE FROM recovery_code WHERE account_id = ?", (account_id,))
        await self.create(tx, account_id, role, sealing_key, reset_by_staff=True)
        tx.mark_erasure()

    async def reset_on(self, account_id: int) -> date | None:
        """When staff last reset this account's keys, if its current pair came from that."""
        row = await self._db.fetchone(
            "SELECT created_on FROM account_key WHERE account_id = ? AND retired_on IS NULL"
            " AND reset_by_staff = 1", (account_id,))
        return date.fromisoformat(row["created_on"]) if row else None

    async def can_recover(self, account_id: int) -> bool:
        """Whether rooms sealed to an earlier pair wait for the recovery code."""
        row = await self._db.fetchone(
            "SELECT 1 FROM account_key WHERE account_id = ? AND retired_on IS NOT NULL"
            " AND sealed_by_recovery IS NOT NULL", (account_id,))
        return row is not None

    async def recover(self, keys: Keyring, code: str) -> int:
        """Reopen the rooms sealed to earlier pairs with the recovery code; they are sealed to
        the current pair and the old pairs destroyed. The current pair is then sealed under the
        same code, so the person keeps one code. Returns how many rooms were reopened."""
        account_id = keys.account_id
        unlocking = recovery_sealing_key(code, account_id)
        retired = await self._db.fetchall(
            "SELECT id, sealed_by_recovery FROM account_key WHERE account_id = ?"
            " AND retired_on IS NOT NULL AND sealed_by_recovery IS NOT NULL", (account_id,))
        opened = []
        for row in retired:
            try:
                opened.append((row["id"], open_private_key(row["sealed_by_recovery"], unlocking,
                                                            account_id, RECOVERY)))
            except SealBroken:
                continue
        if not opened:
            raise Invalid("wrong_recovery_code")
        reopened = 0
        async with self._db.transaction() as tx:
            for old_id, old_private in opened:
                for copy in await tx.fetchall(
                        "SELECT booking_id, sealed FROM room_key WHERE key_id = ?", (old_id,)):
                    info = room_key_info(copy["booking_id"])
                    room_key = open_sealed(old_private, copy["sealed"], info)
                    reopened += await tx.execute_rowcount(
                        "INSERT INTO room_key (booking_id, key_id, sealed)"
                        " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        (copy["booking_id"], keys.key_id, seal_to(keys.public, room_key, info)))
                await tx.execute("DELETE FROM account_key WHERE id = ?", (old_id,))
            await tx.execute(
                "UPDATE account_key SET sealed_by_recovery = ?, recovery_code_sealed = ?,"
                " recovery_code_shown = 1 WHERE id = ?",
                (seal_private_key(keys.private, unlocking, account_id, RECOVERY),
                 seal_to(keys.public, normalise_recovery_code(code).encode(),
                         recovery_code_info(account_id)),
                 keys.key_id))
            tx.mark_erasure()
        return reopened

    async def recovery_code(self, keys: Keyring) -> str | None:
        """The account's recovery code, opened with its own key (None for staff/counsellors)."""
        row = await self._db.fetchone(
            "SELECT recovery_code_sealed FROM account_key WHERE id = ?", (keys.key_id,))
        if row is None or row["recovery_code_sealed"] is None:
            return None
        return open_sealed(keys.private, row["recovery_code_sealed"],
                           recovery_code_info(keys.account_id)).decode()

    async def unshown_recovery_code(self, keys: Keyring) -> str | None:
        """The code if it has never been shown (the next screen shows it, once)."""
        row = await self._db.fetchone(
            "SELECT recovery_code_shown FROM account_key WHERE id = ?", (keys.key_id,))
        if row is None or row["recovery_code_shown"]:
            return None
        return await self.recovery_code(keys)

    async def recovery_code_shown(self, keys: Keyring) -> None:
        await self._db.execute("UPDATE account_key SET recovery_code_shown = 1 WHERE id = ?",
                               (keys.key_id,))
