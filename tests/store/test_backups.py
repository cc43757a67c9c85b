"""Backups: consistent while clients chat, age files that only the offline identities open,
at every destination (a failed one filled in later), and deleted on their date by the
schedule."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from datetime import timedelta

import pyrage
import pytest
from pyrage import x25519

from store.backup.backups import MAX_AGE, BackupPlan, backup_file_name, backup_id
from store.backup.file import MAGIC
from store.backup.key import add_recipient, generate_identity, identity_text
from store.backup.schedule import RETRY, BackupSchedule
from store.errors import NotPermitted
from store.sealing.crypto import decrypt_message
from tests.backup_world import backup_plan, backups_for, files_in, open_backup
from tests.retention_world import make_world, marker_text, new_token
from tests.sealed import keys_of, post_as

# SQLite's own files, read byte by byte (PostgreSQL: tests/store/test_postgres_deletion.py).
pytestmark = pytest.mark.sqlite_only

CHATTERS = 4
MESSAGES_EACH = 60


async def _bulk_messages(services, booking_id: int, sender_id: int, count: int) -> None:
    """History, so that copying the database takes long enough to overlap live posts (sealed
    like any message: random bytes stand in for the ciphertext)."""
    async with services.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO message (booking_id, sender_id, sender_role, sent_at, body, sealed)"
            " VALUES (?, ?, 'client', '2026-11-28T09:00:00+00:00', '', ?)",
            [(booking_id, sender_id, os.urandom(830)) for _ in range(count)])


async def test_backup_while_clients_chat_loses_and_corrupts_nothing(services, clock,
                                                                   tmp_path_factory, tmp_path):
    world = await make_world(services, clock)
    await _bulk_messages(services, world.booking.id, world.client.id, 20_000)
    plan, key = backup_plan(services, tmp_path_factory)
    backups = backups_for(services, plan)
    posted: dict[int, str] = {}
    during = asyncio.Event()

    async def chat(n: int) -> None:
        sender = world.client if n % 2 else world.counsellor
        for i in range(MESSAGES_EACH):
            text = f"Sender {n} Nachricht {i}: wie geht es heute? " * (1 + i % 5)
            message = await post_as(services, sender, world.booking.id, text)
            posted[message.id] = message.body
            if i == MESSAGES_EACH // 3:
                await during.wait()  # a third before the backup, the rest while it runs

    chatters = [asyncio.create_task(chat(n)) for n in range(CHATTERS)]
    while len(posted) < CHATTERS * (MESSAGES_EACH // 3):
        await asyncio.sleep(0.01)
    backup = asyncio.create_task(backups.take("test"))
    during.set()
    posted_before = len(posted)
    result = await backup
    posted_while = len(posted) - posted_before
    await asyncio.gather(*chatters)

    assert posted_while > 0, "no message was posted while the backup ran"
    assert result.written == list(plan.destinations) and not result.failed
    room_key = await services.rooms.room_key(world.client, world.booking.id,
                                             await keys_of(services, world.client))
    ids = ",".join(map(str, posted))
    live = {r["id"]: r["sealed"] for r in await services.db.fetchall(
        f"SELECT id, sealed FROM message WHERE id IN ({ids})")}
    # nothing lost, nothing altered in the live database
    assert {i: decrypt_message(room_key, world.booking.id, i, sealed)
            for i, sealed in live.items()} == posted
    conn = open_backup(plan.destinations[0] / backup_file_name(result.id), key,
                       tmp_path / "opened.db")
    in_backup = dict(conn.execute(f"SELECT id, sealed FROM message WHERE id IN ({ids})"))
    assert conn.execute("SELECT count(*) FROM message").fetchone()[0] >= 20_000
    conn.close()
    assert in_backup and all(live[i] == sealed for i, sealed in in_backup.items())
    # one consistent moment: the backup holds exactly the messages committed before it
    assert sorted(in_backup) == sorted(posted)[:len(in_backup)]


async def test_backup_file_has_no_readable_text(services, clock, tmp_path_factory):
    world = await make_world(services, clock)
    token = new_token()
    await post_as(services, world.client, world.booking.id, marker_text(token))
    await services.requests.file(world.client, f"{token}-START Anliegen {token}-END")
    plan, _key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")

    for place in plan.destinations:
        data = (place / backup_file_name(result.id)).read_bytes()
        assert data.startswith(MAGIC)
        for needle in (token.encode(), b"SQLite format 3", b"klara", b"CREATE TABLE",
                       "Müdigkeit".encode()):
            assert needle not in data
    # and the plaintext copy made on the way is gone, bytes and all
    db_dir = services.db.path.parent
    assert not [name for name in os.listdir(db_dir) if ".snapshot-" in name]


async def test_a_decrypted_backup_holds_no_message_text(services, clock, tmp_path_factory,
                                                        tmp_path):
    """Sealed rooms: even whoever holds the backup identity finds no chat in a backup, in
    any encoding; only the participants' own keys (under their passwords) could open it."""
    world = await make_world(services, clock)
    token = new_token()
    await post_as(services, world.client, world.booking.id, marker_text(token))
    await post_as(services, world.counsellor, world.booking.id, f"Antwort {token}-END")
    plan, key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    conn = open_backup(plan.destinations[0] / backup_file_name(result.id), key,
                       tmp_path / "opened.db")
    conn.close()
    data = (tmp_path / "opened.db").read_bytes()
    for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
        for needle in (f"{token}-START", f"{token}-END", "Müdigkeit"):
            assert needle.encode(encoding) not in data, (needle, encoding)


