"""Erasure from the TUI (the client's objection) over real SSH: the client types its username,
everything is erased to the last byte, every session of the client ends and the counsellor's
view goes at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.retention_world import (
    files_holding,
    files_holding_bytes,
    marker_text,
    new_token,
    room_secrets,
)
from tests.sealed import post_as
from tests.sshclient import TerminalClient, connect

TAB, ENTER, ESC, CLEAR_LINE = "\t", "\r", "\x1b", "\x15"
FAREWELL = "unwiderruflich gelöscht"


async def _to_erasure(client: TerminalClient) -> None:
    await client.wait_for("Stationszimmer mit bernd")  # one active booking: straight in
    await client.type(ESC)
    await client.wait_for("Profil")
    await client.type("p")
    await client.wait_for("Wie lange Ihre beendeten")
    # retention choice → save retention → language choice → save language → erasure
    for key in (TAB, TAB, TAB, TAB, ENTER):
        await client.type(key)
    await client.wait_for("Zur Bestätigung Ihren Benutzernamen")


@pytest.mark.sqlite_only  # reads SQLite's own schema or files
async def test_erasure_from_the_profile_erases_everything_and_ends_every_session(wardroom):
    office = await wardroom.add_account("office", Role.ADMIN)
    klara = await wardroom.add_account("klara", Role.CLIENT)
    await wardroom.add_account("bernd", Role.COUNSELLOR)
    booking = await wardroom.services.bookings.create(office, "klara", "bernd", weeks=2)
    token = new_token()
    wardroom.clock.advance(timedelta(minutes=5))
    await post_as(wardroom.services, klara, booking.id, marker_text(token))
    assert files_holding(wardroom.db_path, token) == []  # sealed: never there in clear
    secrets = await room_secrets(wardroom.services, booking.id)
    assert files_holding_bytes(wardroom.db_path, secrets)

    client = await connect(wardroom.port, "klara", PASSWORD, size=(100, 40))
    other_session = await connect(wardroom.port, "klara", PASSWORD)
    counsellor = await connect(wardroom.port, "bernd", PASSWORD)
    try:
        await other_session.wait_for("Stationszimmer mit bernd")
        await counsellor.wait_for("klara")
        counsellor.send(ENTER)
        await counsellor.wait_for("Stationszimmer mit klara")
        await _to_erasure(client)

        await client.type("klaus")
        client.send(ENTER)
        await client.wait_for("stimmt nicht mit Ihrem Benutzernamen überein")
        assert await wardroom.services.accounts.by_username("klara") is not None

        await client.type(CLEAR_LINE)
        await client.type("klara")
        client.send(ENTER)

        for session in (client, other_session):
            await session.wait_closed()
            assert FAREWELL in session.raw.decode("utf-8", errors="replace")
        screen = await counsellor.wait_gone("klara")
        assert "Ihre Beratungen" in screen
        assert await wardroom.services.accounts.by_username("klara") is None
        assert await wardroom.services.bookings.get(booking.id) is None
        assert files_holding_bytes(wardroom.db_path, secrets) == []
    finally:
        for session in (client, other_session, counsellor):
            await session.close()
