"""Pairs chatting at a steady rate: delivery latency and server CPU per message (run by hand).

    /work/venv/bin/python -m benchmarks.chat --pairs 100 --interval 5 --seconds 60 --workers 1 2

Starts `wardroom serve --workers N` as a child process on rooms that already hold `--history`
messages each (inserted with SQL; a room in use has a history, which decides how the
scrollbar and the screen update), opens both parties' rooms over real SSH (pty, screens read
with pyte), and lets every pair alternate messages, one every `interval`
seconds per pair at a random phase (`--interval 0`: the next one as soon as the last arrived,
i.e. as fast as the server delivers). A message is pasted into the box, Enter is pressed once
the sender sees it there, and its latency runs from that Enter until the text is on the other
party's screen (checked on every chunk the client receives). Server CPU (parent and workers,
from /proc) is divided by the messages delivered.
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
from tests.server_process import ServerProcess
from tests.sshclient import TerminalClient


class ScreenWatch:
    """Notes the moment a text first shows on a client's screen, checked on every chunk."""

    def __init__(self, client: TerminalClient) -> None:
        self._client = client
        self._feed = client.stream.feed
        self._waiting: dict[str, asyncio.Future[float]] = {}
        client.stream = self  # type: ignore[assignment]  # the client's reader feeds us now

    def feed(self, data: bytes) -> None:
        self._feed(data)
        if self._waiting:
            text = self._client.text()
            for needle in [n for n in self._waiting if n in text]:
                self._waiting.pop(needle).set_result(time.perf_counter())

    def expect(self, needle: str) -> asyncio.Future[float]:
        shown = asyncio.get_running_loop().create_future()
        if needle in self._client.text():
            shown.set_result(time.perf_counter())
        else:
            self._waiting[needle] = shown
        return shown


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

    def row(self) -> list[str]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> str:
            return f"{1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))]:.0f}"

        count = len(ordered)
        return [f"{self.workers or 'default'}", f"{self.pairs}", f"{self.interval:g}", f"{count}",
                f"{count / self.seconds:.1f}", f"{1000 * statistics.median(ordered):.0f}",
                pct(0.95), pct(0.99), f"{1000 * ordered[-1]:.0f}",
                f"{1000 * self.cpu / count:.1f}", f"{100 * self.cpu / self.seconds:.0f}"]


async def converse(pair: tuple[TerminalClient, TerminalClient], i: int, interval: float,
                   until: float, latencies: list[float], rng: random.Random) -> None:
    watches = [ScreenWatch(pair[0]), ScreenWatch(pair[1])]
    await asyncio.sleep(rng.uniform(0, interval))
    due = time.perf_counter()
    n = 0
    while time.perf_counter() < until:
        sender, receiver = n % 2, 1 - n % 2
        text = f"p{i:03d} m{n:04d} wie geht es heute"
        in_box = watches[sender].expect(text)
        pair[sender].send("\x1b[200~" + text + "\x1b[201~")
        await asyncio.wait_for(in_box, 60)
        arrived = watches[receiver].expect(text)
        pressed = time.perf_counter()
        pair[sender].send("\r")
        latencies.append(await asyncio.wait_for(arrived, 60) - pressed)
        n += 1
        due += interval
        await asyncio.sleep(max(0.0, due - time.perf_counter()))


async def measure(workers: int | None, pairs: int, interval: float, seconds: float,
                  history: int, keys: Path) -> Run:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        await prepare(folder / "bench.db", pairs)
        await add_history(folder / "bench.db", history)
        server = ServerProcess(folder / "bench.db", keys, "--config", str(config_file(folder)),
                               *worker_flag(workers))
        await server.start()
        assert server.process is not None
        opened: list[tuple[TerminalClient, TerminalClient]] = []
        try:
            opened = await open_pairs(server.port, pairs)
            await asyncio.sleep(2)  # let the logins' rehashing and first paints settle
            latencies: list[float] = []
            rng = random.Random(9)
            cpu_before, started = cpu_seconds(server.process.pid), time.perf_counter()
            await asyncio.gather(*(converse(pair, i, interval, started + seconds, latencies, rng)
                                   for i, pair in enumerate(opened)))
            cpu = cpu_seconds(server.process.pid) - cpu_before
            elapsed = time.perf_counter() - started
        finally:
            for pair in opened:
                for terminal in pair:
                    await terminal.close()
            await server.stop()
    return Run(workers, pairs, interval, elapsed, latencies, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--interval", type=float, default=5.0,
                        help="seconds between two messages of a pair (0: as fast as delivered)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long they chat")
    parser.add_argument("--history", type=int, default=50, help="messages in each room before")
    add_workers_option(parser)
    args = parser.parse_args()
    keys = host_keys()
    print_header(("workers", "pairs", "interval s", "messages", "msg/s", "p50 ms", "p95 ms",
                  "p99 ms", "max ms", "server CPU ms/msg", "server CPU %"))
    for workers in args.workers:
        run = asyncio.run(measure(workers, args.pairs, args.interval, args.seconds,
                                  args.history, keys))
        print(" | ".join(run.row()), flush=True)


if __name__ == "__main__":
    main()
