"""Finding a test's account by name: the store looks accounts up only where a rule needs it."""

from __future__ import annotations

from store.accounts.accounts import Account, Accounts


async def account_named(accounts: Accounts, username: str) -> Account:
    """The account the test made or expects; the test fails here, naming it, if there is none."""
    account = await accounts.by_username(username)
    assert account is not None, f"no account named {username!r}"
    return account
