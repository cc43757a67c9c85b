"""`admin retention status|run`, `admin user erase`, and the retention task inside the server."""

from __future__ import annotations

import asyncio
import json
import shlex
from datetime import timedelta

from sshd_app.server import WardroomServer
from tests.conftest import PASSWORD
from tests.retention_world import (
    ended_room_with_marker,
    files_holding,
    files_holding_bytes,
    make_world,
    marker_text,
    new_token,
    room_secrets,
)
from tests.sealed import post_as
from tests.sshclient import connect, run_command

DAY = timedelta(days=1)


async def admin(wardroom, *argv: str, user: str = "admin"):
    return await run_command(wardroom.port, user, shlex.join(["admin", *argv]), PASSWORD)


async def _two_ended_rooms(wardroom):
    first = await make_world(wardroom.services, wardroom.clock)
    second = await make_world(wardroom.services, wardroom.clock, client="otto")
    wardroom.clock.advance(timedelta(hours=1))
    for world in (first, second):
        await post_as(wardroom.services, world.client, world.booking.id, "Hallo")
    await wardroom.services.retention.choose(second.client, 14)
    wardroom.clock.set(first.ends + 20 * DAY)
    return first, second


async def test_status_lists_what_is_due_when(wardroom):
    first, second = await _two_ended_rooms(wardroom)
    result = await admin(wardroom, "retention", "status", "--json")
    assert result.exit_status == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"booking": second.booking.id, "ended": "2026-12-05T10:00:00+01:00",
         "deletes_at": "2026-12-19T10:00:00+01:00", "due": True},
        {"booking": first.booking.id, "ended": "2026-12-05T10:00:00+01:00",
         "deletes_at": "2027-01-30T10:00:00+01:00", "due": False}]
    table = await admin(wardroom, "retention", "status")
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["BOOKING", "ENDED", "(BERLIN)", "DELETED", "AT", "(BERLIN)",
                                "STATUS"]
    assert "2026-12-19 10:00" in lines[1] and lines[1].endswith("due now")
    assert lines[2].endswith("waiting")


async def test_run_and_dry_run(wardroom):
    first, second = await _two_ended_rooms(wardroom)
    dry = await admin(wardroom, "retention", "run", "--dry-run", "--json")
    assert json.loads(dry.stdout) == {"dry_run": True, "rooms": [second.booking.id],
                                      "messages": 1}
    assert await wardroom.services.bookings.get(second.booking.id) is not None

    done = await admin(wardroom, "retention", "run")
    assert done.exit_status == 0
    assert done.stdout == "deleted 1 rooms with 1 messages\n"
    assert await wardroom.services.bookings.get(second.booking.id) is None
    assert await wardroom.services.bookings.get(first.booking.id) is not None
    audit = await wardroom.services.db.fetchall(
        "SELECT actor, target_ids FROM audit WHERE action = 'retention.delete'")
    assert [tuple(r) for r in audit] == [("admin", str(second.booking.id))]


async def test_non_staff_get_77(wardroom):
    _first, _second = await _two_ended_rooms(wardroom)
    for user in ("klara", "berta"):
        for argv in (("retention", "status"), ("retention", "run"),
                     ("user", "erase", "otto", "--confirm", "otto")):
            result = await admin(wardroom, *argv, user=user)
            assert result.exit_status == 77, (user, argv)
    assert await wardroom.services.accounts.by_username("otto") is not None


async def test_user_erase_needs_the_name_twice(wardroom):
    world = await make_world(wardroom.services, wardroom.clock)
    for argv, code in ((("user", "erase", "klara"), 1),
                       (("user", "erase", "klara", "--confirm", "klaus"), 1),
                       (("user", "erase", "berta", "--confirm", "berta"), 1),
                       (("user", "erase", "niemand", "--confirm", "niemand"), 1)):
        result = await admin(wardroom, *argv)
        assert result.exit_status == code, (argv, result.stderr)
        assert result.stderr.count("\n") == 1
    assert await wardroom.services.accounts.by_username("klara") is not None
    assert await wardroom.services.bookings.get(world.booking.id) is not None


async def test_user_erase_ends_live_sessions_and_leaves_no_bytes(wardroom):
    world = await make_world(wardroom.services, wardroom.clock)
    token = new_token()
    wardroom.clock.advance(timedelta(minutes=5))
    await post_as(wardroom.services, world.client, world.booking.id, marker_text(token))
    secrets = await room_secrets(wardroom.services, world.booking.id)
    await wardroom.services.db.checkpoint()
    assert files_holding(wardroom.db_path, token) == []  # sealed: never there in clear
    assert files_holding_bytes(wardroom.db_path, secrets) == ["wardroom.db"]
    session = await connect(wardroom.port, "klara", PASSWORD)
    try:
        await session.wait_for("Stationszimmer mit berta")
        result = await admin(wardroom, "user", "erase", "klara", "--confirm", "klara")
        assert result.exit_status == 0, result.stderr
        assert result.stdout == "account klara erased with all its data\n"
        await session.wait_closed()
        assert "unwiderruflich gelöscht" in session.raw.decode("utf-8", errors="replace")
    finally:
        await session.close()
    assert files_holding_bytes(wardroom.db_path, secrets) == []
    row = await wardroom.services.db.fetchone(
        "SELECT actor, target_ids FROM audit WHERE action = 'account.erase'")
    assert tuple(row) == ("admin", str(world.client.id))


async def test_local_user_erase_and_retention_run(wardroom):
    from sshd_app.cli import local_admin

    world = await make_world(wardroom.services, wardroom.clock)
    token = new_token()
    await ended_room_with_marker(wardroom.services, wardroom.clock, world, token)
    secrets = await room_secrets(wardroom.services, world.booking.id)
    wardroom.clock.set(world.ends + 56 * DAY)
    assert await local_admin(wardroom.settings, ["retention", "run"],
                             clock=wardroom.clock) == 0
    assert await wardroom.services.bookings.get(world.booking.id) is None
    assert files_holding_bytes(wardroom.db_path, secrets) == []
    assert await local_admin(wardroom.settings, ["user", "erase", "klara", "--confirm",
                                                 "klara"], clock=wardroom.clock) == 0
    assert await wardroom.services.accounts.by_username("klara") is None


async def test_serve_runs_the_retention_task_at_start(settings, services, clock):
    world = await make_world(services, clock)
    token = new_token()
    await ended_room_with_marker(services, clock, world, token)
    secrets = await room_secrets(services, world.booking.id)
    clock.set(world.ends + 56 * DAY)
    server = WardroomServer(settings, services)
    await server.start()
    try:
        for _ in range(200):
            if await services.bookings.get(world.booking.id) is None:
                break
            await asyncio.sleep(0.02)
        assert await services.bookings.get(world.booking.id) is None
        assert files_holding_bytes(services.db.path, secrets) == []
    finally:
        await server.stop()
