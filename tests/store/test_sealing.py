"""Sealed rooms: only the two participants' keys open a room, whatever staff or the operator do.

Each test would fail if its promise were kept by an access check alone: they look at keys and
at the database's bytes, not at what a service refuses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.accounts.roles import Role
from store.errors import Invalid, NotPermitted, RoomSealed
from store.sealing.crypto import SealBroken, decrypt_message
from tests.conftest import PASSWORD
from tests.retention_world import (
    files_holding,
    files_holding_bytes,
    make_world,
    marker_text,
    new_token,
)
from tests.sealed import history_as, keys_of, post_as

NEW_PASSWORD = "ein-ganz-neues-passwort"


async def _chat(services, world, token: str) -> None:
    await post_as(services, world.client, world.booking.id, marker_text(token))
    await post_as(services, world.counsellor, world.booking.id, f"Antwort {token}-END")


async def _copy_of(services, booking_id: int, account_id: int) -> list[bytes]:
    rows = await services.db.fetchall(
        "SELECT r.sealed FROM room_key r JOIN account_key k ON k.id = r.key_id"
        " WHERE r.booking_id = ? AND k.account_id = ?", (booking_id, account_id))
    return [bytes(r["sealed"]) for r in rows]


@pytest.mark.sqlite_only  # reads SQLite's files (PostgreSQL: test_postgres_deletion.py)
async def test_no_message_text_reaches_any_database_file(services, clock):
    world = await make_world(services, clock)
    token = new_token()
    await _chat(services, world, token)
    assert files_holding(services.db.path, token) == []  # -wal, before a checkpoint
    await services.db.checkpoint()
    assert files_holding(services.db.path, token) == []
    # ... yet both participants read it
    for account in (world.client, world.counsellor):
        bodies = [m.body for m in await history_as(services, account, world.booking.id)]
        assert bodies[0].startswith(f"{token}-START") and bodies[1] == f"Antwort {token}-END"


async def test_staff_keys_open_no_room_even_past_the_access_rules(services, clock):
    world = await make_world(services, clock)
    await _chat(services, world, new_token())
    staff_keys = await keys_of(services, world.admin)
    # Asked below the access rules, where no rule stands in the way: no copy opens for staff.
    assert await services.room_keys.open(staff_keys, world.booking.id) is None
    copies = await services.db.fetchall("SELECT key_id FROM room_key WHERE booking_id = ?",
                                        (world.booking.id,))
    assert staff_keys.key_id not in {r["key_id"] for r in copies} and len(copies) == 2


async def test_a_message_moved_to_another_room_or_id_does_not_open(services, clock):
    world = await make_world(services, clock)
    other = await make_world(services, clock, client="otto")
    await post_as(services, world.client, world.booking.id, "nur hier")
    row = await services.db.fetchone("SELECT id, sealed FROM message")
    keys = await keys_of(services, world.client)
    room_key = await services.rooms.room_key(world.client, world.booking.id, keys)
    assert decrypt_message(room_key, world.booking.id, row["id"], row["sealed"]) == "nur hier"
    for booking_id, message_id in ((other.booking.id, row["id"]),
                                   (world.booking.id, row["id"] + 1)):
        with pytest.raises(SealBroken):
            decrypt_message(room_key, booking_id, message_id, row["sealed"])


@pytest.mark.sqlite_only  # reads SQLite's files (PostgreSQL: test_postgres_deletion.py)
async def test_booking_end_destroys_the_counsellors_copy_down_to_the_bytes(services, clock):
    world = await make_world(services, clock)
    await _chat(services, world, new_token())
    copy = await _copy_of(services, world.booking.id, world.counsellor.id)
    counsellor_keys = await keys_of(services, world.counsellor)
    await services.db.checkpoint()
    assert files_holding_bytes(services.db.path, copy) == ["wardroom.db"]

    await services.bookings.end(world.admin, world.booking.id)

    assert files_holding_bytes(services.db.path, copy) == []
    assert await services.room_keys.open(counsellor_keys, world.booking.id) is None
    client_keys = await keys_of(services, world.client)
    assert await services.room_keys.open(client_keys, world.booking.id) is not None


async def test_a_booking_ended_by_time_loses_the_counsellors_copy(services, clock):
    world = await make_world(services, clock)
    await _chat(services, world, new_token())
    counsellor_keys = await keys_of(services, world.counsellor)
    clock.set(world.ends + timedelta(seconds=1))
    await services.booking_timer.check_now()
    assert await _copy_of(services, world.booking.id, world.counsellor.id) == []
    assert await services.room_keys.open(counsellor_keys, world.booking.id) is None


@pytest.mark.sqlite_only  # reads SQLite's files (PostgreSQL: test_postgres_deletion.py)
async def test_a_password_change_keeps_the_history_and_retires_the_old_seal(services, clock):
    world = await make_world(services, clock)
    await post_as(services, world.client, world.booking.id, "vor der Änderung")
    old_seal = (await services.db.fetchone(
        "SELECT sealed_by_password FROM account_key WHERE account_id = ?",
        (world.client.id,)))[0]
    keys = await keys_of(services, world.client)
    await services.accounts.change_password(keys, NEW_PASSWORD)

    assert await services.accounts.authenticate("klara", PASSWORD) is None
    assert [m.body for m in await history_as_with(services, world, NEW_PASSWORD)] == [
        "vor der Änderung"]
    assert files_holding_bytes(services.db.path, [bytes(old_seal)]) == []


async def history_as_with(services, world, password: str):
    keys = await keys_of(services, world.client, password)
    return await services.rooms.history(world.client, world.booking.id, keys)


async def _reset_client(services, world) -> str:
    """Staff reset the client's password; returns the one-time password staff now know."""
    one_time = await services.account_admin.reset_password(world.admin, "klara")
    assert one_time is not None
    return one_time


