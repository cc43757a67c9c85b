"""`admin request list`, `match`, `booking …` and `audit` over SSH exec and locally."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from sshd_app.config import Settings
from store.accounts.roles import Role
from store.clock import FrozenClock
from store.rooms.booking import BookingState
from store.services import Services
from tests.conftest import PASSWORD, RunningServer
from tests.sshclient import connect
from tests.sshd_app.admin_cli import (
    STAFF,
    TRANSPORTS,
    AdminTransport,
    db_snapshot,
    staff_in_shared_world,
    staff_on,
)


@pytest.fixture(params=TRANSPORTS)
async def admin(request: pytest.FixtureRequest, settings: Settings, services: Services,
                clock: FrozenClock) -> AsyncIterator[AdminTransport]:
    async with staff_on(request.param, request, settings, services, clock) as transport:
        await _people(transport.world)
        yield transport


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=TRANSPORTS)
async def shared_admin(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                       host_keys_dir: Path) -> AsyncIterator[AdminTransport]:
    """The same people, in one world per transport for the tests marked in_shared_world: each
    is refused and proves with db_snapshot that it changed nothing."""
    async with staff_in_shared_world(request.param, tmp_path_factory.mktemp("shared"),
                                     host_keys_dir) as transport:
        await _people(transport.world)
        yield transport


# These tests run in the module's event loop, where their shared world lives.
in_shared_world = pytest.mark.asyncio(loop_scope="module")


async def _people(world: RunningServer) -> None:
    """Staff, two counsellors (bert disabled), clients carla (with an open request), dora, and
    eve (disabled)."""
    services = world.services
    staff = await _staff(world)
    for name, role in (("anna", Role.COUNSELLOR), ("bert", Role.COUNSELLOR),
                       ("carla", Role.CLIENT), ("dora", Role.CLIENT), ("eve", Role.CLIENT)):
        await world.add_account(name, role)
    carla = await services.accounts.by_username("carla")
    assert carla is not None
    await services.requests.file(carla, "Nach der Reha\nbrauche ich jemanden zum Reden.")
    for name in ("bert", "eve"):
        await services.account_admin.disable(staff, name)


async def _staff(world: RunningServer):
    staff = await world.services.accounts.by_username(STAFF)
    assert staff is not None
    return staff


async def _refused(admin: AdminTransport, *argv: str) -> str:
    """Run a command that must fail with exit 1, one line on stderr, and no change at all."""
    before = await db_snapshot(admin.world.services.db)
    result = await admin.run(*argv)
    assert result.returncode == 1, result
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert await db_snapshot(admin.world.services.db) == before
    return result.stderr


# -- request list -----------------------------------------------------------------------------

async def test_request_list_shows_open_requests_with_their_text(admin):
    services = admin.world.services
    dora = await services.accounts.by_username("dora")
    assert dora is not None
    withdrawn = await services.requests.file(dora, "nicht mehr nötig")
    await services.requests.withdraw(dora, withdrawn.id)
    result = await admin.run("request", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{
        "id": 1, "client": "carla", "filed": "2026-11-28T10:00:00+01:00",
        "text": "Nach der Reha\nbrauche ich jemanden zum Reden."}]
    table = (await admin.run("request", "list")).stdout.splitlines()
    assert table[0].split() == ["ID", "CLIENT", "FILED", "(BERLIN)", "REQUEST"]
    assert table[1].split() == ["1", "carla", "2026-11-28", "10:00", "Nach", "der", "Reha",
                                "brauche", "ich", "jemanden", "zum", "Reden."]


async def test_request_list_is_empty_once_matched(admin):
    assert (await admin.run("match", "1", "anna", "--weeks", "4")).returncode == 0
    assert json.loads((await admin.run("request", "list", "--json")).stdout) == []
    assert (await admin.run("request", "list")).stdout.splitlines()[-1] == "(none)"


# -- match ------------------------------------------------------------------------------------

async def test_match_books_the_counsellor_for_the_request_and_prints_the_id(admin):
    world = admin.world
    result = await admin.run("match", "1", "anna", "--weeks", "4")
    assert result.returncode == 0, result.stderr
    booking = await world.services.bookings.get(int(result.stdout))
    assert booking is not None
    assert (booking.client_username, booking.counsellor_username) == ("carla", "anna")
    assert booking.starts_at == world.clock.now()
    assert booking.ends_at == world.clock.now() + timedelta(weeks=4)
    request = await world.services.requests.read(await _staff(world), 1)
    assert (request.status, request.booking_id) == ("matched", booking.id)
    assert [(e.actor, e.target_ids) for e in await world.services.audit.entries()
            if e.action == "match"] == [(admin.actor, f"1,{booking.id}")]


async def test_match_json_prints_an_object_with_the_id(admin):
    result = await admin.run("match", "1", "anna", "--weeks", "2", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"id": 1}


async def test_match_of_an_already_matched_request_changes_nothing(admin):
    assert (await admin.run("match", "1", "anna", "--weeks", "4")).returncode == 0
    error = await _refused(admin, "match", "1", "anna", "--weeks", "4")
    assert error == "admin: request 1 is not open (matched)\n"


@in_shared_world
@pytest.mark.parametrize(("argv", "error"), [
    (["match", "99", "anna", "--weeks", "4"], "admin: not found: request 99\n"),
    (["match", "1", "dora", "--weeks", "4"], "admin: dora is not a counsellor\n"),
    (["match", "1", "boss", "--weeks", "4"], "admin: boss is not a counsellor\n"),
    (["match", "1", "bert", "--weeks", "4"], "admin: account bert is disabled\n"),
    (["match", "1", "nobody", "--weeks", "4"], "admin: not found: account nobody\n"),
    (["match", "1", "anna", "--weeks", "0"], "admin: weeks must be between 1 and 52\n"),
    (["match", "1", "anna", "--weeks", "53"], "admin: weeks must be between 1 and 52\n"),
])
async def test_match_refusals_name_the_problem_and_change_nothing(shared_admin, argv, error):
    assert await _refused(shared_admin, *argv) == error


async def test_match_for_a_client_disabled_since_filing_changes_nothing(admin):
    world = admin.world
    await world.services.account_admin.disable(await _staff(world), "carla")
    error = await _refused(admin, "match", "1", "anna", "--weeks", "4")
    assert error == "admin: account carla is disabled\n"


# -- booking create ---------------------------------------------------------------------------

async def test_booking_create_starts_now_or_at_midnight_berlin_of_the_given_date(admin):
    world = admin.world
    now_result = await admin.run("booking", "create", "dora", "anna", "--weeks", "2")
    assert now_result.returncode == 0, now_result.stderr
    booking = await world.services.bookings.get(int(now_result.stdout))
    assert booking is not None and booking.starts_at == world.clock.now()

    later = await admin.run("booking", "create", "carla", "anna", "--weeks", "1",
                            "--start", "2026-12-07", "--json")
    assert later.returncode == 0, later.stderr
    booking = await world.services.bookings.get(json.loads(later.stdout)["id"])
    assert booking is not None
    assert booking.starts_at == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)  # 00:00 in Berlin
    assert booking.ends_at == datetime(2026, 12, 13, 23, 0, tzinfo=UTC)
    assert [(e.actor, e.action) for e in await world.services.audit.entries()
            if e.action.startswith("booking.")] == [(admin.actor, "booking.create")] * 2


@in_shared_world
@pytest.mark.parametrize(("argv", "error"), [
    (["booking", "create", "eve", "anna", "--weeks", "2"], "admin: account eve is disabled\n"),
    (["booking", "create", "dora", "bert", "--weeks", "2"], "admin: account bert is disabled\n"),
    (["booking", "create", "dora", "carla", "--weeks", "2"], "admin: carla is not a counsellor\n"),
    (["booking", "create", "anna", "anna", "--weeks", "2"], "admin: anna is not a client\n"),
    (["booking", "create", "nobody", "anna", "--weeks", "2"],
     "admin: not found: account nobody\n"),
    (["booking", "create", "dora", "anna", "--weeks", "2", "--start", "2026-01-01"],
     "admin: the booking would end in the past\n"),
])
async def test_booking_create_refusals_change_nothing(shared_admin, argv, error):
    assert await _refused(shared_admin, *argv) == error


@in_shared_world
@pytest.mark.parametrize(("argv", "error"), [
    (["booking", "create", "dora", "anna", "--weeks", "2", "--start", "next tuesday"],
     "is not a date: use YYYY-MM-DD"),
    (["booking", "create", "dora", "anna", "--weeks", "2", "--start", "0001-01-01"],
     "is out of range: use a year from 1970 to 9000"),
    (["booking", "extend", "1", "--until", "9999-12-31T23:00+00:00"], "is out of range"),
    (["booking", "end", "99999999999999999999"], "is not an id"),
    (["booking", "end", "-5"], "is not an id"),
    (["match", "0", "anna", "--weeks", "2"], "is not an id"),
])
async def test_bad_dates_and_ids_are_usage_errors_and_change_nothing(shared_admin, argv, error):
    before = await db_snapshot(shared_admin.world.services.db)
    result = await shared_admin.run(*argv)
    assert result.returncode == 2
    assert error in result.stderr and "Traceback" not in result.stderr
    assert await db_snapshot(shared_admin.world.services.db) == before


# -- booking list, end, extend ----------------------------------------------------------------

async def _bookings(admin: AdminTransport) -> tuple[int, int]:
    """An active booking (dora–anna, two weeks from now) and one starting on 7 December."""
    active = await admin.run("booking", "create", "dora", "anna", "--weeks", "2")
    upcoming = await admin.run("booking", "create", "carla", "anna", "--weeks", "1",
                               "--start", "2026-12-07")
    return int(active.stdout), int(upcoming.stdout)


async def test_booking_list_shows_who_when_and_state_in_berlin_time(admin):
    active, upcoming = await _bookings(admin)
    result = await admin.run("booking", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [  # soonest end first
        {"id": active, "client": "dora", "counsellor": "anna",
         "start": "2026-11-28T10:00:00+01:00", "end": "2026-12-12T10:00:00+01:00",
         "state": "active", "ended_early": False},
        {"id": upcoming, "client": "carla", "counsellor": "anna",
         "start": "2026-12-07T00:00:00+01:00", "end": "2026-12-14T00:00:00+01:00",
         "state": "before_start", "ended_early": False},
    ]
    table = (await admin.run("booking", "list")).stdout.splitlines()
    assert table[0].split() == ["ID", "STATE", "START", "(BERLIN)", "END", "(BERLIN)", "CLIENT",
                                "COUNSELLOR"]
    assert table[1].split() == [str(active), "active", "2026-11-28", "10:00", "2026-12-12",
                                "10:00", "dora", "anna"]


async def test_booking_end_ends_it_now_once(admin):
    world = admin.world
    active, _ = await _bookings(admin)
    world.clock.advance(timedelta(days=1))
    result = await admin.run("booking", "end", str(active))
    assert (result.returncode, result.stdout) == (
        0, f"booking {active} ended 2026-11-29 10:00 (Europe/Berlin)\n")
    booking = await world.services.bookings.get(active)
    assert booking is not None and booking.state(world.clock.now()) is BookingState.ENDED
    assert [(e.actor, e.target_ids) for e in await world.services.audit.entries()
            if e.action == "booking.end"] == [(admin.actor, str(active))]
    assert await _refused(admin, "booking", "end", str(active)) == (
        f"admin: booking {active} has already ended\n")


@pytest.mark.sessions
async def test_booking_end_removes_the_counsellor_from_the_open_room_at_once(admin):
    """Locally too: `wardroom admin` on the host reaches the running server's sessions."""
    world = admin.world
    active, _ = await _bookings(admin)
    counsellor = await connect(world.port, "anna", PASSWORD)
    try:
        await counsellor.wait_for("dora")
        counsellor.send("\r")
        await counsellor.wait_for("Stationszimmer mit dora")
        result = await admin.run("booking", "end", str(active))
        assert (result.returncode, result.stderr) == (0, "")
        screen = await counsellor.wait_for("keinen Zugriff mehr")
        assert "Stationszimmer mit dora" not in screen
    finally:
        await counsellor.close()


