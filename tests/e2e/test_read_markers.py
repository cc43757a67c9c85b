"""A read marker noted in an open room is stored when the session ends, however it ends, and
when the room is left, without waiting for the batch's delay."""

from __future__ import annotations

import asyncio

import pytest

from store.rooms.read_markers import ReadMarkers
from tests.accounts import account_named
from tests.e2e.test_ward_room import make_booking, open_as_counsellor
from tests.sealed import post_as


async def read_up_to(wardroom, account_id: int, booking_id: int) -> int | None:
    row = await wardroom.services.db.fetchone(
        "SELECT last_message_id FROM room_read WHERE account_id = ? AND booking_id = ?",
        (account_id, booking_id))
    return None if row is None else row[0]


@pytest.mark.parametrize("leaving", ["disconnect", "logout", "back to the dashboard"])
async def test_the_marker_is_stored_when_the_reader_goes(wardroom, monkeypatch, leaving):
    # Only leaving can write it: the batch would wait an hour.
    monkeypatch.setattr(ReadMarkers, "delay", 3600.0)
    _office, booking = await make_booking(wardroom)
    klara = await account_named(wardroom.services.accounts, "klara")
    bernd = await account_named(wardroom.services.accounts, "bernd")
    counsellor = await open_as_counsellor(wardroom)
    try:
        message = await post_as(wardroom.services, klara, booking.id, "Gute Nacht")
        await counsellor.wait_for("Gute Nacht")
        if leaving == "disconnect":
            await counsellor.close()
        elif leaving == "logout":
            counsellor.send("\x11")  # ctrl+q
        else:
            counsellor.send("\x1b")
            await counsellor.wait_for("Ungelesen")
        for _ in range(200):
            if await read_up_to(wardroom, bernd.id, booking.id) == message.id:
                break
            await asyncio.sleep(0.05)
        assert await read_up_to(wardroom, bernd.id, booking.id) == message.id
    finally:
        await counsellor.close()
