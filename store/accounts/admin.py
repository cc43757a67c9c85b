"""What staff do to accounts: add, list, disable, enable, reset a password.

Each operation checks that the actor is staff and writes its audit entry in the same transaction.
"""

from __future__ import annotations

from store.access import require_scope
from store.accounts.accounts import Account, AccountExists, Accounts, NewPassword
from store.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    WeakPassword,
    one_time_password,
)
from store.accounts.roles import Role
from store.accounts.scopes import Scope
from store.accounts.usernames import is_valid_username
from store.audit import AuditTrail
from store.database import Database, Row, Transaction
from store.errors import Invalid, NotFound, NotPermitted
from store.hub.hub import AccountClosed, Hub, account_topic
from store.sealing.account_keys import AccountKeys

USERNAME_RULE = ("3-32 characters of a-z, 0-9, '.', '_', '-', not starting with '.', "
                 "and not a reserved name")


def require_staff(actor: Account, doing: str) -> None:
    """What this module does to accounts needs the scope `accounts`."""
    require_scope(actor, Scope.ACCOUNTS, doing)


class AccountAdmin:
    def __init__(self, db: Database, accounts: Accounts, keys: AccountKeys, audit: AuditTrail,
                 hub: Hub) -> None:
        self._db = db
        self._accounts = accounts
        self._keys = keys
        self._audit = audit
        self._hub = hub

    async def add(self, actor: Account, username: str, role: Role,
                  password: str | None = None) -> tuple[Account, str | None]:
        """Create an account; without a password, returns a one-time password to hand over."""
        require_staff(actor, "add accounts")
        if not is_valid_username(username):
            raise Invalid(f"invalid username: use {USERNAME_RULE}")
        secret = one_time_password() if password is None else password
        hashed = await self._new_password(secret)
        async with self._db.transaction() as tx:
            try:
                account = await self._accounts.insert(tx, username, role, hashed,
                                                      must_change=password is None)
            except AccountExists:
                raise Invalid(f"username {username} is already taken") from None
            await self._audit.record(tx, actor.username, "user.add", account.id)
        return account, secret if password is None else None

    async def roster(self, actor: Account, role: Role | None = None) -> list[Account]:
        """Every account (of one role); reading the roster is audited like a change."""
        require_staff(actor, "list accounts")
        await self._audit.write(actor.username, "user.list")
        return await self._accounts.list(role)

    async def grant(self, actor: Account, username: str, scope: Scope) -> None:
        await self._change_scope(actor, username, scope, granted=True)

    async def revoke(self, actor: Account, username: str, scope: Scope) -> None:
        await self._change_scope(actor, username, scope, granted=False)

    async def _change_scope(self, actor: Account, username: str, scope: Scope, *,
                            granted: bool) -> None:
        """Staff with `accounts` hand out only scopes they hold themselves, and never change
        their own: nobody widens their own rights, and nobody locks themselves out."""
        action = "grant" if granted else "revoke"
        require_staff(actor, f"{action} scopes")
        if granted and scope not in actor.scopes:
            raise NotPermitted(f"missing scope {scope.value}: only staff who hold a scope "
                               "grant it")
        async with self._db.transaction() as tx:
            row = await tx.fetchone("SELECT id, role FROM account WHERE username = ?",
                                    (username,))
            if row is None:
                raise NotFound(f"account {username}")
            if row["role"] != Role.ADMIN.value:
                raise Invalid(f"{username} is not a staff account; scopes are for staff")
            if row["id"] == actor.id:
                raise Invalid(f"you cannot {action} scopes of your own account")
            held = await tx.fetchone("SELECT 1 FROM staff_scope WHERE account_id = ?"
                                     " AND scope = ?", (row["id"], scope.value))
            if bool(held) == granted:
                raise Invalid(f"{username} {'already has' if granted else 'does not have'} "
                              f"the scope {scope.value}")
            if granted:
                await tx.execute("INSERT INTO staff_scope (account_id, scope) VALUES (?, ?)",
                                 (row["id"], scope.value))
            else:
                await tx.execute("DELETE FROM staff_scope WHERE account_id = ? AND scope = ?",
                                 (row["id"], scope.value))
            await self._audit.record(tx, actor.username, f"user.{action}:{scope.value}",
                                     row["id"])

    async def disable(self, actor: Account, username: str) -> None:
        """Disable the account and end its live sessions at once."""
        account_id = await self._set_disabled(actor, username, disabled=True)
        self._hub.publish(account_topic(account_id), AccountClosed(account_id, "disabled"))

    async def enable(self, actor: Account, username: str) -> None:
        await self._set_disabled(actor, username, disabled=False)

    async def reset_password(self, actor: Account, username: str,
                             password: str | None = None) -> str | None:
        """Set a new password; without one, returns a one-time password to change at login.

        The account gets a new key pair under it: the rooms sealed to the old one stay closed
        to whoever knows the new password (the staff member included) until the person's
        recovery code or the other participant gives them back. Its live sessions end at once.
        """
        require_staff(actor, "reset passwords")
        target_account = await self._accounts.by_username(username)
        if target_account is None:
            raise NotFound(f"account {username}")
        secret = one_time_password() if password is None else password
        hashed = await self._new_password(secret)
        async with self._db.transaction() as tx:
            target = await self._target(tx, username)
            await self._accounts.write_password(tx, target["id"], hashed,
                                                must_change=password is None)
            await self._keys.reset(tx, target["id"], target_account.role, hashed.sealing_key)
            await self._audit.record(tx, actor.username, "user.reset-password", target["id"])
        self._hub.publish(account_topic(target["id"]), AccountClosed(target["id"], "reset"))
        return secret if password is None else None

    async def _set_disabled(self, actor: Account, username: str, *, disabled: bool) -> int:
        action = "disable" if disabled else "enable"
        require_staff(actor, f"{action} accounts")
        async with self._db.transaction() as tx:
            target = await self._target(tx, username)
            if target["id"] == actor.id:
                raise Invalid(f"you cannot {action} your own account")
            if bool(target["disabled"]) == disabled:
                raise Invalid(f"account {username} is already {action}d")
            await tx.execute("UPDATE account SET disabled = ? WHERE id = ?",
                             (int(disabled), target["id"]))
            await self._audit.record(tx, actor.username, f"user.{action}", target["id"])
        return int(target["id"])

    async def _target(self, tx: Transaction, username: str) -> Row:
        row = await tx.fetchone("SELECT id, disabled FROM account WHERE username = ?",
                                (username,))
        if row is None:
            raise NotFound(f"account {username}")
        return row

    async def _new_password(self, password: str) -> NewPassword:
        try:
            return await self._accounts.new_password(password)
        except WeakPassword:
            raise Invalid(f"password refused: use {MIN_PASSWORD_LENGTH} to "
                          f"{MAX_PASSWORD_LENGTH} characters") from None
