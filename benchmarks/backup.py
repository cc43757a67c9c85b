"""Backup and restore times for a database of N messages (run by hand, prints a table).

    /work/venv/bin/python -m benchmarks.backup --messages 100000 --rounds 3

Builds a database of N messages (lengths 40 to 2,000 characters, in 500 ward rooms), then per
round: `backup create` to two destinations (the longest event-loop stall while it runs is
measured by a 5 ms ticker, next to the same ticker's worst over a quiet second before, and
a client keeps posting), and `wardroom restore` of that backup
with an erasure to replay. Medians over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from pyrage import x25519

from benchmarks.seeding import insert_messages, room_keys
from store.accounts.passwords import PasswordVault
from store.accounts.roles import Role
from store.backup.backups import BackupPlan, Backups, backup_file_name
from store.backup.key import add_recipient, generate_identity
from store.backup.restore import RestoreKeys, restore
from store.clock import SystemClock
from store.services import Services

ROOMS = 500
PASSWORD = "benchmark-password"


async def build(db: Path, messages: int) -> None:
    vault = PasswordVault(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    services = await Services.open(db, vault=vault)
    try:
        admin = await services.accounts.create("admin", Role.ADMIN, PASSWORD)
        await services.accounts.create("berta", Role.COUNSELLOR, PASSWORD)
        now = services.clock.now()
        bookings = []
        for i in range(ROOMS):
            await services.accounts.create(f"klient{i}", Role.CLIENT, PASSWORD)
            booking = await services.bookings.create(admin, f"klient{i}", "berta", weeks=8,
                                                     start=now - timedelta(days=1))
            bookings.append(booking)
        rng = random.Random(8)
        words = "Heute ging es besser, die Müdigkeit lässt nach und ich schlafe ruhiger".split()

        def rows():
            for n in range(messages):
                booking = bookings[n % ROOMS]
                length = rng.randint(40, 2000)
                body = " ".join(rng.choices(words, k=length // 6))[:length]
                yield booking.id, booking.client_id, "client", now.isoformat(), body

        await insert_messages(services, await room_keys(services, PASSWORD), rows())
    finally:
        await services.close()


async def backup_round(db: Path, plan: BackupPlan) -> dict[str, float]:
    vault = PasswordVault(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    services = await Services.open(db, vault=vault)
    stall = 0.0
    posted = 0
    quiet = await _max_stall(1.0)  # the machine's own noise, for comparison
    try:
        login = await services.accounts.authenticate(f"klient{ROOMS - 1}", PASSWORD)
        assert login is not None
        client = login.account
        booking = (await services.bookings.for_actor(client))[0]
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal stall
            while not done.is_set():
                before = time.perf_counter()
                await asyncio.sleep(0.005)
                stall = max(stall, time.perf_counter() - before - 0.005)

        async def chatter() -> None:
            nonlocal posted
            while not done.is_set():
                await services.rooms.post(client, booking.id, f"während der Sicherung {posted}",
                                          login.keys)
                posted += 1
                await asyncio.sleep(0.01)

        background = [asyncio.create_task(ticker()), asyncio.create_task(chatter())]
        started = time.perf_counter()
        result = await Backups(services.db, services.audit, plan).take("benchmark")
        seconds = time.perf_counter() - started
        done.set()
        await asyncio.gather(*background)
    finally:
        await services.close()
    return {"backup_s": seconds, "backup_id": result.id, "stall_ms": stall * 1000,
            "quiet_stall_ms": quiet * 1000, "posted": posted,
            "file_mb": (plan.destinations[0] / backup_file_name(result.id)).stat().st_size / 1e6}


async def _max_stall(seconds: float) -> float:
    worst, until = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < until:
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        worst = max(worst, time.perf_counter() - before - 0.005)
    return worst


async def restore_round(db: Path, plan: BackupPlan, keys: RestoreKeys,
                        backup: int) -> dict[str, float]:
    vault = PasswordVault(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    services = await Services.open(db, vault=vault)
    try:
        admin = await services.accounts.by_username("admin")
        assert admin is not None
        # an objection after the backup, for the restore to replay
        victim = (await services.accounts.list(Role.CLIENT))[0]
        await services.erasure.erase_client(admin, victim.username, confirm=victim.username)
    finally:
        await services.close()
    started = time.perf_counter()
    report = await restore(plan.destinations[1] / backup_file_name(backup), db, keys,
                           SystemClock(), "benchmark")
    seconds = time.perf_counter() - started
    assert report.accounts_replayed == 1
    return {"restore_s": seconds}


async def measure(messages: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "db").mkdir()
        db = root / "db" / "bench.db"
        sites = (root / "site-a", root / "site-b")
        for site in sites:
            site.mkdir()
        key_file = root / "backup.recipients"
        identity = generate_identity()
        add_recipient(key_file, identity.recipient, db, sites, SystemClock().now())
        keys = RestoreKeys(identities=(x25519.Identity.from_str(identity.secret),))
        plan = BackupPlan(sites, key_file)
        started = time.perf_counter()
        await build(db, messages)
        build_s = time.perf_counter() - started
        db_mb = db.stat().st_size / 1e6
        results = []
        for _ in range(rounds):
            backed = await backup_round(db, plan)
            results.append({**backed, **await restore_round(db, plan, keys,
                                                            int(backed["backup_id"]))})
            await asyncio.sleep(1.1)  # one backup per second
    return {
        "messages": messages, "db_mb": db_mb, "build_s": build_s,
        "file_mb": results[0]["file_mb"],
        "backup_s": statistics.median(r["backup_s"] for r in results),
        "stall_ms": max(r["stall_ms"] for r in results),
        "quiet_stall_ms": max(r["quiet_stall_ms"] for r in results),
        "posted": statistics.median(r["posted"] for r in results),
        "restore_s": statistics.median(r["restore_s"] for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[100_000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = [asyncio.run(measure(n, args.rounds)) for n in args.messages]
    header = ("messages", "db MB", "backup file MB", "backup create s (2 sites)",
              "max loop stall ms (idle loop)", "posts during backup", "restore s")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for row in rows:
        print(" | ".join([f"{row['messages']}", f"{row['db_mb']:.1f}", f"{row['file_mb']:.1f}",
                          f"{row['backup_s']:.2f}",
                          f"{row['stall_ms']:.1f} ({row['quiet_stall_ms']:.1f})",
                          f"{row['posted']:.0f}", f"{row['restore_s']:.2f}"]))


if __name__ == "__main__":
    main()
