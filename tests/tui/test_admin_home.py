"""The staff home over a real SSH terminal: requests, counsellors' load, endings soon, commands.

Who and when only: a marker posted in a ward room is never drawn.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.accounts.roles import Role
from tests.accounts import account_named
from tests.conftest import PASSWORD, RunningServer
from tests.sealed import post_as
from tests.sshclient import connect

MARKER = "MARKER-room-text-4b1d"
REQUEST = "Nach der Reha [bold]allein[/] [@click=app.quit]x[/] zu Hause, bitte begleiten"


async def _caseload(world: RunningServer) -> None:
    """anna: two active bookings (one ends in 3 days); bert: none, disabled; carla waits."""
    services = world.services
    boss = await world.add_account("boss", Role.ADMIN)
    await world.add_account("anna", Role.COUNSELLOR)
    await world.add_account("bert", Role.COUNSELLOR)
    carla = await world.add_account("carla", Role.CLIENT)
    dora = await world.add_account("dora", Role.CLIENT)
    await world.add_account("emil", Role.CLIENT)
    await services.requests.file(carla, REQUEST)
    now = world.clock.now()
    soon = await services.bookings.create(boss, "dora", "anna", 1, start=now - timedelta(days=4))
    await services.bookings.create(boss, "emil", "anna", 4)
    await post_as(services, dora, soon.id, f"Heute {MARKER}")
    await services.account_admin.disable(boss, "bert")


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_admin_home_shows_the_caseload_at_both_sizes(wardroom, size):
    await _caseload(wardroom)
    session = await connect(wardroom.port, "boss", PASSWORD, size=size)
    try:
        screen = await session.wait_for("Offene Anliegen (1)")
        request_row = next(line for line in screen.splitlines() if "carla" in line)
        # dates as every other screen writes them (07.12.2026 00:37)
        assert request_row.split()[:4] == ["1", "carla", "28.11.2026", "10:00"]
        assert "[bold]allein[/]" in request_row  # shown as typed, never as markup
        assert "anna                 2" in screen
        assert "bert (gesperrt)      0" in screen
        assert "Buchungen, die in den nächsten 7 Tagen enden (1)" in screen
        assert "1    01.12.2026 10:00  dora       anna" in screen
        assert "emil" not in screen  # ends in four weeks, not soon
        if size == (80, 24):
            session.send("\x1b[F")  # End: the body scrolls to its last line
            screen = await session.wait_for("admin audit --since JJJJ-MM-TT")
        assert "admin match NR BERATER/IN --weeks N" in screen
        assert session.screen.display[-1].lstrip().startswith("r Aktualisieren")
        assert MARKER not in session.raw.decode("utf-8", errors="replace")
    finally:
        await session.close()


async def test_refresh_shows_a_request_filed_meanwhile(wardroom):
    await _caseload(wardroom)
    session = await connect(wardroom.port, "boss", PASSWORD, size=(120, 40))
    try:
        await session.wait_for("Offene Anliegen (1)")
        emil = await wardroom.services.accounts.by_username("emil")
        assert emil is not None
        await wardroom.services.requests.file(emil, "Zweites Anliegen")
        session.send("r")
        screen = await session.wait_for("Offene Anliegen (2)")
        assert "Zweites Anliegen" in screen
    finally:
        await session.close()


async def test_the_home_leaves_a_place_for_the_statistics_chart(wardroom):
    await _caseload(wardroom)
    session = await connect(wardroom.port, "boss", PASSWORD)
    try:
        await session.wait_for("Offene Anliegen")
        [running] = [s for s in wardroom.server.sessions if s.app is not None]
        assert running.app is not None
        assert running.app.screen.query("#admin-stats")
    finally:
        await session.close()


async def test_admin_home_speaks_english_for_an_english_account(wardroom):
    await _caseload(wardroom)
    await wardroom.services.accounts.set_language(
        (await account_named(wardroom.services.accounts, "boss")).id, "en")
    session = await connect(wardroom.port, "boss", PASSWORD, size=(200, 50))
    try:
        screen = await session.wait_for("Open requests (1)")
        assert "Bookings ending in the next 7 days (1)" in screen
        assert "bert (disabled)" in screen
        assert "admin match ID COUNSELLOR --weeks N" in screen
    finally:
        await session.close()
