"""An idle session runs no timer: nothing of it wakes the server while nobody types.

Counted on the real server's session apps, over real SSH terminals, on the screens people
leave open: the ward room (message box focused), the counsellor's dashboard, the staff home
and the registration form (text fields focused).
"""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App
from textual.message_pump import MessagePump

from store.accounts.roles import Role
from tests.conftest import PASSWORD, RunningServer
from tests.sshclient import connect


def running_timers(app: App) -> list[str]:
    pumps: list[MessagePump] = [app]
    for screen in app.screen_stack:
        pumps += [screen, *screen.walk_children(with_self=False)]
    return [f"{type(pump).__name__}: {timer.name}" for pump in pumps for timer in pump._timers
            if timer._task is not None and timer._active.is_set()]


async def settled_timers(world: RunningServer) -> list[str]:
    """The running timers of the one session, once its start-up work is done (a screen's
    update timer runs until its pending repaints are written, then pauses)."""
    for _ in range(100):
        (session,) = world.server.sessions
        assert session.app is not None
        found = running_timers(session.app)
        if not found:
            return found
        await asyncio.sleep(0.05)
    return found


async def booking(world: RunningServer) -> None:
    office = await world.add_account("office", Role.ADMIN)
    await world.add_account("klara", Role.CLIENT)
    await world.add_account("bernd", Role.COUNSELLOR)
    await world.services.bookings.create(office, "klara", "bernd", weeks=2)


@pytest.mark.parametrize(("username", "shows"), [
    ("klara", "Stationszimmer mit bernd"),
    ("bernd", "Ihre Beratungen"),
    ("office", "Offene Anliegen"),
    ("register", "Benutzername"),
])
async def test_an_idle_session_runs_no_timer(wardroom, username, shows):
    await booking(wardroom)
    terminal = await connect(wardroom.port, username, PASSWORD)
    try:
        await terminal.wait_for(shows)
        assert await settled_timers(wardroom) == []
    finally:
        await terminal.close()


async def test_the_room_stays_without_timers_after_typing_and_sending(wardroom):
    await booking(wardroom)
    terminal = await connect(wardroom.port, "klara", PASSWORD)
    try:
        await terminal.wait_for("Stationszimmer mit bernd")
        terminal.send("Guten Morgen")
        terminal.send("\r")
        await terminal.wait_for("10:00 · Sie")
        assert await settled_timers(wardroom) == []
    finally:
        await terminal.close()
