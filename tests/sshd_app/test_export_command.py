"""`ssh NAME@HOST export` over real SSH: one valid JSON document with exactly SPEC's keys,
nothing about other clients, and a long history that keeps pace with a slow reader."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import asyncssh

import sshd_app.session
from store.clock import to_iso
from tests.conftest import PASSWORD
from tests.retention_world import make_world
from tests.sealed import post_as
from tests.sshclient import run_command


async def test_export_is_json_with_exactly_the_keys_and_only_own_data(wardroom):
    mine = await make_world(wardroom.services, wardroom.clock)
    theirs = await make_world(wardroom.services, wardroom.clock, client="otto")
    await wardroom.services.requests.file(mine.client, "Mein Anliegen")
    await wardroom.services.requests.file(theirs.client, "Ottos Anliegen")
    wardroom.clock.advance(timedelta(hours=1))
    await post_as(wardroom.services, mine.client, mine.booking.id, "Ä\x1b[31mrot")
    await post_as(wardroom.services, theirs.client, theirs.booking.id, "Ottos Nachricht")

    result = await run_command(wardroom.port, "klara", "export", PASSWORD)
    assert result.exit_status == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"account", "requests", "bookings", "messages", "sealed_rooms"}
    assert document["account"]["username"] == "klara"
    assert [m["text"] for m in document["messages"]] == ["Ä\ufffd[31mrot"]
    assert "otto" not in result.stdout.lower()


async def test_export_refuses_arguments_and_one_time_passwords(wardroom):
    world = await make_world(wardroom.services, wardroom.clock)
    result = await run_command(wardroom.port, "klara", "export --all", PASSWORD)
    assert result.exit_status == 2 and result.stdout == ""
    await wardroom.services.db.execute(
        "UPDATE account SET must_change_password = 1 WHERE id = ?", (world.client.id,))
    result = await run_command(wardroom.port, "klara", "export", PASSWORD)
    assert result.exit_status == 77 and result.stdout == ""


async def test_long_export_keeps_pace_with_a_slow_reader(wardroom, monkeypatch):
    # A small cut-off limit: without waiting for the reader, the export would be cut off.
    monkeypatch.setattr(sshd_app.session, "WRITE_BUFFER_LIMIT", 64 * 1024)
    world = await make_world(wardroom.services, wardroom.clock)
    sent = to_iso(wardroom.clock.now())
    async with wardroom.services.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO message (booking_id, sender_id, sender_role, sent_at, body)"
            " VALUES (?, ?, 'client', ?, ?)",
            [(world.booking.id, world.client.id, sent, f"{i:05d} " + "x" * 1500)
             for i in range(3000)])
    async with asyncssh.connect("127.0.0.1", wardroom.port, username="klara",
                                password=PASSWORD, known_hosts=None, client_keys=[],
                                agent_path=None) as conn:
        process = await conn.create_process("export", encoding=None)
        process.channel.pause_reading()  # the SSH window fills; the server must wait
        await asyncio.sleep(0.5)
        process.channel.resume_reading()
        output = await process.stdout.read()
        await process.wait()
    assert process.exit_status == 0
    document = json.loads(output)
    assert len(document["messages"]) == 3000
    assert document["messages"][-1]["text"].startswith("02999 ")
