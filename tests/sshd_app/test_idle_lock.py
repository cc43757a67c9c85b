"""The idle lock: one server-wide sweep locks a quiet session, the password unlocks it, and a
session left locked ends. Time moves on the test clock; the sweep is called, not waited for."""

from __future__ import annotations

from datetime import timedelta

from store.roles import Role
from tests.conftest import PASSWORD
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
