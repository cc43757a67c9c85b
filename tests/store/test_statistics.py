"""Access statistics in the store: what is recorded, what the report aggregates, who may see."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.accounts.roles import Role
from store.errors import Invalid, NotPermitted
from store.statistics import MAX_DAYS, new_visit_id
from tests.conftest import PASSWORD


async def test_report_aggregates_and_zero_days(services, clock):
    staff = await services.accounts.create("office", Role.ADMIN, PASSWORD)
    ones = [new_visit_id() for _ in range(5)]
    twos = [new_visit_id() for _ in range(5)]
    assert len(set(ones + twos)) == 10 and len(ones[0]) == 32
    for one, two in zip(ones, twos, strict=True):
        for visit, screen in ((one, "home"), (one, "home"), (one, "room"), (two, "home"),
                              (one, "home"), (two, "notice")):
            services.statistics.record_view(visit, screen)
    clock.advance(timedelta(days=2))
    for two in twos[:4]:
        services.statistics.record_view(two, "home")
    await services.statistics.settle()

    report = await services.statistics.report(staff, 3)
    # Four visits on the last day: fewer than five, so not shown as a number.
    assert [(d.date, d.visits) for d in report.visits] == [
        ("2026-11-28", 10), ("2026-11-29", 0), ("2026-11-30", None)]
    assert [(v.date, v.screen, v.views) for v in report.views] == [
        ("2026-11-28", "home", 20), ("2026-11-28", "notice", 5), ("2026-11-28", "room", 5)]
    # home→home is no step; paths are counted within one visit only, across days too
    # (notice→home is only four times, so it is left out).
    assert [(p.source, p.target, p.count) for p in report.paths] == [
        ("home", "notice", 5), ("home", "room", 5), ("room", "home", 5)]
    assert [d.date for d in (await services.statistics.report(staff, 1)).visits] == [
        "2026-11-30"]


async def test_malformed_views_are_dropped_not_stored(services):
    services.statistics.record_view("carla", "home")
    services.statistics.record_view(new_visit_id(), "Home; DROP")
    await services.statistics.settle()
    assert await services.db.fetchall("SELECT * FROM screen_view") == []


async def test_only_staff_and_sane_windows(services):
    client = await services.accounts.create("carla", Role.CLIENT, PASSWORD)
    staff = await services.accounts.create("office", Role.ADMIN, PASSWORD)
    with pytest.raises(NotPermitted):
        await services.statistics.report(client, 30)
    for days in (0, -1, 367):
        with pytest.raises(Invalid):
            await services.statistics.report(staff, days)


async def test_a_burst_of_views_is_one_transaction_in_order(services):
    statistics = services.statistics
    batches: list[int] = []
    insert = statistics._insert

    async def counting(views, rare):
        batches.append(len(views))
        await insert(views, rare)

    statistics._insert = counting  # type: ignore[method-assign]
    visit = new_visit_id()
    screens = [f"screen_{n}" for n in range(100)]
    for screen in screens:
        statistics.record_view(visit, screen)
    await statistics.settle()
    assert batches == [100]
    rows = await services.db.fetchall("SELECT screen FROM screen_view ORDER BY rowid")
    assert [r["screen"] for r in rows] == screens


async def test_views_older_than_any_report_can_reach_are_deleted(services, clock):
    staff = await services.accounts.create("office", Role.ADMIN, PASSWORD)
    services.statistics.record_view(new_visit_id(), "home")
    await services.statistics.settle()
    clock.advance(timedelta(days=MAX_DAYS - 1))  # the first day is still in the longest window
    services.statistics.record_view(new_visit_id(), "room")
    await services.statistics.settle()
    assert tuple(await services.db.fetchone("SELECT count(*) FROM screen_view")) == (2,)
    clock.advance(timedelta(days=1))
    services.statistics.record_view(new_visit_id(), "notice")
    await services.statistics.settle()
    rows = await services.db.fetchall("SELECT screen FROM screen_view ORDER BY rowid")
    assert [r["screen"] for r in rows] == ["room", "notice"]
    # Two days of one visit each: fewer than five, so the report shows them without numbers.
    shown = [d.visits for d in (await services.statistics.report(staff, MAX_DAYS)).visits]
    assert shown.count(None) == 2 and set(shown) == {0, None}


async def test_rare_screens_are_counted_without_a_visit_and_small_counts_hidden(services):
    staff = await services.accounts.create("office", Role.ADMIN, PASSWORD)
    visit = new_visit_id()
    services.statistics.record_view(visit, "client_home")
    for screen in ("register", "objection", "password_change", "lock", "totp_setup"):
        services.statistics.record_view(visit, screen)
    for _ in range(4):
        services.statistics.record_view(new_visit_id(), "lock")
    await services.statistics.settle()
    # Every column but the order of views, SQLite's hidden rowid (a column PostgreSQL shows).
    rows = [tuple(r) for r in await services.db.fetchall(
        "SELECT date, hour, screen, visit FROM screen_view")]
    assert rows == [("2026-11-28", 10, "client_home", visit)]  # the hour, not the minute
    counts = {tuple(r) for r in await services.db.fetchall("SELECT * FROM rare_screen_count")}
    assert counts == {("2026-11-28", "register", 1), ("2026-11-28", "objection", 1),
                      ("2026-11-28", "password_change", 1), ("2026-11-28", "lock", 5),
                      ("2026-11-28", "totp_setup", 1)}
    report = await services.statistics.report(staff, 1)
    assert [(v.screen, v.views) for v in report.views] == [("lock", 5)]
    assert report.visits[0].visits is None and report.paths == []
