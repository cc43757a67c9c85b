"""SQLite against PostgreSQL, one node against two: latency and CPU per message (run by hand).

    TEST_POSTGRESQL_URL=postgresql://… .venv/bin/python -m benchmarks.nodes \\
        --pairs 40 --interval 2 1 0.5 --seconds 30 --setups sqlite pg-1 pg-2

Each setup is fresh: `sqlite` is one `wardroom serve --workers 1` on a SQLite file; `pg-1` the
same on a new PostgreSQL database of the server TEST_POSTGRESQL_URL names (the tests' one,
e.g. scripts/throwaway-postgres); `pg-2` two such nodes on one database, every client on node A
and its counsellor on node B, so every message crosses nodes through LISTEN/NOTIFY. Pairs chat
as in benchmarks.chat (raw-byte clients, one message per pair every `interval` seconds).
"wardroom CPU" is the serve processes' own; "PostgreSQL CPU" is the whole cluster's (every
backend of the postmaster, the benchmark's other clients included, which are idle here).
On a 2-core machine the load generator, every node and PostgreSQL share the same two cores,
so two nodes cannot show more capacity than one: what the columns can show is what a message
costs on each engine and what crossing nodes adds to its latency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from tempfile import TemporaryDirectory

import asyncpg

from benchmarks.chat import converse
from benchmarks.chat_load import add_history, open_pair, prepare
from benchmarks.server_under_test import config_file, host_keys, print_header
from benchmarks.sessions import cpu_seconds
from benchmarks.watches import WATCHES, add_client_option, own_cpu_seconds
from tests.postgres import throwaway_database
from tests.server_process import ServerProcess
from tests.sshclient import TerminalClient


@contextlib.asynccontextmanager
async def database(setup: str, folder: Path) -> AsyncIterator[str]:
    if setup == "sqlite":
        yield str(folder / "bench.db")
        return
    async with throwaway_database() as url:
        yield url


async def postmaster_pid(url: str) -> int | None:
    conn = await asyncpg.connect(url)
    try:
        data = await conn.fetchval("SELECT current_setting('data_directory')")
    finally:
        await conn.close()
    return int((Path(data) / "postmaster.pid").read_text().split()[0])


async def measure(setup: str, pairs: int, intervals: list[float], seconds: float,
                  history: int, keys: Path, client: str) -> None:
    nodes = 2 if setup == "pg-2" else 1
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        async with database(setup, folder) as db:
            await prepare(db, pairs)
            await add_history(db, history)
            servers = [ServerProcess(db, keys, "--config", str(config_file(folder)),
                                     "--workers", "1") for _ in range(nodes)]
            for server in servers:
                await server.start()
            postmaster = None if setup == "sqlite" else await postmaster_pid(db)
            opened: list[tuple[TerminalClient, TerminalClient]] = []
            try:
                for first in range(0, pairs, 4):
                    opened += await asyncio.gather(*(
                        open_pair(servers[0].port, i, coach_port=servers[-1].port)
                        for i in range(first, min(first + 4, pairs))))
                await asyncio.sleep(2)
                watches = [(WATCHES[client](a), WATCHES[client](b)) for a, b in opened]
                for run_no, interval in enumerate(intervals):
                    latencies: list[float] = []
                    rng = random.Random(9)

                    def cpu() -> tuple[float, float]:
                        ours = sum(cpu_seconds(s.process.pid) for s in servers if s.process)
                        return ours, (cpu_seconds(postmaster) if postmaster else 0.0)

                    (ours_before, pg_before), started = cpu(), time.perf_counter()
                    own_before = own_cpu_seconds()
                    await asyncio.gather(*(converse(pair, watch, i, run_no, interval,
                                                    started + seconds, latencies, rng)
                                           for i, (pair, watch) in enumerate(zip(
                                               opened, watches, strict=True))))
                    ours_after, pg_after = cpu()
                    elapsed = time.perf_counter() - started
                    own = own_cpu_seconds() - own_before
                    ordered = sorted(latencies)
                    count = len(ordered)

                    def pct(p: float, ordered: list[float] = ordered) -> str:
                        return f"{1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))]:.0f}"

                    print(" | ".join([
                        setup, str(pairs), f"{interval:g}", str(count),
                        f"{count / elapsed:.1f}", f"{1000 * statistics.median(ordered):.0f}",
                        pct(0.95), pct(0.99),
                        f"{1000 * (ours_after - ours_before) / count:.1f}",
                        f"{1000 * (pg_after - pg_before) / count:.1f}",
                        f"{100 * own / elapsed:.1f}"]), flush=True)
                    await asyncio.sleep(2)
            finally:
                for pair in opened:
                    for terminal in pair:
                        await terminal.close()
                for server in servers:
                    await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setups", nargs="+", default=["sqlite", "pg-1", "pg-2"],
                        choices=["sqlite", "pg-1", "pg-2"])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--interval", type=float, nargs="+", default=[2.0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--history", type=int, default=50)
    add_client_option(parser)
    args = parser.parse_args()
    keys = host_keys()
    print_header(("setup", "pairs", "interval s", "messages", "msg/s", "p50 ms", "p95 ms",
                  "p99 ms", "wardroom CPU ms/msg", "PostgreSQL CPU ms/msg", "clients CPU %"))
    for setup in args.setups:
        asyncio.run(measure(setup, args.pairs, args.interval, args.seconds, args.history,
                            keys, args.client))


if __name__ == "__main__":
    main()