async def test_each_destination_gets_its_own_sealing(services, clock, tmp_path_factory):
    await make_world(services, clock)
    plan, _key = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    first, second = (place / backup_file_name(result.id) for place in plan.destinations)
    assert first.read_bytes() != second.read_bytes()  # a nonce of its own per file
    rows = await services.db.fetchall("SELECT actor, action, target_ids FROM audit"
                                      " WHERE action LIKE 'backup.%'")
    assert [tuple(r) for r in rows] == [("test", "backup.create", str(result.id))]


async def test_a_backup_opens_with_the_identity_alone(services, clock, tmp_path_factory):
    await make_world(services, clock)
    plan, keys = backup_plan(services, tmp_path_factory)
    result = await backups_for(services, plan).take("test")
    data = (plan.destinations[0] / backup_file_name(result.id)).read_bytes()

    assert pyrage.decrypt(data, list(keys.identities)).startswith(b"SQLite format 3\0")
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(data, [x25519.Identity.generate()])
    # the server's side holds the recipient, which is no identity
    assert plan.key_file is not None
    server_side = plan.key_file.read_text()
    assert "AGE-SECRET-KEY-" not in server_side and "age1" in server_side


async def test_every_recipient_opens_every_backup_on_its_own(services, clock,
                                                             tmp_path_factory):
    await make_world(services, clock)
    plan, keys = backup_plan(services, tmp_path_factory)
    second = generate_identity()
    assert plan.key_file is not None
    add_recipient(plan.key_file, second.recipient, services.db.path, plan.destinations,
                  clock.now())
    result = await backups_for(services, plan).take("test")
    data = (plan.destinations[1] / backup_file_name(result.id)).read_bytes()
    for identity in (*keys.identities, x25519.Identity.from_str(second.secret)):
        assert pyrage.decrypt(data, [identity]).startswith(b"SQLite format 3\0")


@pytest.mark.skipif(shutil.which("age") is None, reason="the age tool is not installed")
async def test_the_standard_age_tool_opens_a_backup(services, clock, tmp_path_factory,
                                                    tmp_path):
    world = await make_world(services, clock)
    await post_as(services, world.client, world.booking.id, "mit age geöffnet")
    plan = BackupPlan((tmp_path_factory.mktemp("site"),),
                      tmp_path_factory.mktemp("keys") / "backup.recipients")
    identity = generate_identity()
    assert plan.key_file is not None
    add_recipient(plan.key_file, identity.recipient, services.db.path, plan.destinations,
                  clock.now())
    identity_file = tmp_path / "identity.txt"
    identity_file.write_text(identity_text(identity, clock.now()))
    result = await backups_for(services, plan).take("test")
    opened = tmp_path / "opened.db"

    age = await asyncio.create_subprocess_exec(
        "age", "--decrypt", "--identity", str(identity_file), "--output", str(opened),
        str(plan.destinations[0] / backup_file_name(result.id)))
    assert await asyncio.wait_for(age.wait(), 60) == 0

    conn = sqlite3.connect(opened)
    try:
        # The database opens; the room's text in it stays sealed for whoever holds the backup.
        assert conn.execute("SELECT count(*) FROM message WHERE sealed IS NOT NULL"
                            ).fetchone() == (1,)
    finally:
        conn.close()


