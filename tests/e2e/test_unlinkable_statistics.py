"""The access statistics cannot be joined to an account, and the server log names nobody.

A scripted hour of real SSH visits (three clients, a counsellor, a member of staff, each at a
minute of their own, each leaving rows with times in other tables), then the join the privacy
check used: every time in every other table against the statistics' own time. Before, the
statistics kept the minute and this join named every visit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import asyncssh
import pytest

from store.accounts.roles import Role
from store.clock import berlin
from tests import schema
from tests.conftest import PASSWORD
from tests.sealed import post_as
from tests.sshclient import connect, run_command

F2, ESCAPE, CTRL_Q = "\x1bOQ", "\x1b", "\x11"
STATISTICS_TABLES = ("screen_view", "rare_screen_count")


async def _visit(wardroom, name: str, landing: str, *, notice: bool = False) -> None:
    client = await connect(wardroom.port, name, PASSWORD)
    try:
        await client.wait_for(landing)
        if notice:
            client.send(F2)
            await client.wait_for("Fassung 1 vom")
            client.send(ESCAPE)
            await client.wait_for(landing)
        client.send(CTRL_Q)
        await client.wait_closed()
    finally:
        await client.close()


def _as_time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) < 16 or value[4:5] != "-":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


async def _visit_times(db) -> dict[str, set[tuple]]:
    """Each visit id with the times its views were stored at, at the grain the table keeps."""
    time_columns = [c for c in await schema.columns(db, "screen_view")
                    if c not in ("screen", "visit")]
    found: dict[str, set[tuple]] = {}
    for row in await db.fetchall(f"SELECT {', '.join(time_columns)}, visit FROM screen_view"):
        found.setdefault(row["visit"], set()).add(tuple(str(row[c]) for c in time_columns))
    return found


def _same_grain(moment: datetime, example: tuple) -> tuple:
    """A time from another table cut to the statistics' grain (date + hour, or + minute)."""
    local = berlin(moment)
    if len(example) == 2 and ":" in example[1]:
        return (local.date().isoformat(), local.strftime("%H:%M"))
    return (local.date().isoformat(), str(local.hour))


async def test_no_time_in_any_table_singles_out_a_visit(wardroom, caplog):
    caplog.set_level(logging.INFO)
    services, clock = wardroom.services, wardroom.clock
    minute = timedelta(minutes=1)
    accounts = {}
    for name, role in (("carla", Role.CLIENT), ("dora", Role.CLIENT), ("emil", Role.CLIENT),
                       ("anna", Role.COUNSELLOR), ("office", Role.ADMIN)):
        accounts[name] = await wardroom.add_account(name, role)
        clock.advance(minute)
    booking = await services.bookings.create(accounts["office"], "carla", "anna", 4)

    clock.advance(5 * minute)  # 10:10 Berlin
    await _visit(wardroom, "carla", "Stationszimmer mit anna")
    await post_as(services, accounts["carla"], booking.id, "Guten Morgen")
    clock.advance(7 * minute)  # 10:17
    await _visit(wardroom, "dora", "Ihre Beratungen", notice=True)
    await services.requests.file(accounts["dora"], "Ich brauche Begleitung nach der Reha.")
    clock.advance(8 * minute)  # 10:25
    await _visit(wardroom, "emil", "Ihre Beratungen")
    clock.advance(6 * minute)  # 10:31
    await _visit(wardroom, "anna", "Ihre Beratungen")
    await post_as(services, accounts["anna"], booking.id, "Hallo Carla")
    clock.advance(9 * minute)  # 10:40
    await _visit(wardroom, "office", "Verwaltung")
    listed = await run_command(wardroom.port, "office", "admin request list", password=PASSWORD)
    assert listed.exit_status == 0
    with pytest.raises(asyncssh.PermissionDenied):
        await asyncssh.connect("127.0.0.1", wardroom.port, username="carla",
                               password="not-her-password", known_hosts=None, client_keys=[],
                               agent_path=None, preferred_auth="password")
    await services.statistics.settle()
    db = services.db

    visits = await _visit_times(db)
    assert len(visits) == 3  # the clients'; counsellor and staff views are only counted
    example = next(iter(next(iter(visits.values()))))
    tables = await schema.tables(db)
    joined = 0
    for table in tables:
        if table in STATISTICS_TABLES:
            continue
        for row in await db.fetchall(f"SELECT * FROM {table}"):
            for value in tuple(row):
                moment = _as_time(value)
                if moment is None:
                    continue
                grain = _same_grain(moment, example)
                matching = {visit for visit, times in visits.items() if grain in times}
                joined += 1
                assert len(matching) != 1, (
                    f"{table} row {tuple(row)} lines up with exactly one visit")
    assert joined >= 15  # accounts, consents, booking, messages, request, audit entries
    assert "visit" not in await schema.columns(db, "rare_screen_count")

    # The server log names nobody: logins by role and a random connection id; the failed
    # login keeps its address for fail2ban, not the name that was tried.
    # (What the server writes: its own loggers, and only warnings of the libraries.)
    lines = [r.getMessage() for r in caplog.records
             if r.name.startswith("wardroom") or r.levelno >= logging.WARNING]
    for line in lines:
        assert not any(name in line for name in accounts), line
    logins = [line for line in lines if line.startswith("login ")]
    assert sorted(line.split(",")[0] for line in logins) == [
        "login admin", "login admin", "login client", "login client", "login client",
        "login counsellor"]
    ids = [line.rsplit(" ", 1)[1] for line in logins]
    assert len(set(ids)) == len(ids)
    assert not set(ids) & set(visits)
    assert "auth failure from 127.0.0.1" in lines
