"""How fast the surviving node takes over when another dies (run by hand).

    TEST_POSTGRESQL_URL=postgresql://… .venv/bin/python -m benchmarks.failover --rounds 3

Per round: two `wardroom serve --workers 1` nodes on a new database; a client in her room on
node A, her counsellor in his on node B; A gets SIGKILL. Measured from the kill:
- "presence": until B's counsellor sees the client gone (B drops the dead node's sessions once
  PostgreSQL has ended A's connection: store.hub.node_bus.REAP_SECONDS);
- "once-only work": until B logs that it runs retention, the booking timer and backups (the
  lease's retry interval, store.once_only.RETRY_SECONDS);
- "reconnect": until the client, logging in again through B, has her room on screen.
A SIGKILL lets the kernel close A's sockets at once; a node that vanishes (power, network)
adds PostgreSQL's keepalive detection, about 25 s, to the first two.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from benchmarks.chat_load import PASSWORD, open_pair, prepare
from benchmarks.server_under_test import config_file, host_keys, print_header
from tests.postgres import throwaway_database
from tests.server_process import ServerProcess
from tests.sshclient import connect

LEASE_TAKEN = b"this node runs the once-only work"


async def _until(check, timeout: float = 120.0) -> float:
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > timeout:
            raise TimeoutError
        await asyncio.sleep(0.02)
    return time.perf_counter()


async def one_round(keys: Path) -> tuple[float, float, float]:
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        async with throwaway_database() as url:
            await prepare(url, 1)
            config = str(config_file(folder))
            a = ServerProcess(url, keys, "--config", config, "--workers", "1")
            await a.start()
            await _until(lambda: LEASE_TAKEN in a.log)
            b = ServerProcess(url, keys, "--config", config, "--workers", "1")
            await b.start()
            client, coach = await open_pair(a.port, 0, coach_port=b.port)
            try:
                await coach.wait_for("ist jetzt im Zimmer")
                killed = time.perf_counter()
                a.signal(signal.SIGKILL)
                gone = _until(lambda: "ist gerade nicht im Zimmer" in coach.text())
                taken = _until(lambda: LEASE_TAKEN in b.log)
                presence, lease = await asyncio.gather(gone, taken)
                await client.close()
                again = time.perf_counter()
                client = await connect(b.port, "client00", PASSWORD)
                await client.wait_for("Stationszimmer mit coach00", timeout=60)
                back = time.perf_counter()
            finally:
                await client.close()
                await coach.close()
                await a.stop()
                await b.stop()
    return presence - killed, lease - killed, back - again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    keys = host_keys()
    results = [asyncio.run(one_round(keys)) for _ in range(args.rounds)]
    print_header(("after SIGKILL of node A, until", "min s", "median s", "max s"))
    for name, values in zip(("presence dropped on B", "once-only work on B",
                             "client back in her room via B"), zip(*results, strict=True),
                            strict=True):
        print(f"{name} | {min(values):.2f} | {statistics.median(values):.2f} | "
              f"{max(values):.2f}")


if __name__ == "__main__":
    main()
