"""The retention purge of 100,000 messages: total time and the longest event-loop stall (run by
hand; prints a table).

    /work/venv/bin/python -m benchmarks.purge [--messages 100000] [--rooms 1 100 1000]
        [--engines sqlite postgresql]

For each room count, fills a temporary database with that many due ward rooms holding the
messages between them, then runs the purge while a heartbeat task sleeps 1 ms at a time and
records how late it wakes (the loop stall), and a second task writes to the database every
5 ms and records how long it waits (what another session's message would wait: on SQLite any
statement waits for the one connection, on PostgreSQL a transaction waits for the write lock).
`postgresql` uses a new database on the server TEST_POSTGRESQL_URL names (tests/postgres.py);
there "files after" is the database's size, vacuumed after every batch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from benchmarks.seeding import insert_messages
from store.accounts.passwords import PasswordVault
from store.accounts.roles import Role
from store.clock import FrozenClock, to_iso
from store.services import Services
from tests.postgres import throwaway_database

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PASSWORD = "benchmark-password"
BODY = ("Heute war ein besserer Tag. Ich bin eine halbe Stunde spazieren gegangen, "
        "ohne Pause, und habe danach gut geschlafen. Die Übungen helfen. ") * 2


@dataclass
class Measurement:
    rooms: int
    messages: int
    seconds: float
    loop_stall_max_ms: float
    loop_stall_p99_ms: float
    db_wait_max_ms: float
    files_after_kib: int


async def fill(services: Services, clock: FrozenClock, rooms: int, messages: int) -> None:
    staff = await services.accounts.create("office", Role.ADMIN, PASSWORD)
    await services.accounts.create("berater", Role.COUNSELLOR, PASSWORD)
    per_room, extra = divmod(messages, rooms)
    for room in range(rooms):
        client = await services.accounts.create(f"klient{room:05d}", Role.CLIENT, PASSWORD)
        booking = await services.bookings.create(staff, client.username, "berater", weeks=1,
                                                 start=clock.now())
        count = per_room + (1 if room < extra else 0)
        sent = to_iso(clock.now() + timedelta(hours=1))
        login = await services.accounts.authenticate(client.username, PASSWORD)
        assert login is not None
        keys = {booking.id: await services.rooms.room_key(client, booking.id, login.keys)}
        await insert_messages(services, keys, ((booking.id, client.id, "client", sent,
                                                f"{i} {BODY}") for i in range(count)))
    await services.db.checkpoint()


async def heartbeat(stop: asyncio.Event, stalls: list[float], tick: float = 0.001) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(tick)
        now = time.perf_counter()
        stalls.append(max(now - last - tick, 0.0))
        last = now


async def db_prober(services: Services, stop: asyncio.Event, waits: list[float]) -> None:
    while not stop.is_set():
        asked = time.perf_counter()
        async with services.db.transaction() as tx:
            await tx.fetchone("SELECT 1")
        waits.append(time.perf_counter() - asked)
        await asyncio.sleep(0.005)


async def files_size(services: Services, folder: Path) -> int:
    if services.db.path is None:
        row = await services.db.fetchone("SELECT pg_database_size(current_database())")
        return int(row[0])
    return await asyncio.to_thread(lambda: sum(p.stat().st_size for p in folder.iterdir()))


@contextlib.asynccontextmanager
async def database(engine: str) -> AsyncIterator[tuple[str, Path]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if engine == "sqlite":
            yield str(folder / "purge.db"), folder
            return
        async with throwaway_database() as url:
            yield url, folder


async def measure(engine: str, rooms: int, messages: int) -> Measurement:
    async with database(engine) as (db, folder):
        clock = FrozenClock(START)
        vault = PasswordVault(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        services = await Services.open(db, clock=clock, vault=vault)
        try:
            await fill(services, clock, rooms, messages)
            clock.advance(timedelta(weeks=1, days=56))
            stop = asyncio.Event()
            stalls: list[float] = []
            waits: list[float] = []
            watchers = [asyncio.create_task(heartbeat(stop, stalls)),
                        asyncio.create_task(db_prober(services, stop, waits))]
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            result = await services.retention_task.purge()
            seconds = time.perf_counter() - started
            stop.set()
            await asyncio.gather(*watchers)
            assert len(result.rooms) == rooms and result.messages == messages, result
            files = await files_size(services, folder)
        finally:
            await services.close()
            vault.close()
    stalls.sort()
    return Measurement(rooms, messages, seconds, stalls[-1] * 1000,
                       stalls[int(len(stalls) * 0.99)] * 1000, max(waits) * 1000,
                       files // 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rooms", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--engines", nargs="+", default=["sqlite"],
                        choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    header = ("engine", "rooms", "messages", "purge s", "loop stall max ms", "p99 ms",
              "db wait max ms", "files after KiB")
    print(" | ".join(header))
    for engine, rooms in itertools.product(args.engines, args.rooms):
        m = asyncio.run(measure(engine, rooms, args.messages))
        print(" | ".join([engine, f"{m.rooms}", f"{m.messages}", f"{m.seconds:.2f}",
                          f"{m.loop_stall_max_ms:.1f}", f"{m.loop_stall_p99_ms:.1f}",
                          f"{m.db_wait_max_ms:.0f}", f"{m.files_after_kib}"]), flush=True)


if __name__ == "__main__":
    main()
