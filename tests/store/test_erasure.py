"""Erasing a client (on its objection, or by staff for one by letter): everything it owned goes
in one transaction, its sessions and the counsellor's view are told at once, and the audit
keeps ids only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.deletion.erasure import ERASED_ACTOR
from store.deletion.ledger import ErasureKind, erasures_since
from store.errors import Invalid, NotFound, NotPermitted
from store.hub.hub import AccountClosed, BookingChanged, account_topic, room_topic
from tests.conftest import START
from tests.retention_world import make_world
from tests.sealed import history_as, post_as

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGwardroomtestkeyxxxxxxxxxxxxxxxxxxxxxxxxxxx"


async def _owned(services, account_id: int) -> dict[str, int]:
    queries = {
        "account": "SELECT count(*) FROM account WHERE id = ?",
        "booking": "SELECT count(*) FROM booking WHERE client_id = ?",
        "message": "SELECT count(*) FROM message m JOIN booking b ON b.id = m.booking_id"
                   " WHERE b.client_id = ?",
        "request": "SELECT count(*) FROM request WHERE client_id = ?",
        "public_key": "SELECT count(*) FROM public_key WHERE account_id = ?",
        "room_read": "SELECT count(*) FROM room_read WHERE account_id = ?",
        "policy_acceptance": "SELECT count(*) FROM policy_acceptance WHERE account_id = ?",
    }
    return {name: (await services.db.fetchone(sql, (account_id,)))[0]
            for name, sql in queries.items()}


async def _busy_client(services, clock):
    world = await make_world(services, clock)
    await services.public_keys.add(world.client, PUBLIC_KEY)
    await services.requests.file(world.client, "Noch ein Anliegen")
    clock.advance(timedelta(hours=1))
    await post_as(services, world.client, world.booking.id, "Hallo")
    await post_as(services, world.counsellor, world.booking.id, "Hallo zurück")
    # a second booking of the same client, still to come
    await services.bookings.create(world.admin, "klara", "berta", weeks=1,
                                   start=clock.now() + timedelta(weeks=3))
    # a bystander whose data must survive
    other = await make_world(services, clock, client="otto")
    await post_as(services, other.client, other.booking.id, "Ich bleibe")
    return world, other


async def test_erasure_removes_everything_the_client_owned(services, clock):
    world, other = await _busy_client(services, clock)
    before = await _owned(services, world.client.id)
    assert all(before.values()), before
    other_before = await _owned(services, other.client.id)

    await services.erasure.erase_client(world.admin, "klara", confirm="klara")

    assert set((await _owned(services, world.client.id)).values()) == {0}
    assert await _owned(services, other.client.id) == other_before
    assert await services.accounts.by_username("berta") is not None


async def test_erasure_tells_sessions_and_the_counsellor(services, clock):
    world, _other = await _busy_client(services, clock)
    heard: dict[str, list] = {"client": [], "counsellor": [], "room": []}
    services.hub.subscribe(account_topic(world.client.id), heard["client"].append)
    services.hub.subscribe(account_topic(world.counsellor.id), heard["counsellor"].append)
    services.hub.subscribe(room_topic(world.booking.id), heard["room"].append)

    await services.erasure.erase_client(world.client, "klara", confirm="klara")

    assert heard["client"][-1] == AccountClosed(world.client.id, "erased")
    assert BookingChanged(world.booking.id) in heard["counsellor"]
    assert BookingChanged(world.booking.id) in heard["room"]
    with pytest.raises(NotFound):
        await history_as(services, world.counsellor, world.booking.id)


async def test_ledger_and_audit_keep_ids_only(services, clock):
    world, _other = await _busy_client(services, clock)
    await services.audit.write("klara", "admin.denied")  # the name appears in the audit
    booking_ids = sorted(r["id"] for r in await services.db.fetchall(
        "SELECT id FROM booking WHERE client_id = ?", (world.client.id,)))

    await services.erasure.erase_client(world.admin, "klara", confirm="klara")

    entries = await erasures_since(services.db, START)
    assert sorted((e.kind, e.target_id) for e in entries) == sorted(
        [(ErasureKind.ROOM, i) for i in booking_ids] + [(ErasureKind.ACCOUNT, world.client.id)])
    rows = await services.db.fetchall("SELECT actor, action, target_ids FROM audit")
    assert ("admin", "account.erase", str(world.client.id)) in [tuple(r) for r in rows]
    assert (ERASED_ACTOR, "admin.denied", "") in [tuple(r) for r in rows]
    assert not any("klara" in " ".join(map(str, r)) for r in rows)


async def test_erasure_by_the_client_itself_is_audited_by_id(services, clock):
    world, _other = await _busy_client(services, clock)
    await services.erasure.erase_client(world.client, "klara", confirm="klara")
    row = await services.db.fetchone("SELECT actor FROM audit WHERE action = 'account.erase'")
    assert row["actor"] == f"account:{world.client.id}"


async def test_refusals_change_nothing(services, clock):
    world, other = await _busy_client(services, clock)
    before = await _owned(services, world.client.id)
    with pytest.raises(Invalid):
        await services.erasure.erase_client(world.admin, "klara", confirm="klara ")
    with pytest.raises(NotPermitted):
        await services.erasure.erase_client(other.client, "klara", confirm="klara")
    with pytest.raises(NotPermitted):
        await services.erasure.erase_client(world.counsellor, "klara", confirm="klara")
    with pytest.raises(Invalid):
        await services.erasure.erase_client(world.admin, "berta", confirm="berta")
    with pytest.raises(NotFound):
        await services.erasure.erase_client(world.admin, "niemand", confirm="niemand")
    assert await _owned(services, world.client.id) == before
    assert await erasures_since(services.db, START) == []
