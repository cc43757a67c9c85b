"""Restore: a round trip, erasures after the backup re-applied down to the bytes, backups of
the old format still restored, and every bad backup refused with the current database left
exactly as it was."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from pyrage import x25519

from store.accounts.passwords import PasswordVault
from store.backup.backups import backup_file_name, backup_id
from store.backup.file import BackupUnreadable
from store.backup.restore import LedgerUnavailable, RestoreKeys, aside_path, restore
from store.database_lock import DatabaseInUse, holding
from store.deletion.ledger import ErasureKind, erasures_since
from store.deletion.room_deletion import begin_room_deletion
from store.deletion.windows import RetentionWindow
from store.errors import Invalid, NotFound
from store.rooms.booking import BookingState
from store.services import Services
from tests.backup_world import (
    backup_plan,
    backups_for,
    files_in,
    old_key_file,
    write_old_backup,
)
from tests.conftest import PASSWORD
from tests.retention_world import (
    ended_room_with_marker,
    files_holding_bytes,
    make_world,
    marker_text,
    new_token,
    room_secrets,
)
from tests.sealed import history_as, post_as

DAY = timedelta(days=1)


@pytest.fixture
async def services(tmp_path, clock, fast_vault) -> AsyncIterator[Services]:
    """Each test closes it itself: a restore needs the server stopped."""
    opened = await Services.open(tmp_path / "wardroom.db", clock=clock, vault=fast_vault)
    yield opened
    with contextlib.suppress(ValueError):  # "no active connection": closed already
        await opened.close()


async def _messages(services: Services) -> list[tuple]:
    """Every message row as stored: its text only as ciphertext."""
    return [tuple(r) for r in await services.db.fetchall(
        "SELECT id, booking_id, sender_role, sent_at, sealed FROM message ORDER BY id")]


async def _reopen(services: Services) -> Services:
    """The restored database, with a fresh vault (the old one closed with its services)."""
    return await Services.open(services.db.path, clock=services.clock,
                               vault=PasswordVault(PasswordHasher(time_cost=1, memory_cost=1024,
                                                                  parallelism=1)))


def _marker_anywhere(directory: Path, token: str) -> list[str]:
    """Every file in the directory (database, -wal, -shm, leftovers of any kind) that still
    holds either end of the token's message."""
    needles = (f"{token}-START".encode(), f"{token}-END".encode())
    return [name for name, data in files_in(directory).items()
            if any(needle in data for needle in needles)]


def _lose_database(services: Services) -> None:
    """The database and every file SQLite kept beside it are gone (a lost disk)."""
    for path in (services.db.path, *services.db.path.parent.glob("wardroom.db-*")):
        path.unlink()

