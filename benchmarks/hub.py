"""Cross-process delivery for `serve --workers N`: the Unix-socket relay against SQLite polling.

    /work/venv/bin/python -m benchmarks.hub --events 2000 --rate 200

Two child processes stand in for two workers. One publishes `--events` MessagePosted events
(500 characters of text each) at `--rate` per second, then a burst of as many as fast as it
can; the other receives them and notes each one's latency (CLOCK_MONOTONIC is shared by all
processes). Through the relay (store.hub.relay, as the server uses it) and through a
notification table in SQLite (WAL, one INSERT and COMMIT per event, the receiver polling every
`--poll` ms), the way a database-based hub would work. Also the CPU an idle receiver spends
in 5 s: what every worker would pay around the clock.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from store.hub.hub import MessagePosted, room_topic
from store.hub.relay import LinkedHub, RelayHub
from store.hub.wire import event_frame, frame_event, read_frame
from store.rooms.rooms import Message

SENT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
TOPIC = room_topic(1)
IDLE_SECONDS = 5.0


def now_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def event(stamp: int) -> MessagePosted:
    return MessagePosted(1, Message(stamp, 1, "client", "klara", SENT, "x" * 500))


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(latencies: list[int], burst_seconds: float, burst: int, idle_cpu: float) -> str:
    ordered = sorted(latencies)
    return (f"{statistics.median(ordered) / 1e6:.2f} | "
            f"{ordered[int(0.95 * len(ordered))] / 1e6:.2f} | "
            f"{ordered[int(0.99 * len(ordered))] / 1e6:.2f} | {burst / burst_seconds:.0f} | "
            f"{100 * idle_cpu / IDLE_SECONDS:.2f}")


# -- through the relay ------------------------------------------------------------------------
async def relay_sender(path: str, events: int, rate: float) -> None:
    hub = await LinkedHub.connect(Path(path))
    hub.ready(1)
    await asyncio.sleep(IDLE_SECONDS + 0.5)  # the receiver measures its idle CPU first
    for _ in range(events):
        hub.publish(TOPIC, event(now_ns()))
        await asyncio.sleep(1 / rate)
    for _ in range(events):
        hub.publish(TOPIC, event(0))  # the burst: only the count matters
    await asyncio.sleep(1)
    await hub.close()


async def relay_receiver(path: str, events: int) -> None:
    hub = await LinkedHub.connect(Path(path))
    latencies: list[int] = []
    burst_started = 0.0
    done = asyncio.Event()

    def take(posted: MessagePosted) -> None:
        nonlocal burst_started
        if posted.message.id:
            latencies.append(now_ns() - posted.message.id)
        else:
            burst_started = burst_started or time.perf_counter()
            latencies.append(0)
            if len(latencies) == 2 * events:
                done.set()

    hub.subscribe(TOPIC, take)
    hub.ready(2)
    before = cpu()
    await asyncio.sleep(IDLE_SECONDS)
    idle = cpu() - before
    await done.wait()
    burst = time.perf_counter() - burst_started
    print(report(latencies[:events], burst, events, idle), flush=True)
    await hub.close()


async def relay_parent(events: int, rate: float) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "hub.sock")
        relay = RelayHub()
        await relay.listen(Path(path))
        receiver = await child("relay-receiver", path, events, rate)
        await relay.ready(2)
        sender = await child("relay-sender", path, events, rate)
        out, _ = await receiver.communicate()
        await sender.wait()
        await relay.close()
    return out.decode().strip()


# -- through SQLite ---------------------------------------------------------------------------
def open_table(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS notice (id INTEGER PRIMARY KEY, frame BLOB)")
    return conn


async def sqlite_sender(path: str, events: int, rate: float) -> None:
    conn = open_table(path)
    await asyncio.sleep(IDLE_SECONDS + 0.5)
    for _ in range(events):
        conn.execute("INSERT INTO notice (frame) VALUES (?)",
                     (event_frame(TOPIC, event(now_ns())),))
        await asyncio.sleep(1 / rate)
    conn.execute("BEGIN")
    for _ in range(events):
        conn.execute("INSERT INTO notice (frame) VALUES (?)", (event_frame(TOPIC, event(0)),))
    conn.execute("COMMIT")
    conn.close()


async def sqlite_receiver(path: str, events: int, poll: float) -> None:
    conn = open_table(path)
    latencies: list[int] = []
    seen, burst_started = 0, 0.0
    before = cpu()
    idle_until = time.perf_counter() + IDLE_SECONDS
    idle = None
    while len(latencies) < 2 * events:
        if idle is None and time.perf_counter() >= idle_until:
            idle = cpu() - before
        for row_id, data in conn.execute("SELECT id, frame FROM notice WHERE id > ?", (seen,)):
            seen = row_id
            reader = asyncio.StreamReader()
            reader.feed_data(data)
            reader.feed_eof()
            payload = await read_frame(reader)
            assert payload is not None
            stamp = frame_event(payload).message.id
            if stamp:
                latencies.append(now_ns() - stamp)
            else:
                burst_started = burst_started or time.perf_counter()
                latencies.append(0)
        await asyncio.sleep(poll)
    burst = time.perf_counter() - burst_started
    print(report(latencies[:events], burst, events, idle or 0.0), flush=True)
    conn.close()


async def sqlite_parent(events: int, rate: float, poll: float) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "notice.db")
        open_table(path).close()
        receiver = await child("sqlite-receiver", path, events, poll)
        sender = await child("sqlite-sender", path, events, rate)
        out, _ = await receiver.communicate()
        await sender.wait()
    return out.decode().strip()


async def child(role: str, path: str, events: int, number: float) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.hub", "--child", role, path, str(events), str(number),
        stdout=asyncio.subprocess.PIPE)


def run_child(role: str, path: str, events: int, number: float) -> None:
    runs = {"relay-sender": lambda: relay_sender(path, events, number),
            "relay-receiver": lambda: relay_receiver(path, events),
            "sqlite-sender": lambda: sqlite_sender(path, events, number),
            "sqlite-receiver": lambda: sqlite_receiver(path, events, number)}
    asyncio.run(runs[role]())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0, help="events per second")
    parser.add_argument("--poll", type=float, nargs="+", default=[10.0, 50.0],
                        help="SQLite poll intervals in ms")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        role, path, events, number = args.child
        run_child(role, path, int(events), float(number))
        return
    header = ("hub", "latency p50 ms", "p95 ms", "p99 ms", "burst events/s",
              "idle receiver CPU %")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    print("Unix-socket relay | " + asyncio.run(relay_parent(args.events, args.rate)), flush=True)
    for poll in args.poll:
        line = asyncio.run(sqlite_parent(args.events, args.rate, poll / 1000))
        print(f"SQLite, polled every {poll:g} ms | {line}", flush=True)


if __name__ == "__main__":
    main()
