"""Login storm: time to first screen, and the keystroke echo of sessions already connected.

    /work/venv/bin/python -m benchmarks.logins --rate 10 --seconds 5 --sessions 20 --workers 1 2

Starts `wardroom serve --workers N` as a child process with argon2's production parameters.
First `--single` logins one after another (time to first screen of a lone login), then
`--sessions` clients sit in their ward rooms typing one key every 200 ms and timing its echo
(the key shown in their own message box): for a few quiet seconds, then while new logins
arrive at `--rate` per second for `--seconds` seconds, each timed from connect to its first
screen and then closed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.seeding import codes_seen
from benchmarks.server_under_test import (
    add_workers_option,
    config_file,
    host_keys,
    print_header,
    worker_flag,
)
from benchmarks.sessions import first_screen
from benchmarks.watches import ScreenWatch
from store.accounts.roles import Role
from store.services import Services
from tests.server_process import ServerProcess
from tests.sshclient import TerminalClient, connect

PASSWORD = "benchmark-password"
KEY_EVERY = 0.2
DRAFT_KEYS = 30  # then the draft is cleared, so it stays on one line


async def prepare(db: Path, sessions: int, logins: int) -> None:
    services = await Services.open(db)
    try:
        staff = await services.accounts.create("bench-admin", Role.ADMIN, PASSWORD)
        await services.accounts.create("coach", Role.COUNSELLOR, PASSWORD)
        current = await services.policy.current()
        names = [f"typist{i:03d}" for i in range(sessions)]
        names += [f"storm{i:04d}" for i in range(logins)]
        for name in names:
            account = await services.accounts.create(name, Role.CLIENT, PASSWORD)
            await services.policy.accept(account, current)
            if name.startswith("typist"):
                await services.bookings.create(staff, name, "coach", weeks=4)
        await codes_seen(services)
    finally:
        await services.close()


async def type_keys(client: TerminalClient, index: int, stop: asyncio.Event,
                    echoes: list[tuple[float, float]]) -> None:
    """One key every KEY_EVERY seconds; (when pressed, echo latency) for each."""
    watch = ScreenWatch(client)
    prefix = f"k{index:03d}:"
    while not stop.is_set():
        shown = watch.expect(prefix)
        client.send("\x1b[200~" + prefix + "\x1b[201~")
        await asyncio.wait_for(shown, 60)
        draft = prefix
        for _ in range(DRAFT_KEYS):
            if stop.is_set():
                break
            draft += "a"
            shown = watch.expect(draft)
            pressed = time.perf_counter()
            client.send("a")
            echoes.append((pressed, await asyncio.wait_for(shown, 60) - pressed))
            await asyncio.sleep(KEY_EVERY)
        client.send("\x15")  # ctrl+u: the draft goes
        await client.wait_gone(prefix, timeout=60)


async def storm(port: int, rate: float, seconds: float) -> list[float]:
    count = int(rate * seconds)

    async def one(i: int) -> float:
        await asyncio.sleep(i / rate)
        client, took = await first_screen(port, f"storm{i:04d}")
        await client.close()
        return took

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def measure(workers: int | None, rate: float, seconds: float, sessions: int, single: int,
                  keys: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        logins = int(rate * seconds) + single
        await prepare(folder / "bench.db", sessions, logins)
        server = ServerProcess(folder / "bench.db", keys, "--config", str(config_file(folder)),
                               *worker_flag(workers))
        await server.start()
        typists: list[TerminalClient] = []
        try:
            lone = []
            for i in range(int(rate * seconds), logins):
                client, took = await first_screen(server.port, f"storm{i:04d}")
                await client.close()
                lone.append(took)
            for i in range(sessions):
                typists.append(await connect(server.port, f"typist{i:03d}", PASSWORD))
                await typists[-1].wait_for("Stationszimmer", timeout=60)
            stop, echoes = asyncio.Event(), []
            typing = [asyncio.create_task(type_keys(c, i, stop, echoes))
                      for i, c in enumerate(typists)]
            await asyncio.sleep(3)
            storm_start = time.perf_counter()
            firsts = await storm(server.port, rate, seconds)
            storm_end = time.perf_counter()
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.gather(*typing)
        finally:
            for client in typists:
                await client.close()
            await server.stop()
    quiet = [e for t, e in echoes if t < storm_start]
    during = [e for t, e in echoes if storm_start <= t <= storm_end]
    return [f"{workers or 'default'}", f"{1000 * statistics.median(lone):.0f}",
            f"{rate:g}/s × {seconds:g} s", f"{1000 * statistics.median(firsts):.0f}",
            f"{pct(firsts, 0.95):.0f}", f"{sessions}",
            f"{1000 * statistics.median(quiet):.0f} / {pct(quiet, 0.95):.0f}",
            f"{1000 * statistics.median(during):.0f} / {pct(during, 0.95):.0f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="new logins per second")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long the storm lasts")
    parser.add_argument("--sessions", type=int, default=20, help="connected sessions typing")
    parser.add_argument("--single", type=int, default=10, help="lone logins before the storm")
    add_workers_option(parser)
    args = parser.parse_args()
    keys = host_keys()
    print_header(("workers", "lone login: 1st screen p50 ms", "storm", "storm: 1st screen p50 ms",
                  "p95 ms", "sessions typing", "echo p50/p95 ms (quiet)",
                  "echo p50/p95 ms (during storm)"))
    for workers in args.workers:
        print(" | ".join(asyncio.run(measure(workers, args.rate, args.seconds, args.sessions,
                                             args.single, keys))), flush=True)


if __name__ == "__main__":
    main()
