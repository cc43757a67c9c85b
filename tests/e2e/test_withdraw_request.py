"""A client withdraws an open request from her overview: it is deleted at once, and its text
is in none of the database's files; filing one tells her when it goes if nobody matches it."""

from __future__ import annotations

import asyncio

import pytest

from store.accounts.roles import Role
from store.deletion.ledger import ErasureKind, erasures_since
from tests.conftest import PASSWORD
from tests.retention_world import files_holding, new_token
from tests.sshclient import connect


def _request_marker(token: str) -> str:
    """Longer than a page's worth of inline text, so SQLite keeps it in overflow pages."""
    return f"{token}-START " + "Schmerzen nach der Operation. " * 50 + f"{token}-END"


@pytest.mark.sqlite_only  # reads SQLite's own schema or files
async def test_withdrawing_from_the_overview_leaves_no_bytes(wardroom):
    klara = await wardroom.add_account("klara", Role.CLIENT)
    services = wardroom.services
    token = new_token()
    kept = await services.requests.file(klara, "Ein anderes Anliegen")
    request = await services.requests.file(klara, _request_marker(token))
    await services.db.checkpoint()
    assert files_holding(services.db.path, token) == ["wardroom.db"]

    client = await connect(wardroom.port, "klara", PASSWORD, size=(100, 40))
    try:
        await client.wait_for("8 Wochen nach dem Eingang gelöscht")
        client.send("w")
        await client.wait_for("Anliegen zurückziehen")
        await asyncio.sleep(0.2)
        client.send("\x1b[B")  # the second request
        await asyncio.sleep(0.1)
        client.send("\r")
        await client.wait_for(f"Anliegen Nr. {request.id} unwiderruflich")
        assert await services.requests.own(klara) != []  # one Enter deletes nothing
        client.send("\r")
        await client.wait_for(f"Anliegen Nr. {request.id} wurde zurückgezogen und gelöscht")
    finally:
        await client.close()
    assert [r.id for r in await services.requests.own(klara)] == [kept.id]
    assert files_holding(services.db.path, token) == []
    ledger = await erasures_since(services.db)
    assert [(e.kind, e.target_id) for e in ledger] == [(ErasureKind.REQUEST, request.id)]


async def test_filing_tells_the_date_an_unmatched_request_is_deleted(wardroom):
    await wardroom.add_account("klara", Role.CLIENT)
    client = await connect(wardroom.port, "klara", PASSWORD)
    try:
        await client.wait_for("noch keine Beratung")
        client.send("n")
        await client.wait_for("Neues Anliegen")
        await asyncio.sleep(0.2)
        await client.type("Ich möchte wieder laufen lernen.")
        client.send("\r")
        screen = await client.wait_for("Ihre offenen Anliegen")
        # Filed on 28 November 2026: eight weeks later.
        assert "wird es am 23.01.2027 gelöscht" in screen
    finally:
        await client.close()