async def test_booking_extend_moves_the_end_to_midnight_berlin_of_the_date(admin):
    world = admin.world
    active, _ = await _bookings(admin)
    result = await admin.run("booking", "extend", str(active), "--until", "2026-12-24")
    assert (result.returncode, result.stdout) == (
        0, f"booking {active} now ends 2026-12-24 00:00 (Europe/Berlin)\n")
    booking = await world.services.bookings.get(active)
    assert booking is not None and booking.ends_at == datetime(2026, 12, 23, 23, 0, tzinfo=UTC)
    assert [e.target_ids for e in await world.services.audit.entries()
            if e.action == "booking.extend"] == [str(active)]


async def test_booking_extend_to_before_the_start_changes_nothing(admin):
    _, upcoming = await _bookings(admin)
    error = await _refused(admin, "booking", "extend", str(upcoming), "--until", "2026-12-01")
    assert error == "admin: the new end must be after the current end\n"


async def test_booking_extend_of_an_ended_booking_changes_nothing(admin):
    active, _ = await _bookings(admin)
    assert (await admin.run("booking", "end", str(active))).returncode == 0
    error = await _refused(admin, "booking", "extend", str(active), "--until", "2027-01-10")
    assert error == f"admin: booking {active} has ended; create a new booking instead\n"