def _hashes(directory: Path) -> dict[str, str]:
    """Every file's hash but the lock file's, which a restore creates empty if missing."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in files_in(directory).items()
            if not name.endswith(".lock")}


async def test_restore_round_trip(services, clock, tmp_path_factory):
    world = await make_world(services, clock)
    for i in range(5):
        await post_as(services, world.client, world.booking.id, f"Vorher {i}")
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    before = await _messages(services)
    clock.advance(timedelta(hours=1))
    await post_as(services, world.counsellor, world.booking.id, "Nachher")
    await services.close()

    report = await restore(plan.destinations[1] / backup_file_name(result.id),
                           services.db.path, key, clock, "host:test")

    assert (report.backup_id, report.rooms_replayed, report.accounts_replayed) == (
        result.id, 0, 0)
    restored = await _reopen(services)
    try:
        assert await _messages(restored) == before
        row = await restored.db.fetchone(
            "SELECT actor, target_ids FROM audit WHERE action = 'backup.restore'")
        assert tuple(row) == ("host:test", str(result.id))
    finally:
        await restored.close()
    db_dir = services.db.path.parent
    assert not [n for n in files_in(db_dir) if "restore" in n or "snapshot" in n]


async def test_erasures_after_the_backup_are_replayed_down_to_the_bytes(
        services, clock, tmp_path_factory):
    world = await make_world(services, clock)
    token = new_token()
    await post_as(services, world.client, world.booking.id, marker_text(token))
    await services.requests.file(world.client, f"{token}-START Anliegen {token}-END")
    bystander = await make_world(services, clock, client="otto")
    await post_as(services, bystander.client, bystander.booking.id, "Ich bleibe")
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")

    clock.advance(timedelta(hours=1))
    await services.erasure.erase_client(world.admin, "klara", confirm="klara")
    await services.close()
    db_dir = services.db.path.parent
    assert _marker_anywhere(db_dir, token) == []

    report = await restore(plan.destinations[0] / backup_file_name(result.id),
                           services.db.path, key, clock, "host:test")

    assert (report.rooms_replayed, report.accounts_replayed) == (1, 1)
    assert _marker_anywhere(db_dir, token) == []
    restored = await _reopen(services)
    try:
        assert await restored.accounts.by_username("klara") is None
        assert await restored.accounts.by_username("otto") is not None
        otto = await restored.accounts.by_username("otto")
        assert [m.body for m in await history_as(restored, otto, bystander.booking.id)] == [
            "Ich bleibe"]
        # the replayed entries are in the restored ledger, for a later restore
        kinds = [(e.kind, e.target_id) for e in await erasures_since(restored.db)]
        assert kinds == [(ErasureKind.ROOM, world.booking.id),
                         (ErasureKind.ACCOUNT, world.client.id)]
    finally:
        await restored.close()
    assert _marker_anywhere(db_dir, token) == []


async def test_an_erasure_timed_before_the_backup_but_missing_from_it_is_replayed(
        services, clock, tmp_path_factory):
    """An erasure can commit while the backup is being copied yet carry an earlier time: the
    restore compares ledgers, not times."""
    world = await make_world(services, clock)
    token = new_token()
    await post_as(services, world.client, world.booking.id, marker_text(token))
    plan, key = backup_plan(services, tmp_path_factory)
    clock.advance(timedelta(minutes=1))
    result = await backups_for(services, plan).take("test")
    clock.advance(timedelta(seconds=-30))
    await services.erasure.erase_client(world.admin, "klara", confirm="klara")
    await services.close()

    report = await restore(plan.destinations[0] / backup_file_name(result.id),
                           services.db.path, key, clock, "host:test")

    assert report.accounts_replayed == 1
    assert _marker_anywhere(services.db.path.parent, token) == []


async def _backup_of_an_ended_room(services, clock, tmp_path_factory):
    """An ended room holding a marker, and a backup taken of it: (world, token, backup, key)."""
    world = await make_world(services, clock)
    token = new_token()
    await ended_room_with_marker(services, clock, world, token)
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    return world, token, plan.destinations[0] / backup_file_name(result.id), key


async def test_retention_runs_before_the_restored_database_is_put_in_place(
        services, clock, tmp_path_factory):
    world, token, backup, key = await _backup_of_an_ended_room(services, clock,
                                                               tmp_path_factory)
    await services.close()

    clock.set(world.ends + 56 * DAY)  # the room's deletion date passed since the backup
    report = await restore(backup, services.db.path, key, clock, "host:test")

    assert (report.retention_rooms, report.retention_messages) == (1, 4)
    assert _marker_anywhere(services.db.path.parent, token) == []


async def test_a_shorter_retention_chosen_after_the_backup_still_decides(
        services, clock, tmp_path_factory):
    """Restoring must not give a room back the 56 days its client has since cut to 14."""
    world, token, backup, key = await _backup_of_an_ended_room(services, clock,
                                                               tmp_path_factory)
    await services.retention.choose(world.client, RetentionWindow.TWO_WEEKS)
    await services.close()

    clock.set(world.ends + 15 * DAY)  # past 14 days, long before 56
    report = await restore(backup, services.db.path, key, clock, "host:test")

    assert (report.accounts_carried, report.retention_rooms) == (1, 1)
    assert _marker_anywhere(services.db.path.parent, token) == []
    restored = await _reopen(services)
    try:
        assert await restored.retention.current(world.client) is RetentionWindow.TWO_WEEKS
    finally:
        await restored.close()


async def test_what_was_ended_disabled_or_reset_after_the_backup_stays_so(
        services, clock, tmp_path_factory):
    """A booking ended early keeps its counsellor out, a disabled account stays disabled,
    and a password changed since (perhaps because the old one leaked) is the one that works;
    an extension made after the backup is lost like the other later changes."""
    world = await make_world(services, clock)
    other = await make_world(services, clock, client="otto", counsellor="bruno")
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    clock.advance(DAY)
    await services.bookings.end(world.admin, world.booking.id)
    await services.bookings.extend(world.admin, other.booking.id,
                                   other.booking.ends_at + 7 * DAY)
    await services.account_admin.disable(world.admin, "bruno")
    await services.account_admin.reset_password(world.admin, "otto", "ein-neues-passwort")
    await services.close()

    report = await restore(plan.destinations[0] / backup_file_name(result.id),
                           services.db.path, key, clock, "host:test")

    assert (report.accounts_carried, report.bookings_carried) == (2, 1)
    restored = await _reopen(services)
    try:
        ended = await restored.bookings.get(world.booking.id)
        assert ended is not None and ended.state(clock.now()) is BookingState.ENDED
        with pytest.raises(NotFound):  # as for any room one may not read
            await restored.rooms.open(world.counsellor, world.booking.id)
        kept = await restored.bookings.get(other.booking.id)
        assert kept is not None and kept.ends_at == other.booking.ends_at
        bruno = await restored.accounts.by_username("bruno")
        assert bruno is not None and bruno.disabled
        assert await restored.accounts.check_password("otto", PASSWORD) is None
        assert await restored.accounts.check_password("otto", "ein-neues-passwort")
    finally:
        await restored.close()


def _cut(data: bytes) -> bytes:
    return data[:-1000]


def _payload(data: bytes) -> int:
    """Where the age payload starts: after the header's MAC line and the 16-byte nonce."""
    return data.index(b"\n", data.index(b"\n--- ") + 1) + 1 + 16


