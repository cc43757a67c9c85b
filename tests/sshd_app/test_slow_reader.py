"""A client that stops reading is cut off at a bounded write buffer, not buffered forever."""

from __future__ import annotations

import asyncio

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.sshclient import connect


async def test_client_that_stops_reading_is_cut_off(wardroom, monkeypatch):
    import sshd_app.session as session_module

    monkeypatch.setattr(session_module, "WRITE_BUFFER_LIMIT", 64 * 1024)
    await wardroom.add_account("anna", Role.CLIENT)
    client = await connect(wardroom.port, "anna", PASSWORD, size=(200, 50))
    await client.wait_for("wardroom")
    client.process.channel.pause_reading()  # stop reading: the SSH window fills up
    for i in range(600):  # every resize makes the server repaint the whole screen
        client.process.change_terminal_size(200 - i % 2, 50)
        if not wardroom.server.sessions:
            break
        await asyncio.sleep(0.01)
    for _ in range(200):
        if not wardroom.server.sessions:
            break
        await asyncio.sleep(0.05)
    assert not wardroom.server.sessions
    client.process.channel.resume_reading()
    await client.close()
