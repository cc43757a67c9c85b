"""Screen-view statistics under a burst: what recording costs the sessions (run by hand).

    /work/venv/bin/python -m benchmarks.screen_views [--views 2000] [--days 366]

Records a burst of screen views the way screens do (fire and forget) while a heartbeat task
measures the event-loop stall and another task posts a one-line query every 5 ms and measures
how long it waits behind the view writes (what a message post would wait). Then times
`admin stats` aggregates over a year of views.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store.accounts.roles import Role
from store.clock import FrozenClock
from store.services import Services
from store.statistics import new_visit_id

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SCREENS = ("client_home", "room", "notice", "profile", "counsellor_home")


async def _heartbeat(stop: asyncio.Event, stalls: list[float]) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.001)
        stalls.append((time.perf_counter() - before - 0.001) * 1000)


async def _other_session(services: Services, stop: asyncio.Event, waits: list[float]) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await services.db.fetchone("SELECT 1")
        waits.append((time.perf_counter() - before) * 1000)
        await asyncio.sleep(0.005)


async def run(views: int, days: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = FrozenClock(START)
        services = await Services.open(Path(folder) / "bench.db", clock=clock)
        try:
            stop, stalls, waits = asyncio.Event(), [], []
            watchers = [asyncio.create_task(_heartbeat(stop, stalls)),
                        asyncio.create_task(_other_session(services, stop, waits))]
            before = time.perf_counter()
            visit = new_visit_id()
            for n in range(views):
                if n % 5 == 0:
                    visit = new_visit_id()
                services.statistics.record_view(visit, SCREENS[n % len(SCREENS)])
            queued = time.perf_counter() - before
            await services.statistics.settle()
            settled = time.perf_counter() - before
            stop.set()
            await asyncio.gather(*watchers)
            print(f"burst of {views} views: queued in {queued * 1000:.1f} ms, written in "
                  f"{settled:.2f} s ({settled / views * 1000:.2f} ms per view)")
            print(f"  event-loop stall max {max(stalls):.1f} ms; other session's query wait "
                  f"max {max(waits):.1f} ms, median {sorted(waits)[len(waits) // 2]:.1f} ms")

            async with services.db.transaction() as tx:
                await tx.executemany(
                    "INSERT INTO screen_view (date, time, screen, visit) VALUES (?, ?, ?, ?)",
                    (((START.date() - timedelta(days=n % days)).isoformat(), "10:00",
                      SCREENS[n % len(SCREENS)], f"{n // 5:032x}") for n in range(days * 500)))
            staff = await services.accounts.create("office", Role.ADMIN,
                                                   "benchmark-password")
            for window in (30, days):
                before = time.perf_counter()
                await services.statistics.report(staff, window)
                print(f"report over {window} days of {days * 500} stored views: "
                      f"{(time.perf_counter() - before) * 1000:.0f} ms")
        finally:
            await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--views", type=int, default=2000)
    parser.add_argument("--days", type=int, default=366)
    args = parser.parse_args()
    asyncio.run(run(args.views, args.days))


if __name__ == "__main__":
    main()
