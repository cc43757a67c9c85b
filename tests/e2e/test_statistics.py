"""Access statistics over real SSH: a scripted visit, what is stored, what `admin stats` says."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from store.accounts.roles import Role
from store.statistics import new_visit_id
from tests import schema
from tests.conftest import PASSWORD
from tests.sshclient import connect, run_command

F2, ESCAPE, CTRL_Q = "\x1bOQ", "\x1b", "\x11"


async def _visit_as_client(wardroom) -> None:
    client = await connect(wardroom.port, "carla", PASSWORD)
    try:
        await client.wait_for("Ihr Anliegen")
        client.send(F2)
        await client.wait_for("Fassung 1 vom")
        client.send(ESCAPE)
        await client.wait_for("Ihr Anliegen")
        client.send(CTRL_Q)
        await client.wait_closed()
    finally:
        await client.close()


async def _visit_as_counsellor(wardroom) -> None:
    client = await connect(wardroom.port, "conrad", PASSWORD)
    try:
        await client.wait_for("Ihre Beratungen")
        client.send(CTRL_Q)
        await client.wait_closed()
    finally:
        await client.close()


async def _stats(wardroom, options: str = "") -> dict:
    result = await run_command(wardroom.port, "office", f"admin stats --json {options}",
                               password=PASSWORD)
    assert result.exit_status == 0, result.stderr
    return json.loads(result.stdout)


async def test_scripted_visit_is_counted_and_anonymous(wardroom):
    accounts = [await wardroom.add_account("carla", Role.CLIENT),
                await wardroom.add_account("conrad", Role.COUNSELLOR),
                await wardroom.add_account("office", Role.ADMIN)]
    await _visit_as_client(wardroom)
    await _visit_as_counsellor(wardroom)
    await wardroom.services.statistics.settle()
    db = wardroom.services.db

    assert await schema.columns(db, "screen_view") == ["date", "hour", "screen", "visit"]
    assert await schema.foreign_keys(db, "screen_view") == 0
    rows = [tuple(r) for r in await db.fetchall(
        "SELECT date, hour, screen, visit FROM screen_view")]
    assert len(rows) == 3  # the counsellor's view is only counted, without a visit
    assert [tuple(r) for r in await db.fetchall("SELECT * FROM rare_screen_count")] == [
        ("2026-11-28", "counsellor_home", 1)]
    identifying = {a.username for a in accounts} | {"127.0.0.1", "localhost"}
    ids = {str(a.id) for a in accounts}
    for row in rows:
        assert row[:2] == ("2026-11-28", 10)  # Berlin date, time to the hour
        for value in row:
            assert not any(word in str(value) for word in identifying), row
            assert str(value) not in ids, row
    visits = {row[3] for row in rows}
    assert len(visits) == 1
    # The visit id exists nowhere else in the database, so nothing can be joined on it.
    for table in await schema.tables(db):
        if table == "screen_view":
            continue
        for row in await db.fetchall(f"SELECT * FROM {table}"):
            assert not visits & {str(v) for v in tuple(row)}, table

    stats = await _stats(wardroom)
    assert (stats["from"], stats["to"]) == ("2026-10-30", "2026-11-28")
    # Two visits: every count is below five, so the report names none of them.
    assert stats["views"] == [] and stats["paths"] == []
    assert len(stats["visits"]) == 30
    assert stats["visits"][-1] == {"date": "2026-11-28", "visits": None}
    assert [day["visits"] for day in stats["visits"][:-1]] == [0] * 29
    assert stats["suppressed_below"] == 5
    assert not identifying & set(json.dumps(stats).split('"'))


async def test_days_window_and_text_output(wardroom):
    await wardroom.add_account("carla", Role.CLIENT)
    await wardroom.add_account("office", Role.ADMIN)
    await _visit_as_client(wardroom)
    wardroom.clock.advance(timedelta(days=1))
    await _visit_as_client(wardroom)
    await wardroom.services.statistics.settle()

    today = await _stats(wardroom, "--days 1")
    assert today["visits"] == [{"date": "2026-11-29", "visits": None}]
    both = await _stats(wardroom, "--days 2")
    assert both["visits"] == [{"date": "2026-11-28", "visits": None},
                              {"date": "2026-11-29", "visits": None}]
    for _ in range(5):
        visit = new_visit_id()
        wardroom.services.statistics.record_view(visit, "client_home")
        wardroom.services.statistics.record_view(visit, "notice")
    await wardroom.services.statistics.settle()
    assert (await _stats(wardroom, "--days 1"))["paths"] == [
        {"from": "client_home", "to": "notice", "count": 6}]  # with yesterday's

    text = await run_command(wardroom.port, "office", "admin stats --days 2", password=PASSWORD)
    assert text.exit_status == 0
    assert "2026-11-28  <5" in text.stdout
    assert "2026-11-29  client_home  7" in text.stdout
    assert "Counts below 5 are not shown" in text.stdout
    bad = await run_command(wardroom.port, "office", "admin stats --days 0", password=PASSWORD)
    assert bad.exit_status == 1 and bad.stderr.count("\n") == 1


async def test_only_staff_see_statistics(wardroom):
    await wardroom.add_account("carla", Role.CLIENT)
    result = await run_command(wardroom.port, "carla", "admin stats --json", password=PASSWORD)
    assert result.exit_status == 77


async def test_a_failing_statistics_write_never_blocks_the_screen(wardroom, caplog):
    await wardroom.add_account("carla", Role.CLIENT)

    async def broken(*_args: object) -> None:
        raise RuntimeError("disk full")

    wardroom.services.statistics._insert = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="store.statistics"):
        await _visit_as_client(wardroom)
        await wardroom.services.statistics.settle()
    assert "screen view not recorded" in caplog.text
