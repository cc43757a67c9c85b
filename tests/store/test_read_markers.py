"""Read markers wait to be written together; they are never lost to the wait, never move
back, and never outlive the account or the room they describe."""

from __future__ import annotations

from store.rooms.read_markers import ReadMarkers
from tests.sealed import post_as
from tests.store.test_room_access_matrix import MOMENT, _world


async def marker(services, account_id: int, booking_id: int) -> int | None:
    row = await services.db.fetchone(
        "SELECT last_message_id FROM room_read WHERE account_id = ? AND booking_id = ?",
        (account_id, booking_id))
    return None if row is None else row[0]


async def test_unread_counts_and_closing_see_every_noted_marker(services, clock, monkeypatch):
    monkeypatch.setattr(ReadMarkers, "delay", 3600.0)
    accounts, booking, _request = await _world(services)
    clock.set(MOMENT["active"])
    client, counsellor = accounts["client"], accounts["counsellor"]
    first = await post_as(services, client, booking.id, "eins")
    second = await post_as(services, client, booking.id, "zwei")
    assert (await services.rooms.unread_counts(counsellor))[booking.id] == 2
    await services.rooms.mark_read(counsellor, booking.id, second.id)
    await services.rooms.mark_read(counsellor, booking.id, first.id)  # late: never moves back
    assert (await services.rooms.unread_counts(counsellor))[booking.id] == 0
    third = await post_as(services, client, booking.id, "drei")
    await services.rooms.mark_read(counsellor, booking.id, third.id)
    await services.rooms.write_read_markers()  # as Services.close does
    assert await marker(services, counsellor.id, booking.id) == third.id


async def test_a_marker_for_an_erased_account_is_not_written(services, clock, monkeypatch):
    monkeypatch.setattr(ReadMarkers, "delay", 3600.0)
    accounts, booking, _request = await _world(services)
    clock.set(MOMENT["active"])
    message = await post_as(services, accounts["counsellor"], booking.id, "Hallo")
    await services.rooms.mark_read(accounts["client"], booking.id, message.id)
    await services.db.execute("DELETE FROM account WHERE id = ?", (accounts["client"].id,))
    await services.rooms.write_read_markers()
    row = await services.db.fetchone("SELECT count(*) FROM room_read WHERE account_id = ?",
                                     (accounts["client"].id,))
    assert row[0] == 0
