"""The retention window: a room is readable until the last second before its deletion date,
gone from every read path from then on, and a changed window re-dates ended bookings."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from store.deletion.windows import DEFAULT_WINDOW, RetentionWindow
from store.errors import NotFound, NotPermitted
from store.hub.hub import BookingChanged, account_topic, room_topic
from store.rooms.booking import BookingState
from tests.retention_world import make_world
from tests.sealed import history_as, keys_of, post_as

SECOND = timedelta(seconds=1)


async def _export(services, account) -> dict:
    keys = await keys_of(services, account)
    return json.loads("".join([c async for c in services.export.chunks(account, keys)]))


async def _client_sees_room(services, world) -> bool:
    """Every read path a client has, asked at once; they must agree."""
    seen = []
    try:
        await history_as(services, world.client, world.booking.id)
        seen.append(True)
    except NotFound:
        seen.append(False)
    seen.append(world.booking.id in [b.id for b in await services.bookings.for_actor(world.client)])
    seen.append(world.booking.id in await services.rooms.unread_counts(world.client))
    exported = await _export(services, world.client)
    seen.append(world.booking.id in [b["id"] for b in exported["bookings"]])
    seen.append(any(m["booking"] == world.booking.id for m in exported["messages"]))
    assert len(set(seen)) == 1, f"read paths disagree: {seen}"
    return seen[0]


@pytest.mark.parametrize("days", [14, 21, 56, None], ids=["14", "21", "56", "default"])
async def test_readable_until_the_last_second(services, clock, days):
    world = await make_world(services, clock)
    if days is not None:
        await services.retention.choose(world.client, RetentionWindow(days))
    clock.advance(timedelta(minutes=5))
    await post_as(services, world.client, world.booking.id, "Wie geht es weiter?")
    deletes_at = world.ends + timedelta(days=days or 56)

    clock.set(deletes_at - SECOND)
    assert await _client_sees_room(services, world)
    assert (await services.bookings.visible(world.admin, world.booking.id)).id == world.booking.id
    clock.set(deletes_at)
    assert not await _client_sees_room(services, world)
    # and staff see no trace of it either, before the purge has run
    assert world.booking.id not in [b.id for b in await services.bookings.for_actor(world.admin)]
    with pytest.raises(NotFound):
        await services.bookings.visible(world.admin, world.booking.id)
    assert await services.db.fetchone("SELECT 1 FROM booking WHERE id = ?", (world.booking.id,))


async def test_default_is_eight_weeks(services, clock):
    world = await make_world(services, clock)
    assert DEFAULT_WINDOW == 56
    assert await services.retention.current(world.client) == RetentionWindow.EIGHT_WEEKS
    booking = await services.bookings.get(world.booking.id)
    assert booking.deletes_at == world.ends + timedelta(days=56)


async def test_changed_window_re_dates_ended_bookings(services, clock):
    world = await make_world(services, clock)
    clock.set(world.ends + timedelta(days=10))
    fates = await services.retention.consequences(world.client, RetentionWindow.THREE_WEEKS)
    assert [(f.booking_id, f.deletes_at, f.at_once) for f in fates] == [
        (world.booking.id, world.ends + timedelta(days=21), False)]

    await services.retention.choose(world.client, RetentionWindow.THREE_WEEKS)
    booking = await services.bookings.get(world.booking.id)
    assert booking.deletes_at == world.ends + timedelta(days=21)
    await services.retention.choose(world.client, RetentionWindow.EIGHT_WEEKS)
    booking = await services.bookings.get(world.booking.id)
    assert booking.deletes_at == world.ends + timedelta(days=56)


async def test_shorter_window_deletes_a_room_at_once_and_announces_it(services, clock):
    world = await make_world(services, clock)
    clock.advance(timedelta(hours=1))
    await post_as(services, world.client, world.booking.id, "Danke für alles.")
    clock.set(world.ends + timedelta(days=15))
    fates = await services.retention.consequences(world.client, RetentionWindow.TWO_WEEKS)
    assert [f.at_once for f in fates] == [True]
    heard: dict[str, list] = {"room": [], "counsellor": []}
    services.hub.subscribe(room_topic(world.booking.id), heard["room"].append)
    services.hub.subscribe(account_topic(world.counsellor.id), heard["counsellor"].append)

    await services.retention.choose(world.client, RetentionWindow.TWO_WEEKS)

    assert BookingChanged(world.booking.id) in heard["room"]
    assert BookingChanged(world.booking.id) in heard["counsellor"]
    assert await services.bookings.get(world.booking.id) is None
    row = await services.db.fetchone("SELECT count(*) FROM message")
    assert row[0] == 0


async def test_longer_window_never_brings_back_a_due_room(services, clock):
    world = await make_world(services, clock)
    await services.retention.choose(world.client, RetentionWindow.TWO_WEEKS)
    clock.set(world.ends + timedelta(days=15))  # due, and the purge has not run yet
    assert (await services.bookings.get(world.booking.id)).state(clock.now()) is BookingState.DUE
    await services.retention.choose(world.client, RetentionWindow.EIGHT_WEEKS)
    assert await services.bookings.get(world.booking.id) is None


async def test_only_clients_choose_a_window(services, clock):
    world = await make_world(services, clock)
    for actor in (world.counsellor, world.admin):
        with pytest.raises(NotPermitted):
            await services.retention.choose(actor, RetentionWindow.TWO_WEEKS)
        assert await services.retention.current(actor) is None