async def test_a_staff_reset_reveals_nothing_to_whoever_knows_the_new_password(services,
                                                                                clock):
    world = await make_world(services, clock)
    token = new_token()
    await _chat(services, world, token)
    one_time = await _reset_client(services, world)

    keys = await keys_of(services, world.client, one_time)
    with pytest.raises(RoomSealed):
        await services.rooms.history(world.client, world.booking.id, keys)
    with pytest.raises(RoomSealed):
        await services.rooms.post(world.client, world.booking.id, "neu", keys)
    exported = "".join([c async for c in services.export.chunks(world.client, keys)])
    assert token not in exported
    assert f'"sealed_rooms": [{{"booking": {world.booking.id}' in exported
    assert await services.account_keys.reset_on(world.client.id) == clock.now().date()


async def test_the_recovery_code_brings_the_history_back(services, clock):
    world = await make_world(services, clock)
    first_keys = await keys_of(services, world.client)
    code = await services.account_keys.recovery_code(first_keys)
    assert code is not None
    await post_as(services, world.client, world.booking.id, "mein Verlauf")
    one_time = await _reset_client(services, world)
    await services.accounts.change_password(await keys_of(services, world.client, one_time),
                                            NEW_PASSWORD)
    keys = await keys_of(services, world.client, NEW_PASSWORD)

    with pytest.raises(Invalid):
        await services.account_keys.recover(keys, "aaaa-bbbb-cccc-dddd-eeee-ffff")
    assert await services.account_keys.recover(keys, code.upper().replace("-", " ")) == 1

    assert [m.body for m in await services.rooms.history(world.client, world.booking.id,
                                                         keys)] == ["mein Verlauf"]
    # The person keeps one code: the same one now seals the new pair too.
    assert await services.account_keys.recovery_code(keys) == code
    assert not await services.account_keys.can_recover(world.client.id)


async def test_the_counsellor_can_give_access_back_and_nothing_happens_without_a_yes(
        services, clock):
    world = await make_world(services, clock)
    await post_as(services, world.client, world.booking.id, "vor dem Zurücksetzen")
    one_time = await _reset_client(services, world)
    client_keys = await keys_of(services, world.client, one_time)
    counsellor_keys = await keys_of(services, world.counsellor)

    # The counsellor's login settles rooms, but a reset pair gets nothing without a yes.
    await services.rooms.settle(world.counsellor, counsellor_keys)
    with pytest.raises(RoomSealed):
        await services.rooms.history(world.client, world.booking.id, client_keys)
    pending = await services.rooms.pending_access(world.counsellor, world.booking.id,
                                                  counsellor_keys)
    assert pending is not None and pending.username == "klara"
    assert pending.reset_on == clock.now().date()

    assert await services.rooms.give_access(world.counsellor, world.booking.id,
                                            counsellor_keys, pending.account_id)
    assert [m.body for m in await services.rooms.history(
        world.client, world.booking.id, client_keys)] == ["vor dem Zurücksetzen"]
    assert await services.rooms.pending_access(world.counsellor, world.booking.id,
                                               counsellor_keys) is None