def _cut_at_a_chunk_boundary(data: bytes) -> bytes:
    return data[:_payload(data) + 2 * (64 * 1024 + 16)]  # two whole chunks, none marked last


def _flip_body(data: bytes) -> bytes:
    return data[:5000] + bytes([data[5000] ^ 1]) + data[5001:]


def _flip_header_mac(data: bytes) -> bytes:
    at = data.index(b"\n--- ") + 6
    return data[:at] + (b"B" if data[at:at + 1] == b"A" else b"A") + data[at + 1:]


def _not_a_backup(data: bytes) -> bytes:
    return b"SQLite format 3\0" + data[16:]


@pytest.mark.parametrize(("spoil", "says"), [
    (_cut, "damaged, cut short or altered"),
    (_cut_at_a_chunk_boundary, "damaged, cut short or altered"),
    (_flip_body, "damaged, cut short or altered"),
    (_flip_header_mac, "damaged, cut short or altered"),
    (_not_a_backup, "not a wardroom backup"),
    (None, "no identity given opens this backup"),
])
async def test_a_bad_backup_restores_nothing_and_leaves_the_database_as_it_was(
        services, clock, tmp_path_factory, tmp_path, spoil, says):
    world = await make_world(services, clock)
    for i in range(300):  # many 64 KiB chunks
        await post_as(services, world.client, world.booking.id, f"{i} " + "ä" * 2000)
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    await post_as(services, world.client, world.booking.id, "nach der Sicherung")
    await services.close()
    backup = plan.destinations[0] / backup_file_name(result.id)
    if spoil is None:
        key = RestoreKeys(identities=(x25519.Identity.generate(),))
    else:
        backup.write_bytes(spoil(backup.read_bytes()))
    db_dir = services.db.path.parent
    before = _hashes(db_dir)

    with pytest.raises(BackupUnreadable, match=says):
        await restore(backup, services.db.path, key, clock, "host:test")

    assert _hashes(db_dir) == before


async def test_no_restore_while_the_database_is_in_use(services, clock, tmp_path_factory):
    await make_world(services, clock)
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    await services.close()
    with holding(services.db.path):  # what `wardroom serve` and `wardroom admin` hold
        with pytest.raises(DatabaseInUse, match="stop `wardroom serve`"):
            await restore(plan.destinations[0] / backup_file_name(result.id),
                          services.db.path, key, clock, "host:test")
        with pytest.raises(DatabaseInUse):
            with holding(services.db.path, exclusive=True):
                pass


async def test_a_lost_database_needs_an_explicit_restore_without_ledger(
        services, clock, tmp_path_factory):
    world = await make_world(services, clock)
    await post_as(services, world.client, world.booking.id, "gesichert")
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    await services.close()
    _lose_database(services)
    backup = plan.destinations[0] / backup_file_name(result.id)

    with pytest.raises(LedgerUnavailable, match="--without-ledger"):
        await restore(backup, services.db.path, key, clock, "host:test")
    assert not services.db.path.exists()

    await restore(backup, services.db.path, key, clock, "host:test", without_ledger=True)
    restored = await _reopen(services)
    try:
        client = await restored.accounts.by_username("klara")
        assert [m.body for m in await history_as(restored, client, world.booking.id)] == [
            "gesichert"]
    finally:
        await restored.close()


async def test_an_unfinished_earlier_restore_is_not_overwritten(services, clock,
                                                               tmp_path_factory):
    await make_world(services, clock)
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    await services.close()
    aside_path(services.db.path).write_bytes(b"the operator decides")
    with pytest.raises(Exception, match="did not finish"):
        await restore(plan.destinations[0] / backup_file_name(result.id), services.db.path,
                      key, clock, "host:test")
    assert aside_path(services.db.path).read_bytes() == b"the operator decides"


