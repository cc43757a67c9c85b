"""The hub across processes: events survive the wire, reach every linked hub once, and the
per-process state that rides on them (presence, the booking timer's wake-ups) stays in step."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from datetime import UTC, datetime
from typing import Any

import pytest

from store.accounts.accounts import Account
from store.accounts.roles import Role
from store.hub import hub as hub_module
from store.hub.hub import (
    BOOKINGS_TOPIC,
    AccountClosed,
    BookingChanged,
    MessagePosted,
    PresenceChanged,
    account_topic,
    room_topic,
)
from store.hub.presence import RoomPresence
from store.hub.relay import LinkedHub, RelayHub
from store.hub.wire import WIRE_TYPES, WireError, event_frame, frame, frame_event, read_frame
from store.rooms.rooms import SealedMessage
from tests.linked_hubs import Inbox, settled

SENT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
POSTED = MessagePosted(7, SealedMessage(3, 7, "client", "klara", SENT, "c2VhbGVkIGJ5dGVz"))


def account(account_id: int) -> Account:
    return Account(id=account_id, username=f"a{account_id}", role=Role.CLIENT,
                   must_change_password=False, disabled=False, language="de", created_at="")


async def decoded(data: bytes) -> Any:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    payload = await read_frame(reader)
    assert payload is not None
    return frame_event(payload)


@pytest.mark.parametrize("event", [POSTED, BookingChanged(7), PresenceChanged(7),
                                   AccountClosed(4, "erased")])
async def test_events_cross_the_wire_unchanged(event):
    assert await decoded(event_frame(room_topic(7), event)) == event


def test_every_event_the_hub_defines_can_cross():
    events = {name for name, member in inspect.getmembers(hub_module, inspect.isclass)
              if dataclasses.is_dataclass(member) and member.__module__ == hub_module.__name__}
    assert events and events <= set(WIRE_TYPES)


async def test_unknown_types_and_oversized_frames_are_refused():
    @dataclasses.dataclass(frozen=True)
    class Stranger:
        x: int

    with pytest.raises(TypeError):
        event_frame(room_topic(1), Stranger(1))
    forged = event_frame(room_topic(1), BookingChanged(1)).replace(b"BookingChanged",
                                                                   b"Subprocess0000")
    with pytest.raises(WireError):
        await decoded(forged)
    reader = asyncio.StreamReader()
    reader.feed_data(b"\xff\xff\xff\xff")
    with pytest.raises(WireError):
        await read_frame(reader)


async def test_an_event_reaches_every_process_once(linked):
    relay, first, second = linked
    inboxes = [Inbox(hub, room_topic(7)) for hub in (relay, first, second)]
    first.publish(room_topic(7), POSTED)
    for inbox in inboxes:
        assert await inbox.next() == POSTED
    closed = [Inbox(hub, account_topic(4)) for hub in (first, second)]
    relay.publish(account_topic(4), AccountClosed(4, "disabled"))
    second.publish(account_topic(4), AccountClosed(4, "erased"))
    await settled(linked)
    for inbox in closed:
        assert sorted(e.reason for e in inbox.events) == ["disabled", "erased"]
    assert [len(inbox.events) for inbox in inboxes] == [1, 1, 1]


async def test_presence_counts_agree_in_every_process(linked):
    relay, first, second = linked
    presences = [RoomPresence(hub) for hub in (relay, first, second)]
    announced = [Inbox(hub, room_topic(7)) for hub in (relay, first, second)]
    presences[1].enter(7, account(4))
    await settled(linked)
    assert all(p.is_here(7, 4) for p in presences)
    assert [inbox.events for inbox in announced] == [[PresenceChanged(7)]] * 3
    presences[2].enter(7, account(4))  # a second session of the same person
    presences[1].leave(7, account(4))
    await settled(linked)
    assert all(p.is_here(7, 4) for p in presences)
    presences[2].leave(7, account(4))
    await settled(linked)
    assert not any(p.is_here(7, 4) for p in presences)
    assert announced[2].events == [PresenceChanged(7)] * 2  # arrived, left: nothing between


async def test_the_parent_hears_every_booking_change_for_its_timer(linked):
    relay, first, _second = linked
    timer_inbox = Inbox(relay, BOOKINGS_TOPIC)
    first.publish(BOOKINGS_TOPIC, BookingChanged(12))
    assert await timer_inbox.next() == BookingChanged(12)


async def test_a_worker_notices_when_its_parent_is_gone(linked):
    relay, first, _second = linked
    await relay.close()
    await asyncio.wait_for(first.closed.wait(), 5)


async def test_a_dead_workers_sessions_leave_every_room(linked):
    """A worker killed with its sessions never says they left: the relay's ProcessGone does."""
    relay, first, second = linked
    presences = [RoomPresence(hub) for hub in (relay, first, second)]
    presences[1].enter(7, account(4))
    presences[2].enter(8, account(5))
    await settled(linked)
    announced = [Inbox(hub, room_topic(7)) for hub in (relay, second)]
    await first.close()
    for inbox in announced:
        assert await inbox.next() == PresenceChanged(7)
    for presence in (presences[0], presences[2]):
        assert not presence.is_here(7, 4)
        assert presence.is_here(8, 5)  # the living worker's sessions stay


async def test_a_socket_path_longer_than_unix_sockets_allow_still_links(tmp_path):
    folder = tmp_path / ("d" * 120)
    folder.mkdir()
    relay = RelayHub()
    await relay.listen(folder / "w.db.hub")
    linked = await LinkedHub.connect(folder / "w.db.hub")
    try:
        inbox = Inbox(relay, account_topic(4))
        linked.publish(account_topic(4), AccountClosed(4, "erased"))
        assert await inbox.next() == AccountClosed(4, "erased")
        assert (folder / "w.db.hub").stat().st_mode & 0o777 == 0o600
    finally:
        await linked.close()
        await relay.close()
    assert not (folder / "w.db.hub").exists()


async def test_a_publish_only_link_is_sent_nothing(linked):
    relay, first, _second = linked
    assert relay.path is not None
    command = await LinkedHub.connect(relay.path, listens=False)
    try:
        heard = Inbox(command, room_topic(7))
        first.publish(room_topic(7), POSTED)
        command.publish(room_topic(8), BookingChanged(8))
        await settled(linked)
        assert heard.events == []
    finally:
        await command.close()


async def test_a_linked_command_never_holds_up_the_servers_stop(tmp_path):
    relay = RelayHub()
    await relay.listen(tmp_path / "w.db.hub")
    command = await LinkedHub.connect(tmp_path / "w.db.hub", listens=False)
    try:
        await asyncio.wait_for(relay.close(), 5)
        await asyncio.wait_for(command.closed.wait(), 5)
    finally:
        await command.close()


async def test_a_link_that_speaks_nonsense_is_dropped_and_the_relay_goes_on(linked, caplog):
    relay, first, second = linked
    assert relay.path is not None
    _reader, writer = await asyncio.open_unix_connection(str(relay.path))
    writer.write(frame({"hello": 5, "listens": False}) + frame({"ready": "x"}))
    await writer.drain()
    await asyncio.wait_for(_reader.read(), 5)  # the relay closed the link
    writer.close()
    assert "hub link of worker -1 dropped" in caplog.text
    inbox = Inbox(second, room_topic(7))
    first.publish(room_topic(7), POSTED)
    assert await inbox.next() == POSTED