async def test_a_failed_destination_stops_nothing_and_is_filled_in_later(
        services, clock, tmp_path_factory, caplog):
    await make_world(services, clock)
    plan, _key = backup_plan(services, tmp_path_factory)
    offline = plan.destinations[0].parent / "not-mounted"
    plan = BackupPlan((offline, *plan.destinations), plan.key_file)
    backups = backups_for(services, plan)
    schedule = BackupSchedule(backups)

    assert await schedule.run() == RETRY  # backed up now; the offline site is tried again soon
    inventory = await backups.inventory()
    assert len(inventory.backups) == 1
    backup = inventory.backups[0]
    assert backup.destinations == plan.destinations[1:]
    assert offline in inventory.unreachable
    assert "not-mounted" in caplog.text and "retried later" in caplog.text
    assert not offline.exists()  # never created: an unmounted mount point must stay empty

    offline.mkdir()
    clock.advance(RETRY)
    await schedule.run()
    copies = [place / backup_file_name(backup.id) for place in plan.destinations]
    assert copies[0].read_bytes() == copies[1].read_bytes()
    assert (await backups.inventory()).backups[0].destinations == plan.destinations


async def test_a_backup_is_deleted_on_its_date_by_the_schedule(services, clock,
                                                               tmp_path_factory):
    await make_world(services, clock)
    plan, _key = backup_plan(services, tmp_path_factory)
    backups = backups_for(services, plan)
    schedule = BackupSchedule(backups)
    await schedule.run()
    first = (await backups.inventory()).backups[0]
    assert first.deletes_at == first.created_at + MAX_AGE
    files = [place / backup_file_name(first.id) for place in plan.destinations]
    # a crashed write of the same age goes with it
    earlier = backup_id(first.created_at - timedelta(minutes=1))
    unfinished = plan.destinations[0] / f".{backup_file_name(earlier)}.partial"
    unfinished.write_bytes(b"half")

    clock.set(first.deletes_at - timedelta(hours=1))
    # takes a newer backup, and wakes for the next deletion date: the unfinished write's
    assert await schedule.run() == timedelta(minutes=59)
    assert all(f.exists() for f in files) and unfinished.exists()

    clock.advance(timedelta(minutes=59))
    assert await schedule.run() == timedelta(minutes=1)
    assert all(f.exists() for f in files) and not unfinished.exists()

    clock.advance(timedelta(minutes=1))
    await schedule.run()
    assert not any(f.exists() for f in files)
    assert [b.id for b in (await backups.inventory()).backups] != [first.id]
    rows = await services.db.fetchall(
        "SELECT actor, target_ids FROM audit WHERE action = 'backup.delete'")
    assert [tuple(r) for r in rows] == [("backup", str(first.id))]


async def test_a_lower_limit_deletes_sooner(services, clock, tmp_path_factory):
    await make_world(services, clock)
    plan, _key = backup_plan(services, tmp_path_factory, max_age=timedelta(days=14))
    backups = backups_for(services, plan)
    await backups.take("test")
    clock.advance(timedelta(days=14))
    inventory = await backups.inventory()
    assert await backups.rotate(inventory, "test") == [inventory.backups[0].id]
    assert not any(files_in(place) for place in plan.destinations)


async def test_the_schedule_waits_an_interval_between_backups(services, clock,
                                                               tmp_path_factory):
    await make_world(services, clock)
    plan, _key = backup_plan(services, tmp_path_factory, interval=timedelta(hours=6))
    backups = backups_for(services, plan)
    schedule = BackupSchedule(backups)
    assert await schedule.run() == timedelta(hours=6)
    clock.advance(timedelta(hours=2))
    assert await schedule.run() == timedelta(hours=4)  # a restart does not back up again
    clock.advance(timedelta(hours=4))
    await schedule.run()
    assert len((await backups.inventory()).backups) == 2


async def test_only_staff_manage_backups(services, clock, tmp_path_factory):
    world = await make_world(services, clock)
    plan, _key = backup_plan(services, tmp_path_factory)
    backups = backups_for(services, plan)
    for actor in (world.client, world.counsellor):
        with pytest.raises(NotPermitted):
            await backups.create(actor)
        with pytest.raises(NotPermitted):
            await backups.list(actor)
    assert not any(files_in(place) for place in plan.destinations)
    assert (await backups.create(world.admin)).written == list(plan.destinations)