async def test_a_backup_in_the_old_format_is_restored_with_the_old_key(
        services, clock, tmp_path_factory):
    """Backups made before age stay restorable until they age out."""
    world = await make_world(services, clock)
    token = new_token()
    await post_as(services, world.client, world.booking.id, marker_text(token))
    bystander = await make_world(services, clock, client="otto")
    await post_as(services, bystander.client, bystander.booking.id, "Ich bleibe")
    old_key = old_key_file(tmp_path_factory.mktemp("offline") / "backup.key")
    backup = tmp_path_factory.mktemp("site") / backup_file_name(backup_id(clock.now()))
    write_old_backup(services.db.path, backup, old_key, clock.now(), chunk_size=4096)
    clock.advance(timedelta(hours=1))
    await services.erasure.erase_client(world.admin, "klara", confirm="klara")
    await services.close()

    with pytest.raises(BackupUnreadable, match=r"old wardroom format.*--old-key"):
        await restore(backup, services.db.path, RestoreKeys((x25519.Identity.generate(),)),
                      clock, "host:test")
    report = await restore(backup, services.db.path, RestoreKeys(old_key=old_key), clock,
                           "host:test")

    assert (report.backup_id, report.rooms_replayed, report.accounts_replayed) == (
        backup_id(clock.now() - timedelta(hours=1)), 1, 1)
    assert _marker_anywhere(services.db.path.parent, token) == []
    restored = await _reopen(services)
    try:
        assert await restored.accounts.by_username("klara") is None
        otto = await restored.accounts.by_username("otto")
        assert [m.body for m in await history_as(restored, otto, bystander.booking.id)] == [
            "Ich bleibe"]
    finally:
        await restored.close()


async def test_an_old_format_backup_cut_short_restores_nothing(services, clock,
                                                               tmp_path_factory):
    await make_world(services, clock)
    old_key = old_key_file(tmp_path_factory.mktemp("offline") / "backup.key")
    backup = tmp_path_factory.mktemp("site") / backup_file_name(backup_id(clock.now()))
    write_old_backup(services.db.path, backup, old_key, clock.now(), chunk_size=4096)
    await services.close()
    backup.write_bytes(backup.read_bytes()[:-(4096 + 16)])  # the last chunk gone, exactly
    before = _hashes(services.db.path.parent)

    with pytest.raises(BackupUnreadable, match="damaged, cut short or altered"):
        await restore(backup, services.db.path, RestoreKeys(old_key=old_key), clock,
                      "host:test")
    assert _hashes(services.db.path.parent) == before


async def test_an_age_backup_needs_an_identity_and_its_name(services, clock, tmp_path_factory):
    await make_world(services, clock)
    plan, keys = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    await services.close()
    backup = plan.destinations[0] / backup_file_name(result.id)
    before = _hashes(services.db.path.parent)

    old_key = old_key_file(tmp_path_factory.mktemp("offline") / "backup.key")
    with pytest.raises(BackupUnreadable, match="needs the age identity"):
        await restore(backup, services.db.path, RestoreKeys(old_key=old_key), clock,
                      "host:test")
    renamed = backup.rename(backup.with_name("latest.age"))
    with pytest.raises(Invalid, match="not named like a backup"):
        await restore(renamed, services.db.path, keys, clock, "host:test")
    assert _hashes(services.db.path.parent) == before


async def test_a_backup_from_before_a_deletion_yields_no_text_even_without_the_ledger(
        services, clock, tmp_path_factory):
    """The operator holds the backup identity and restores without the ledger (so nothing is
    replayed): the erased client's room is back as rows, but its text is in no file, and no
    key the operator or staff have opens it."""
    world = await make_world(services, clock)
    token = new_token()
    await post_as(services, world.client, world.booking.id, marker_text(token))
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    await services.erasure.erase_client(world.admin, "klara", confirm="klara")
    await services.close()
    _lose_database(services)

    await restore(plan.destinations[0] / backup_file_name(result.id), services.db.path, key,
                  clock, "host:test", without_ledger=True)

    assert _marker_anywhere(services.db.path.parent, token) == []
    restored = await _reopen(services)
    try:
        assert await restored.accounts.by_username("klara") is not None  # not replayed
        staff = await restored.accounts.authenticate("admin", PASSWORD)
        assert staff is not None
        assert await restored.room_keys.open(staff.keys, world.booking.id) is None
    finally:
        await restored.close()


async def test_a_room_whose_deletion_began_before_the_backup_is_finished_by_the_restore(
        services, clock, tmp_path_factory):
    world = await make_world(services, clock)
    await ended_room_with_marker(services, clock, world, new_token())
    secrets = await room_secrets(services, world.booking.id)
    async with services.db.transaction() as tx:  # a purge stopped after its first step
        await begin_room_deletion(tx, world.booking.id, clock.now())
        tx.mark_erasure()
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    await services.close()

    # Before the room's deletion date: only the begun deletion makes it due.
    report = await restore(plan.destinations[0] / backup_file_name(result.id),
                           services.db.path, key, clock, "host:test")

    assert (report.rooms_replayed, report.retention_rooms, report.retention_messages) == (0, 1, 4)
    assert files_holding_bytes(services.db.path, secrets) == []
