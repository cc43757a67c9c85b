"""Declining a new notice costs no right: the person sees all her data and can erase her
account on the spot, without accepting what she declined; nothing about consent changes."""

from __future__ import annotations

import asyncio

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.e2e.test_consent_gate import CONSENT_TITLE, _consent_state, _publish
from tests.sshclient import connect


async def test_declining_offers_export_and_erasure_on_the_spot(wardroom):
    carla = await wardroom.add_account("carla", Role.CLIENT)
    services = wardroom.services
    await services.requests.file(carla, "Hilfe beim Einkaufen nach der Reha")
    await _publish(wardroom)
    before = await _consent_state(services, carla)

    client = await connect(wardroom.port, "carla", PASSWORD, size=(120, 40))
    try:
        await client.wait_for(CONSENT_TITLE)
        client.send("x")
        await client.wait_for("Hinweise abgelehnt")
        await client.wait_for("Meine Daten")
        await client.wait_for("Konto löschen")  # the footer offers both
        client.send("e")
        screen = await client.wait_for("Hilfe beim Einkaufen nach der Reha")
        assert '"username": "carla"' in screen
        client.send("\x1b")
        await client.wait_for("Hinweise abgelehnt")
        assert await _consent_state(services, carla) == before  # still nothing accepted
        client.send("o")
        await client.wait_for("Widerspruch")
        await asyncio.sleep(0.2)
        await client.type("carla")
        client.send("\r")
        await client.wait_closed()
    finally:
        await client.close()
    assert await services.accounts.by_username("carla") is None
    assert await services.db.fetchall("SELECT * FROM request") == []


async def test_staff_who_decline_see_their_data_but_erase_nothing(wardroom):
    await wardroom.add_account("conrad", Role.COUNSELLOR)
    await _publish(wardroom)
    client = await connect(wardroom.port, "conrad", PASSWORD, size=(120, 40))
    try:
        await client.wait_for(CONSENT_TITLE)
        client.send("x")
        await client.wait_for("Hinweise abgelehnt")
        screen = await client.wait_for("Meine Daten")
        assert "Beratungsstelle" in screen and "Konto löschen" not in screen
        client.send("o")
        await asyncio.sleep(0.3)
        assert "Hinweise abgelehnt" in client.text()
        client.send("\x1b")
        await client.wait_for(CONSENT_TITLE)
    finally:
        await client.close()
    assert await wardroom.services.accounts.by_username("conrad") is not None
