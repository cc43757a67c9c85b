"""A task cancelled while its transaction opens (server stop, dropped session) leaves no open
transaction behind on the shared connection: later writes commit, checkpoints succeed."""

from __future__ import annotations

import asyncio

import pytest

from store.accounts.roles import Role
from tests.conftest import PASSWORD


async def test_cancel_while_begin_runs_leaves_no_open_transaction(services):
    async def write() -> None:
        async with services.db.transaction() as tx:
            await tx.execute("UPDATE account SET language = 'en'")

    task = asyncio.create_task(write())
    await asyncio.sleep(0)  # the task holds the lock and waits for BEGIN IMMEDIATE
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await services.db.checkpoint()  # SQLITE_LOCKED if a transaction were left open
    await services.accounts.create("later", Role.CLIENT, PASSWORD)
    await services.db.checkpoint()
    row = await services.db.fetchone("SELECT count(*) FROM account WHERE username = 'later'")
    assert row[0] == 1
