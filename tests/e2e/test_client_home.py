"""The client's home over SSH: list of several bookings, ended rooms read-only, new requests."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from store.accounts.roles import Role
from tests.accounts import account_named
from tests.conftest import PASSWORD
from tests.e2e.test_ward_room import make_booking
from tests.sealed import post_as, stored_texts
from tests.sshclient import connect


async def test_several_bookings_give_a_list_and_enter_opens_one(wardroom):
    office, _booking = await make_booking(wardroom)
    await wardroom.add_account("carl", Role.COUNSELLOR)
    await wardroom.services.bookings.create(office, "klara", "carl", weeks=3)
    client = await connect(wardroom.port, "klara", PASSWORD)
    try:
        screen = await client.wait_for("carl")
        assert "bernd" in screen and "Stationszimmer mit" not in screen
        assert "läuft bis 12.12.2026 10:00" in screen
        client.send("\r")  # the first row is highlighted: the booking that ends first
        await client.wait_for("Stationszimmer mit bernd")
        client.send("\x1b")
        await client.wait_for("carl")
        client.send("\x1b[B")
        await asyncio.sleep(0.1)
        client.send("\r")
        await client.wait_for("Stationszimmer mit carl")
    finally:
        await client.close()


async def test_ended_room_is_read_only_with_its_deletion_date(wardroom):
    office, booking = await make_booking(wardroom, weeks=1)
    klara = await account_named(wardroom.services.accounts, "klara")
    await post_as(wardroom.services, klara, booking.id, "Danke für alles!")
    await wardroom.services.bookings.end(office, booking.id)
    client = await connect(wardroom.port, "klara", PASSWORD)
    try:
        screen = await client.wait_for("nur lesbar")
        assert "wird am 23.01.2027 gelöscht" in screen
        client.send("\r")
        screen = await client.wait_for("Danke für alles!")
        assert "23.01.2027 endgültig gelöscht" in screen
        await client.type("noch etwas")
        client.send("\r")
        await asyncio.sleep(0.3)
        assert await stored_texts(wardroom.services) == ["Danke für alles!"]
    finally:
        await client.close()


async def test_past_the_deletion_date_the_room_is_not_listed(wardroom):
    office, booking = await make_booking(wardroom, weeks=1)
    await wardroom.services.bookings.end(office, booking.id)
    wardroom.clock.advance(timedelta(days=57))
    client = await connect(wardroom.port, "klara", PASSWORD)
    try:
        screen = await client.wait_for("noch keine Beratung")
        assert "bernd" not in screen
    finally:
        await client.close()


async def test_filing_a_request_from_home(wardroom):
    await wardroom.add_account("klara", Role.CLIENT)
    client = await connect(wardroom.port, "klara", PASSWORD)
    try:
        await client.wait_for("noch keine Beratung")
        client.send("n")
        await client.wait_for("Neues Anliegen")
        await asyncio.sleep(0.2)  # the form's field takes the focus once it is shown
        await client.type("Ich möchte nach der OP wieder laufen lernen.")
        client.send("\r")
        screen = await client.wait_for("Ihre offenen Anliegen")
        assert "Ihr Anliegen wurde gespeichert" in screen
        assert "wieder laufen lernen." in screen
    finally:
        await client.close()


async def test_room_looks_right_at_200x50(wardroom):
    await make_booking(wardroom)
    client = await connect(wardroom.port, "klara", PASSWORD, size=(200, 50))
    try:
        await client.wait_for("Stationszimmer mit bernd")
        await client.type("Eine Zeile, die bei 200 Spalten nicht umbricht.")
        client.send("\r")
        await client.wait_for("10:00 · Sie")
        lines = client.text().splitlines()
        assert lines[0].startswith("wardroom · Stationszimmer mit bernd")
        assert lines[0].rstrip().endswith("klara")
        assert "Senden" in lines[-1] and "Neue Zeile" in lines[-1] and "Zurück" in lines[-1]
        border = next(i for i, line in enumerate(lines) if line.startswith("────"))
        assert border > 40  # the history takes the height, the box stays small
    finally:
        await client.close()
