"""The idle lock: one server-wide sweep locks a quiet session, the password unlocks it, and a
session left locked ends. Time moves on the test clock; the sweep is called, not waited for."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from store.accounts.roles import Role
from tests.accounts import account_named
from tests.conftest import PASSWORD
from tests.sealed import post_as
from tests.sshclient import connect

HOME = "Ihre Beratungen"


async def _logged_in(wardroom):
    await wardroom.add_account("kim", Role.COUNSELLOR)
    client = await connect(wardroom.port, "kim", PASSWORD)
    await client.wait_for(HOME)
    return client


async def test_quiet_session_locks_and_shows_nothing_personal(wardroom):
    client = await _logged_in(wardroom)
    try:
        wardroom.clock.advance(timedelta(minutes=14, seconds=50))
        wardroom.server.idle_watch.sweep()
        await client.wait_for(HOME)  # not yet
        wardroom.clock.advance(timedelta(seconds=20))
        wardroom.server.idle_watch.sweep()
        screen = await client.wait_for("Gesperrt")
        assert "kim" not in screen and HOME not in screen
    finally:
        await client.close()


async def test_wrong_password_keeps_it_locked_right_one_unlocks(wardroom):
    client = await _logged_in(wardroom)
    try:
        wardroom.clock.advance(timedelta(minutes=16))
        wardroom.server.idle_watch.sweep()
        await client.wait_for("Gesperrt")
        await client.type("not-the-password\r")
        await client.wait_for("stimmt nicht")
        assert "kim" not in client.text()
        await client.type(PASSWORD + "\r")
        screen = await client.wait_for(HOME)
        assert "kim" in screen
        assert all(s.app.locked_at is None for s in wardroom.server.sessions)
    finally:
        await client.close()


async def test_input_keeps_a_session_open(wardroom):
    client = await _logged_in(wardroom)
    try:
        for _ in range(3):
            wardroom.clock.advance(timedelta(minutes=10))
            await client.type("\x1b[B")  # a key press (arrow down) is activity
            wardroom.server.idle_watch.sweep()
        await client.wait_for(HOME)
        assert all(s.app.locked_at is None for s in wardroom.server.sessions)
    finally:
        await client.close()


async def test_session_left_locked_ends(wardroom):
    client = await _logged_in(wardroom)
    try:
        wardroom.clock.advance(timedelta(minutes=16))
        wardroom.server.idle_watch.sweep()
        await client.wait_for("Gesperrt")
        wardroom.clock.advance(timedelta(minutes=14))
        wardroom.server.idle_watch.sweep()
        assert not client.closed.is_set()
        wardroom.clock.advance(timedelta(minutes=2))
        wardroom.server.idle_watch.sweep()
        await client.wait_closed()
        assert b"Inaktivit" in bytes(client.raw)
    finally:
        await client.close()


async def test_three_wrong_passwords_end_the_locked_session(wardroom):
    client = await _logged_in(wardroom)
    try:
        wardroom.clock.advance(timedelta(minutes=16))
        wardroom.server.idle_watch.sweep()
        await client.wait_for("Gesperrt")
        for attempt in range(3):
            await client.type(f"wrong-guess-{attempt}\r")
        await client.wait_closed()
    finally:
        await client.close()


async def test_sweep_runs_as_one_server_task_not_a_timer_per_session(wardroom):
    clients = [await _logged_in(wardroom)] + [await connect(wardroom.port, "kim", PASSWORD)
                                              for _ in range(2)]
    try:
        for client in clients:
            await client.wait_for(HOME)
        # The server's only periodic work for idle sessions is this one task.
        assert wardroom.server.idle_watch._task is not None
        assert not wardroom.server.idle_watch._task.done()
        wardroom.clock.advance(timedelta(minutes=16))
        wardroom.server.idle_watch.sweep()
        for client in clients:
            await client.wait_for("Gesperrt")
    finally:
        for client in clients:
            await client.close()


# -- the lock stays on top whatever changes beneath it -----------------------------------------

async def _locked_in_room(wardroom):
    """A counsellor with a room open, locked; returns the staff account, booking, terminal."""
    from tests.e2e.test_ward_room import ROOM_OF_COUNSELLOR, make_booking, open_as_counsellor

    office, booking = await make_booking(wardroom)
    counsellor = await open_as_counsellor(wardroom)
    assert ROOM_OF_COUNSELLOR in counsellor.text()
    wardroom.clock.advance(timedelta(minutes=16))
    wardroom.server.idle_watch.sweep()
    await counsellor.wait_for("Gesperrt")
    return office, booking, counsellor


def _front(wardroom) -> str:
    (session,) = wardroom.server.sessions
    return type(session.app.screen).__name__


async def _settled() -> None:
    """Time for the app to handle what the test set off (a wait, not a timed assertion)."""
    await asyncio.sleep(0.5)


async def test_lock_stays_on_top_when_the_open_rooms_booking_ends(wardroom):
    """Regression (audit): booking end dropped every screen above the room, the lock too, and
    the counsellor landed unlocked on the dashboard."""
    office, booking, counsellor = await _locked_in_room(wardroom)
    try:
        await wardroom.services.bookings.end(office, booking.id)
        await _settled()
        assert _front(wardroom) == "LockScreen"
        screen = counsellor.text()
        assert "Gesperrt" in screen and HOME not in screen and "klara" not in screen
        await counsellor.type(PASSWORD + "\r")
        screen = await counsellor.wait_for(HOME)
        assert "keinen Zugriff mehr" in screen  # the room is gone beneath the lock
        assert _front(wardroom) == "CounsellorHomeScreen"
    finally:
        await counsellor.close()


async def test_lock_stays_on_top_through_hub_events_and_a_resize(wardroom):
    office, booking, counsellor = await _locked_in_room(wardroom)
    try:
        klara = await account_named(wardroom.services.accounts, "klara")
        await post_as(wardroom.services, klara, booking.id, "Hallo, sind Sie da?")
        await wardroom.services.bookings.extend(
            office, booking.id, booking.ends_at + timedelta(days=7))
        await wardroom.add_account("kora", Role.CLIENT)  # a new booking on the dashboard
        await wardroom.services.bookings.create(office, "kora", "bernd", weeks=1)
        counsellor.resize(100, 30)
        await _settled()
        assert _front(wardroom) == "LockScreen"
        screen = counsellor.text()
        assert "Gesperrt" in screen and "Hallo" not in screen and "klara" not in screen
    finally:
        await counsellor.close()


async def test_wrong_passwords_count_across_a_lock_pushed_again(wardroom):
    office, booking, counsellor = await _locked_in_room(wardroom)
    try:
        await counsellor.type("wrong-guess-1\r")
        await counsellor.wait_for("stimmt nicht")
        await wardroom.services.bookings.end(office, booking.id)  # a fresh lock screen
        await _settled()
        await counsellor.type("wrong-guess-2\r")
        await counsellor.type("wrong-guess-3\r")
        await counsellor.wait_closed()
    finally:
        await counsellor.close()
