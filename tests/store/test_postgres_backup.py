"""Backups of a PostgreSQL database: a sealed pg_dump in the same destinations, and a restore
that replays every erasure made after the backup and keeps the standing decisions, as on
SQLite (store/backup/restore_postgres.py)."""

from __future__ import annotations

import pytest

from store.accounts.passwords import PasswordVault
from store.backup.file import BackupUnreadable, unseal
from store.backup.restore import restore
from store.clock import FrozenClock
from store.errors import Invalid
from store.hub.hub import Hub
from store.hub.node_bus import NodeBus
from store.services import Services
from tests.backup_world import backup_plan, backups_for
from tests.retention_world import make_world
from tests.sealed import history_as, post_as

pytestmark = pytest.mark.postgresql_only


async def _backed_up_world(services, clock, tmp_path_factory):
    world = await make_world(services, clock)
    await post_as(services, world.client, world.booking.id, "Vor der Sicherung geschrieben.")
    plan, keys = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    return world, plan.destinations[0] / f"wardroom-{result.id}.backup", keys


async def test_a_backup_is_a_sealed_dump_in_every_destination(services, clock, tmp_path_factory,
                                                             tmp_path):
    _world, backup, keys = await _backed_up_world(services, clock, tmp_path_factory)
    with (tmp_path / "dump").open("wb") as out:
        unseal(backup, out, list(keys.identities))
    assert (tmp_path / "dump").read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert b"Vor der Sicherung" not in (tmp_path / "dump").read_bytes()  # sealed rooms


async def test_a_restore_replays_an_erasure_made_after_the_backup(
        services, db_target, clock, tmp_path_factory):
    world, backup, keys = await _backed_up_world(services, clock, tmp_path_factory)
    counsellor_text = await history_as(services, world.counsellor, world.booking.id)
    await services.erasure.erase_client(world.admin, world.client.username,
                                        world.client.username)
    await services.account_admin.disable(world.admin, world.counsellor.username)
    await services.close()

    report = await restore(backup, db_target, keys, clock, "operator")

    assert report.accounts_replayed == 1
    again = await Services.open(db_target, clock=clock)
    try:
        assert await again.accounts.by_username(world.client.username) is None
        assert await again.db.fetchall("SELECT id FROM message") == []
        counsellor = await again.accounts.by_username(world.counsellor.username)
        assert counsellor is not None and counsellor.disabled  # a standing decision kept
        # A new row after the restore takes a new id (the sequences continue).
        await again.accounts.create("neu", world.client.role, "correct-horse-battery")
    finally:
        await again.close()
    assert counsellor_text  # the room was readable before it was erased


async def test_a_restore_refuses_while_a_node_serves(services, db_target, clock,
                                                     tmp_path_factory):
    _world, backup, keys = await _backed_up_world(services, clock, tmp_path_factory)
    bus = await NodeBus.link(Hub(), db_target, services.rooms.sealed_message)
    try:
        with pytest.raises(Invalid, match="stop every node"):
            await restore(backup, db_target, keys, FrozenClock(clock.now()), "operator")
    finally:
        await bus.close()


async def test_a_sqlite_backup_is_refused_and_changes_nothing(services, db_target, clock,
                                                              tmp_path_factory, tmp_path):
    world, _backup, _keys = await _backed_up_world(services, clock, tmp_path_factory)
    sqlite = await Services.open(tmp_path / "other.db", clock=clock,
                                 vault=PasswordVault())
    try:
        plan, sqlite_keys = backup_plan(sqlite, tmp_path_factory)
        result = await backups_for(sqlite, plan).take("test")
    finally:
        await sqlite.close()
    await services.close()
    with pytest.raises(BackupUnreadable, match="not a wardroom PostgreSQL dump"):
        await restore(plan.destinations[0] / f"wardroom-{result.id}.backup", db_target,
                      sqlite_keys, clock, "operator")
    again = await Services.open(db_target, clock=clock)
    try:
        assert await again.accounts.by_username(world.client.username) is not None
    finally:
        await again.close()