async def test_a_counsellors_reset_is_given_back_only_by_the_client(services, clock):
    world = await make_world(services, clock)
    await post_as(services, world.client, world.booking.id, "Hallo")
    one_time = await services.account_admin.reset_password(world.admin, "berta")
    counsellor_keys = await keys_of(services, world.counsellor, one_time)
    with pytest.raises(RoomSealed):
        await services.rooms.history(world.counsellor, world.booking.id, counsellor_keys)
    client_keys = await keys_of(services, world.client)
    pending = await services.rooms.pending_access(world.client, world.booking.id, client_keys)
    assert pending is not None and pending.username == "berta" and pending.reset_on
    await services.rooms.give_access(world.client, world.booking.id, client_keys,
                                     pending.account_id)
    assert [m.body for m in await services.rooms.history(
        world.counsellor, world.booking.id, counsellor_keys)] == ["Hallo"]


@pytest.mark.sqlite_only  # reads SQLite's files (PostgreSQL: test_postgres_deletion.py)
async def test_a_one_time_password_seal_is_destroyed_by_the_first_change(services, clock):
    world = await make_world(services, clock)
    account, one_time = await services.account_admin.add(world.admin, "neu", Role.CLIENT)
    assert one_time is not None
    otp_seal = bytes((await services.db.fetchone(
        "SELECT sealed_by_password FROM account_key WHERE account_id = ?", (account.id,)))[0])
    keys = await keys_of(services, account, one_time)
    await services.accounts.change_password(keys, NEW_PASSWORD)
    assert await services.accounts.authenticate("neu", one_time) is None
    assert files_holding_bytes(services.db.path, [otp_seal]) == []


@pytest.mark.sqlite_only  # reads SQLite's files (PostgreSQL: test_postgres_deletion.py)
async def test_an_upgraded_database_keeps_every_message_and_then_holds_no_text(services,
                                                                               clock):
    """A database from before sealing: argon2 hashes, no key pairs, text in clear. The first
    participant's login seals the room and removes the text; the other gets a copy."""
    world = await make_world(services, clock)
    token = new_token()
    legacy_hash = services.vault._hasher.hash(PASSWORD)
    async with services.db.transaction() as tx:
        await tx.execute("DELETE FROM account_key")
        await tx.execute("UPDATE account SET password_hash = ?", (legacy_hash,))
        await tx.executemany(
            "INSERT INTO message (booking_id, sender_id, sender_role, sent_at, body)"
            " VALUES (?, ?, ?, '2026-11-30T09:00:00+00:00', ?)",
            [(world.booking.id, world.client.id, "client", marker_text(token)),
             (world.booking.id, world.counsellor.id, "counsellor", "Antwort von früher")])
    await services.db.checkpoint()
    assert files_holding(services.db.path, token) == ["wardroom.db"]
    status = await services.room_keys.status(world.admin)
    assert (status.unsealed_rooms, status.accounts_without_keys) == (1, 3)
    with pytest.raises(NotPermitted):
        await services.room_keys.status(world.client)

    client_keys = await keys_of(services, world.client)  # makes the client's pair
    await services.rooms.settle(world.client, client_keys)

    status = await services.room_keys.status(world.admin)
    assert (status.rooms, status.unsealed_rooms, status.accounts_without_keys) == (1, 0, 2)
    assert files_holding(services.db.path, token) == []
    bodies = [m.body for m in await services.rooms.history(world.client, world.booking.id,
                                                            client_keys)]
    assert bodies[0].startswith(f"{token}-START") and bodies[1] == "Antwort von früher"
    # The counsellor had no pair yet: their first login makes one, the client's next
    # session gives it the room (an upgrade, not a reset: no question asked).
    counsellor_keys = await keys_of(services, world.counsellor)
    with pytest.raises(RoomSealed):
        await services.rooms.history(world.counsellor, world.booking.id, counsellor_keys)
    await services.rooms.settle(world.client, client_keys)
    assert len(await services.rooms.history(world.counsellor, world.booking.id,
                                            counsellor_keys)) == 2
    stored = (await services.db.fetchone("SELECT password_hash FROM account WHERE id = ?",
                                         (world.client.id,)))[0]
    assert stored.startswith("$wardroom-v1$")