@in_shared_world
@pytest.mark.parametrize("argv", [["booking", "end", "99"],
                                  ["booking", "extend", "99", "--until", "2027-01-10"]])
async def test_a_missing_booking_is_named_and_nothing_changes(shared_admin, argv):
    assert await _refused(shared_admin, *argv) == "admin: not found: booking 99\n"


# -- audit ------------------------------------------------------------------------------------

async def test_audit_lists_actions_with_ids_and_since_filters_by_berlin_date(admin):
    world = admin.world
    assert (await admin.run("booking", "create", "dora", "anna", "--weeks", "2")).returncode == 0
    world.clock.advance(timedelta(days=3))
    assert (await admin.run("booking", "end", "1")).returncode == 0
    everything = json.loads((await admin.run("audit", "--json")).stdout)
    own = [e for e in everything if e["action"].startswith("booking.")]
    assert [(e["actor"], e["action"], e["targets"], e["at"]) for e in own] == [
        (admin.actor, "booking.create", [1], "2026-11-28T10:00:00+01:00"),
        (admin.actor, "booking.end", [1], "2026-12-01T10:00:00+01:00"),
    ]
    recent = json.loads((await admin.run("audit", "--since", "2026-12-01", "--json")).stdout)
    # The earlier reading of the trail is in it too (reads are audited).
    assert {e["action"] for e in recent} <= {"booking.end", "staff.login", "audit.read"}
    assert "booking.end" in {e["action"] for e in recent}
    table = (await admin.run("audit", "--since", "2026-12-01")).stdout.splitlines()
    assert table[0].split() == ["ID", "WHEN", "(BERLIN)", "ACTOR", "ACTION", "TARGETS"]
    assert any(line.split()[1:] == ["2026-12-01", "10:00", admin.actor, "booking.end", "1"]
               for line in table[1:])
