"""Idle sessions: RSS per session, idle CPU, and time to first screen (run by hand).

    /work/venv/bin/python -m benchmarks.sessions --sessions 1 50 --workers 1 2

Starts `wardroom serve` as a child process on a temporary database, opens N real SSH sessions
with a pty (asyncssh client, screen read with pyte), and reads the server's RSS and CPU time
from /proc before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.seeding import codes_seen
from benchmarks.server_under_test import (
    add_workers_option,
    config_file,
    host_keys,
    print_header,
    worker_flag,
)
from store.accounts.roles import Role
from store.services import Services
from tests.server_process import ServerProcess, process_tree
from tests.sshclient import TerminalClient, connect

PASSWORD = "benchmark-password"


def rss_kib(pid: int) -> int:
    """Resident memory of the server with its workers."""
    total = 0
    for member in process_tree(pid):
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the server and its workers have used so far."""
    ticks = 0
    for member in process_tree(pid):
        fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def prepare(db: Path, count: int) -> None:
    services = await Services.open(db)
    try:
        for i in range(count):
            account = await services.accounts.create(f"bench{i:04d}", Role.CLIENT, PASSWORD)
            # The consent screen is not what is measured: accept the notice up front.
            await services.policy.accept(account, await services.policy.current())
        await codes_seen(services)
    finally:
        await services.close()


async def first_screen(port: int, name: str) -> tuple[TerminalClient, float]:
    started = time.perf_counter()
    client = await connect(port, name, PASSWORD)
    await client.wait_for("wardroom", timeout=60)
    return client, time.perf_counter() - started


async def measure(count: int, keys: Path, workers: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        await prepare(db, count)
        server = ServerProcess(db, keys, "--config", str(config_file(Path(folder))),
                               *worker_flag(workers))
        await server.start()
        assert server.process is not None
        pid = server.process.pid
        try:
            await asyncio.sleep(1.0)
            base_rss = rss_kib(pid)
            single, single_time = await first_screen(server.port, "bench0000")
            results = [single_time]
            clients = [single]
            batch = asyncio.Semaphore(20)  # logging in, a few at a time

            async def one(name: str) -> tuple[TerminalClient, float]:
                async with batch:
                    return await first_screen(server.port, name)

            pending = [one(f"bench{i:04d}") for i in range(1, count)]
            for client, seconds in await asyncio.gather(*pending):
                clients.append(client)
                results.append(seconds)
            await asyncio.sleep(2.0)
            rss = rss_kib(pid)
            cpu_before = cpu_seconds(pid)
            await asyncio.sleep(10.0)
            idle_cpu = (cpu_seconds(pid) - cpu_before) / 10.0
            for client in clients:
                await client.close()
        finally:
            await server.stop()
    return {
        "workers": workers or "default",
        "sessions": count,
        "rss_per_session_kib": (rss - base_rss) / count,
        "first_screen_single_ms": single_time * 1000,
        "first_screen_p50_ms": statistics.median(results) * 1000,
        "first_screen_max_ms": max(results) * 1000,
        "idle_cpu_percent": idle_cpu * 100,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 50])
    add_workers_option(parser)
    args = parser.parse_args()
    keys = host_keys()
    print_header(("workers", "sessions", "RSS/session KiB", "1st screen (1st) ms",
                  "1st screen p50 ms", "1st screen max ms", "idle CPU %"))
    for workers in args.workers:
        for n in args.sessions:
            row = asyncio.run(measure(n, keys, workers))
            print(" | ".join([f"{row['workers']}", f"{row['sessions']}",
                              f"{row['rss_per_session_kib']:.0f}",
                              f"{row['first_screen_single_ms']:.0f}",
                              f"{row['first_screen_p50_ms']:.0f}",
                              f"{row['first_screen_max_ms']:.0f}",
                              f"{row['idle_cpu_percent']:.2f}"]), flush=True)


if __name__ == "__main__":
    main()
