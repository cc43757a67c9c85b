"""Opening a ward room in a database of 1,000,000 messages (run by hand, prints a table).

    /work/venv/bin/python -m benchmarks.history --messages 1000000 --big 100000

Setup (not measured): 50 counsellors with 20 clients each (1,000 rooms); one room holds `--big`
messages, the rest share the others evenly; all inserted with direct SQL, not the service.
Then, per room kind (the big one, an ordinary one): the store's first page of history, a page
from the middle of the room (what scrolling up loads) and the counsellor's unread counts; and
over real SSH with `wardroom serve`: the client's login until the room's newest message shows,
and the counsellor's Enter on the dashboard until it shows (each account logs in once before,
so its hash is already upgraded to the production parameters).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher

from benchmarks.purge import folder_size
from benchmarks.seeding import codes_seen, insert_messages, room_keys
from benchmarks.server_under_test import config_file, worker_flag
from sshd_app.host_keys import ensure_host_keys
from store.accounts.passwords import PasswordVault
from store.accounts.roles import Role
from store.clock import to_iso
from store.services import Services
from tests.server_process import ServerProcess
from tests.sshclient import connect

PASSWORD = "benchmark-password"
COUNSELLORS = 50
CLIENTS_EACH = 20
BODY = "Heute ging es besser, die Müdigkeit lässt nach und ich schlafe ruhiger. " * 2


def fast_vault() -> PasswordVault:
    """Setup only: the server verifies these hashes and upgrades them on the first login."""
    return PasswordVault(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


async def build(db: Path, messages: int, big: int) -> dict[str, int]:
    """Accounts, bookings and messages; returns the booking ids of the measured rooms."""
    services = await Services.open(db, vault=fast_vault())
    try:
        staff = await services.accounts.create("bench-admin", Role.ADMIN, PASSWORD)
        current = await services.policy.current()
        start = services.clock.now() - timedelta(days=7)
        rooms = []
        for c in range(COUNSELLORS):
            coach = await services.accounts.create(f"coach{c:02d}", Role.COUNSELLOR, PASSWORD)
            await services.policy.accept(coach, current)
            for k in range(CLIENTS_EACH):
                name = f"client{c:02d}x{k:02d}"
                account = await services.accounts.create(name, Role.CLIENT, PASSWORD)
                await services.policy.accept(account, current)
                booking = await services.bookings.create(staff, name, f"coach{c:02d}", weeks=8,
                                                         start=start)
                rooms.append((booking.id, account.id))
        # Room 0 (coach00's first client) is the big one; the others share the rest.
        counts = [big] + [(messages - big) // (len(rooms) - 1)] * (len(rooms) - 1)
        counts[1] += messages - sum(counts)
        sent = to_iso(start)
        await codes_seen(services)
        await insert_messages(services, await room_keys(services, PASSWORD), (
            (booking_id, client_id, "client", sent, f"{n} {BODY}")
            for (booking_id, client_id), count in zip(rooms, counts, strict=True)
            for n in range(count)))
        await services.db.checkpoint()
        return {"big": rooms[0][0], "ordinary": rooms[1][0]}
    finally:
        await services.close()


async def store_timings(db: Path, room: int, rounds: int = 20) -> tuple[float, float, float]:
    """Median seconds of the first history page, a page from the middle, and the counsellor's
    unread counts."""
    services = await Services.open(db, vault=fast_vault())
    try:
        booking = await services.bookings.get(room)
        assert booking is not None
        login = await services.accounts.authenticate(booking.client_username, PASSWORD)
        coach = await services.accounts.by_username(booking.counsellor_username)
        assert login is not None and coach is not None
        client, keys = login.account, login.keys
        middle = await services.db.fetchone(
            "SELECT id FROM message WHERE booking_id = ? ORDER BY id LIMIT 1 OFFSET"
            " (SELECT count(*) / 2 FROM message WHERE booking_id = ?)", (room, room))
        assert middle is not None
        pages, olders, counts = [], [], []
        for _ in range(rounds):
            before = time.perf_counter()
            await services.rooms.history(client, room, keys)
            pages.append(time.perf_counter() - before)
            before = time.perf_counter()
            await services.rooms.history(client, room, keys, before_id=middle[0])
            olders.append(time.perf_counter() - before)
            before = time.perf_counter()
            await services.rooms.unread_counts(coach)
            counts.append(time.perf_counter() - before)
        return statistics.median(pages), statistics.median(olders), statistics.median(counts)
    finally:
        await services.close()


async def over_ssh(port: int, db: Path, room: int, row: int) -> tuple[float, float]:
    """Client login until its room's newest message shows; the counsellor's Enter on `row` of
    the dashboard until it shows."""
    services = await Services.open(db, vault=fast_vault())
    try:
        booking = await services.bookings.get(room)
        assert booking is not None
        newest = await services.db.fetchone(
            "SELECT max(id), count(*) FROM message WHERE booking_id = ?", (room,))
    finally:
        await services.close()
    last_text = f"{newest[1] - 1} Heute"
    for name in (booking.client_username, booking.counsellor_username):
        warm = await connect(port, name, PASSWORD)
        await warm.wait_for("wardroom", timeout=120)
        await warm.close()

    started = time.perf_counter()
    client = await connect(port, booking.client_username, PASSWORD)
    await client.wait_for(last_text, timeout=120)
    client_open = time.perf_counter() - started
    await client.close()

    coach = await connect(port, booking.counsellor_username, PASSWORD)
    await coach.wait_for(booking.client_username, timeout=120)
    coach.send("\x1b[B" * row)
    await asyncio.sleep(0.5)
    started = time.perf_counter()
    coach.send("\r")
    await coach.wait_for(last_text, timeout=120)
    coach_open = time.perf_counter() - started
    await coach.close()
    return client_open, coach_open


async def run(messages: int, big: int, workers: int | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "bench.db"
        started = time.perf_counter()
        rooms = await build(db, messages, big)
        built = time.perf_counter() - started
        size = await asyncio.to_thread(folder_size, folder) / 1e6
        print(f"built {messages} messages in {len(rooms)} measured rooms of "
              f"{COUNSELLORS * CLIENTS_EACH}: {built:.0f} s, {size:.0f} MB")
        keys = folder / "keys"
        ensure_host_keys(keys)
        server = ServerProcess(db, keys, "--config", str(config_file(folder)),
                               *worker_flag(workers))
        await server.start()
        results = {}
        try:
            # Both are coach00's, listed soonest end first, then by id: rows 0 and 1.
            for row, (kind, room) in enumerate(rooms.items()):
                results[kind] = (*await store_timings(db, room),
                                 *await over_ssh(server.port, db, room, row))
        finally:
            await server.stop()
    header = ("room", "messages in room", "store: first page ms", "store: middle page ms",
              "store: counsellor's unread counts ms", "client login → room shown ms",
              "counsellor Enter → room shown ms")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for kind, (page, older, unread, client_open, coach_open) in results.items():
        size = big if kind == "big" else (messages - big) // (COUNSELLORS * CLIENTS_EACH - 1)
        print(" | ".join([kind, f"{size}", f"{1000 * page:.1f}", f"{1000 * older:.1f}",
                          f"{1000 * unread:.1f}", f"{1000 * client_open:.0f}",
                          f"{1000 * coach_open:.0f}"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=100_000, help="messages in the big room")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    asyncio.run(run(args.messages, args.big, args.workers))


if __name__ == "__main__":
    main()
