"""Pairs chatting at a steady rate: delivery latency and server CPU per message (run by hand).

    .venv/bin/python -m benchmarks.chat --pairs 100 --interval 5 2 1 --seconds 60 --workers 1 2

Starts `wardroom serve --workers N` as a child process on rooms that already hold `--history`
messages each (inserted with SQL; a room in use has a history, which decides how the
scrollbar and the screen update), opens both parties' rooms over real SSH (pty; pyte screens
while logging in), and lets every pair alternate messages, one every `interval` seconds per
pair at a random phase (`--interval 0`: the next one as soon as the last arrived, i.e. as fast
as the server delivers; several intervals run one after another on the same sessions). A
message is pasted into the box, Enter is pressed once the sender's box shows it, and its
latency runs from that Enter until it reaches the other party, checked on every chunk the
client receives: with `--client raw` (the default) as a unique marker in the received bytes,
with no terminal emulation, so the load generator stays light (its own CPU is the last
column); with `--client screen` on each client's pyte screen, which for 200 clients takes most
of a core itself. Server CPU (parent and workers, from /proc) is divided by the messages
delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.chat_load import add_history, open_pair, prepare
from benchmarks.server_under_test import (
    add_workers_option,
    config_file,
    host_keys,
    print_header,
    worker_flag,
)
from benchmarks.sessions import cpu_seconds
from benchmarks.watches import WATCHES, Watch, add_client_option, own_cpu_seconds
from tests.server_process import ServerProcess
from tests.sshclient import TerminalClient


async def open_pairs(port: int, pairs: int) -> list[tuple[TerminalClient, TerminalClient]]:
    """Both rooms of every pair, a few pairs at a time (logins are argon2-bound)."""
    opened: list[tuple[TerminalClient, TerminalClient]] = []
    for first in range(0, pairs, 4):
        opened += await asyncio.gather(*(open_pair(port, i)
                                         for i in range(first, min(first + 4, pairs))))
    return opened


@dataclass
class Run:
    workers: int | None
    pairs: int
    interval: float
    seconds: float
    latencies: list[float]
    cpu: float
    client_cpu: float  # this process: the load generator itself

    def row(self) -> list[str]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> str:
            return f"{1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))]:.0f}"

        count = len(ordered)
        return [f"{self.workers or 'default'}", f"{self.pairs}", f"{self.interval:g}", f"{count}",
                f"{count / self.seconds:.1f}", f"{1000 * statistics.median(ordered):.0f}",
                pct(0.95), pct(0.99), f"{1000 * ordered[-1]:.0f}",
                f"{1000 * self.cpu / count:.1f}", f"{100 * self.cpu / self.seconds:.0f}",
                f"{100 * self.client_cpu / self.seconds:.1f}"]


async def converse(pair: tuple[TerminalClient, TerminalClient], watches: tuple[Watch, Watch],
                   i: int, run: int, interval: float, until: float, latencies: list[float],
                   rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, interval))
    due = time.perf_counter()
    n = 0
    while time.perf_counter() < until:
        sender, receiver = n % 2, 1 - n % 2
        # The marker first, in one word: the raw watch finds it in the bytes as written.
        marker = f"p{i:03d}r{run}m{n:04d}"
        in_box = watches[sender].expect(marker)
        pair[sender].send("\x1b[200~" + marker + " wie geht es heute\x1b[201~")
        await asyncio.wait_for(in_box, 60)
        arrived = watches[receiver].expect(marker)
        pressed = time.perf_counter()
        pair[sender].send("\r")
        latencies.append(await asyncio.wait_for(arrived, 60) - pressed)
        n += 1
        due += interval
        await asyncio.sleep(max(0.0, due - time.perf_counter()))


async def measure(workers: int | None, pairs: int, intervals: list[float], seconds: float,
                  history: int, keys: Path, client: str) -> list[Run]:
    """One server and one set of logged-in pairs, chatting at each interval in turn."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        await prepare(folder / "bench.db", pairs)
        await add_history(folder / "bench.db", history)
        server = ServerProcess(folder / "bench.db", keys, "--config", str(config_file(folder)),
                               *worker_flag(workers))
        await server.start()
        assert server.process is not None
        opened: list[tuple[TerminalClient, TerminalClient]] = []
        runs: list[Run] = []
        try:
            opened = await open_pairs(server.port, pairs)
            await asyncio.sleep(2)  # let the logins' rehashing and first paints settle
            watches = [(WATCHES[client](a), WATCHES[client](b)) for a, b in opened]
            for run_no, interval in enumerate(intervals):
                latencies: list[float] = []
                rng = random.Random(9)
                cpu_before, started = cpu_seconds(server.process.pid), time.perf_counter()
                own_before = own_cpu_seconds()
                await asyncio.gather(*(converse(pair, watch, i, run_no, interval,
                                                started + seconds, latencies, rng)
                                       for i, (pair, watch) in enumerate(zip(opened, watches,
                                                                             strict=True))))
                cpu = cpu_seconds(server.process.pid) - cpu_before
                own = own_cpu_seconds() - own_before
                elapsed = time.perf_counter() - started
                run = Run(workers, pairs, interval, elapsed, latencies, cpu, own)
                print(" | ".join(run.row()), flush=True)
                runs.append(run)
                await asyncio.sleep(2)  # the last deliveries' repaints, outside the next run
        finally:
            for pair in opened:
                for terminal in pair:
                    await terminal.close()
            await server.stop()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--interval", type=float, nargs="+", default=[5.0],
                        help="seconds between two messages of a pair (0: as fast as "
                             "delivered); several: one run each on the same sessions")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long they chat")
    parser.add_argument("--history", type=int, default=50, help="messages in each room before")
    add_client_option(parser)
    add_workers_option(parser)
    args = parser.parse_args()
    keys = host_keys()
    print_header(("workers", "pairs", "interval s", "messages", "msg/s", "p50 ms", "p95 ms",
                  "p99 ms", "max ms", "server CPU ms/msg", "server CPU %", "clients CPU %"))
    for workers in args.workers:
        asyncio.run(measure(workers, args.pairs, args.interval, args.seconds, args.history,
                            keys, args.client))


if __name__ == "__main__":
    main()
