"""One login at a time, phase by phase: where the wait before the first screen goes (by hand).

    /work/venv/bin/python -m benchmarks.login_phases --logins 30

Starts `wardroom serve` (one worker) as a child process on a temporary database where a client
has one active booking, so a login lands straight in the room, and logs that client in again
and again, one login at a time. Each login is timed in three phases, on the client's side:
the SSH connection with the password (key exchange and the server's argon2id verify, with the
default parameters SPEC requires), from opening the session to its first byte, and from
opening the session until the room is on the pyte screen (the app's start, the home, the
room with its history, and their first paint). The first two logins are not counted: they
warm the server's caches.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import asyncssh
import pyte

from benchmarks.chat_load import PASSWORD, add_history, prepare
from benchmarks.server_under_test import config_file, host_keys, print_header
from tests.server_process import ServerProcess

WARM_UP = 2
PHASES = ("SSH connection and password", "session start to first byte",
          "session start to room shown")


async def one_login(port: int) -> tuple[float, float, float]:
    started = time.perf_counter()
    conn = await asyncssh.connect("127.0.0.1", port, username="client00", password=PASSWORD,
                                  known_hosts=None, preferred_auth="password")
    try:
        connected = time.perf_counter()
        process = await conn.create_process(term_type="xterm-256color", term_size=(80, 24),
                                            encoding=None)
        screen = pyte.Screen(80, 24)
        stream = pyte.ByteStream(screen)
        first_byte: float | None = None
        while "Stationszimmer mit coach00" not in "\n".join(screen.display):
            data = await asyncio.wait_for(process.stdout.read(65536), 30)
            if not data:
                raise RuntimeError("the session ended before the room showed")
            if first_byte is None:
                first_byte = time.perf_counter()
            stream.feed(data)
        shown = time.perf_counter()
    finally:
        conn.close()
        await conn.wait_closed()
    assert first_byte is not None
    return connected - started, first_byte - connected, shown - connected


async def run(logins: int, history: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        await prepare(folder / "bench.db", 1)
        await add_history(folder / "bench.db", history)
        server = ServerProcess(folder / "bench.db", host_keys(), "--config",
                               str(config_file(folder)), "--workers", "1")
        await server.start()
        try:
            timings = []
            for _ in range(WARM_UP + logins):
                timings.append(await one_login(server.port))
                await asyncio.sleep(0.3)  # the session's end is not what is measured
        finally:
            await server.stop()
    counted = timings[WARM_UP:]
    print(f"{logins} logins one at a time, room of {history} messages, 80x24")
    print_header(("phase", "p50 ms", "min ms", "max ms"))
    for i, phase in enumerate(PHASES):
        values = [1000 * timing[i] for timing in counted]
        print(f"{phase} | {statistics.median(values):.0f} | {min(values):.0f} | "
              f"{max(values):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=30)
    parser.add_argument("--history", type=int, default=50, help="messages in the room")
    args = parser.parse_args()
    asyncio.run(run(args.logins, args.history))


if __name__ == "__main__":
    main()
