"""Self-registration: a client's account, its key pair and its consent, made together."""

from __future__ import annotations

from store.accounts.accounts import Accounts, Login
from store.accounts.roles import Role
from store.database import Database
from store.policy.versions import PolicyVersion, PolicyVersions
from store.sealing.account_keys import AccountKeys


class Registration:
    def __init__(self, db: Database, accounts: Accounts, keys: AccountKeys,
                 policy: PolicyVersions) -> None:
        self._db = db
        self._accounts = accounts
        self._keys = keys
        self._policy = policy

    async def register(self, username: str, password: str, language: str,
                       accepted: PolicyVersion) -> Login:
        """A new client account with its key pair and its acceptance of the notice it was
        shown, in one transaction: there is never an account without its consent. Returns it
        with its keys open, as a login would. Raises AccountExists, InvalidUsername or
        WeakPassword, having written nothing."""
        hashed = await self._accounts.new_password(password)  # argon2 outside the lock
        async with self._db.transaction() as tx:
            account = await self._accounts.insert(tx, username, Role.CLIENT, hashed,
                                                  language=language)
            await self._policy.record_acceptance(tx, account, accepted)
        keys = await self._keys.unlock(account.id, hashed.sealing_key)
        assert keys is not None  # made in the transaction above
        return Login(account, keys)
