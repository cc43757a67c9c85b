"""Storage limits beyond the ward rooms, run by the retention task: unmatched requests go
after 8 weeks, client accounts without booking and login after 12 months, audit entries
after a year, ledger entries once no backup can need them; all configurable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.accounts.roles import Role
from store.deletion.ledger import ErasureKind, erasures_since
from store.deletion.storage_limits import LEDGER_DAYS, StorageLimits, months_before
from store.services import Services
from tests.conftest import PASSWORD, START
from tests.retention_world import files_holding, make_world, new_token

DAY = timedelta(days=1)


@pytest.mark.sqlite_only  # reads SQLite's files (PostgreSQL: test_postgres_deletion.py)
async def test_an_unmatched_request_goes_after_eight_weeks_without_a_trace(services, clock):
    world = await make_world(services, clock)
    token = new_token()
    text = f"{token}-START " + "Angst vor dem Alltag. " * 60 + f"{token}-END"
    unmatched = await services.requests.file(world.client, text)
    matched = await services.requests.file(world.client, "Begleitung gesucht")
    await services.bookings.create(world.admin, "klara", "berta", 2, request_id=matched.id)
    await services.db.checkpoint()
    assert services.requests.deleted_at(unmatched) == START + timedelta(weeks=8)

    clock.set(START + timedelta(weeks=8) - timedelta(seconds=1))
    assert (await services.retention_task.purge()).others.requests == []
    clock.set(START + timedelta(weeks=8))
    assert (await services.retention_task.purge()).others.requests == [unmatched.id]
    assert [r.id for r in await services.requests.own(world.client)] == [matched.id]
    assert files_holding(services.db.path, token) == []
    assert (ErasureKind.REQUEST, unmatched.id) in [
        (e.kind, e.target_id) for e in await erasures_since(services.db)]


@pytest.mark.sqlite_only  # reads SQLite's files (PostgreSQL: test_postgres_deletion.py)
async def test_a_client_without_booking_and_login_for_twelve_months_is_erased(services, clock):
    idle = await services.accounts.create("ida", Role.CLIENT, PASSWORD)
    back = await services.accounts.create("bea", Role.CLIENT, PASSWORD)
    await services.requests.file(idle, "Ein altes Anliegen")
    booked = await make_world(services, clock)  # klara: a booking keeps her account
    await services.bookings.create(booked.admin, "klara", "berta", 52)  # (its room lasts)
    counsellor = booked.counsellor
    clock.set(START + timedelta(days=200))
    await services.accounts.note_login(back.id)  # bea logged in in June 2027

    clock.set(START.replace(year=2027))  # 28 Nov 2027: a November login is 12 months ago
    assert (await services.retention_task.purge()).others.accounts == []
    clock.set(START.replace(year=2027, month=12, day=1))
    assert (await services.retention_task.purge()).others.accounts == [idle.id]
    assert await services.accounts.get(idle.id) is None
    assert await services.db.fetchall("SELECT * FROM request WHERE client_id = ?",
                                      (idle.id,)) == []
    for kept in (back, booked.client, counsellor, booked.admin):
        assert await services.accounts.get(kept.id) is not None
    entries = [(e.actor, e.action, e.target_ids) for e in await services.audit.entries()]
    assert ("retention", "retention.erase-account", str(idle.id)) in entries


async def test_audit_entries_and_ledger_entries_have_their_limits(services, clock):
    world = await make_world(services, clock)
    await services.bookings.end(world.admin, world.booking.id)
    clock.advance(56 * DAY + timedelta(hours=1))
    await services.retention_task.purge()  # the room goes: one ledger entry
    assert len(await erasures_since(services.db)) == 1
    clock.advance((LEDGER_DAYS - 1) * DAY)
    assert (await services.retention_task.purge()).others.ledger_entries == 0
    clock.advance(2 * DAY)
    assert (await services.retention_task.purge()).others.ledger_entries == 1
    assert await erasures_since(services.db) == []

    oldest = min(e.at for e in await services.audit.entries())
    clock.set(START + timedelta(days=365) + timedelta(hours=1))
    deleted = (await services.retention_task.purge()).others.audit_entries
    assert deleted > 0
    assert all(e.at > oldest for e in await services.audit.entries())


async def test_the_limits_are_configurable(tmp_path, clock, fast_vault):
    limits = StorageLimits(request_weeks=2, inactive_client_months=1, audit_days=10)
    services = await Services.open(tmp_path / "w.db", clock=clock, vault=fast_vault,
                                   limits=limits)
    try:
        client = await services.accounts.create("ida", Role.CLIENT, PASSWORD)
        request = await services.requests.file(client, "Ein Anliegen")
        assert services.requests.deleted_at(request) == START + timedelta(weeks=2)
        clock.set(START + timedelta(weeks=2))
        others = (await services.retention_task.purge()).others
        assert others.requests == [request.id] and others.accounts == []
        clock.set(START.replace(month=12, day=31) + timedelta(days=1))  # January 2027
        others = (await services.retention_task.purge()).others
        assert others.accounts == [client.id] and others.audit_entries > 0
    finally:
        await services.close()


def test_months_before_crosses_years():
    assert months_before(START, 12) == "2025-11"
    assert months_before(START.replace(month=1), 1) == "2025-12"
