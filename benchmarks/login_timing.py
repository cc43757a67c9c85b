"""Login timing of known and unknown users: the dummy hash must make them indistinguishable.

    /work/venv/bin/python -m benchmarks.login_timing --rounds 30

Runs a real wardroom server in this process on a temporary database with argon2's default
(production) parameters, then times complete SSH logins (connect, key exchange, one password
attempt) for: an unknown name, a known name with a wrong password, a disabled account, and a
known name with the right password. The cases take turns so machine noise spreads evenly.
The login delays are switched off here: they would measure the throttle, not the hash.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

import asyncssh

from sshd_app.config import Settings
from sshd_app.login_throttle import LoginThrottle
from sshd_app.server import WardroomServer, install_library_patches
from store.accounts.roles import Role
from store.services import Services

PASSWORD = "benchmark-password"


class NoDelays(LoginThrottle):
    def delay(self, address: str, username: str) -> float:
        return 0.0


async def one_login(port: int, username: str, password: str) -> float:
    start = time.perf_counter()
    try:
        conn = await asyncssh.connect("127.0.0.1", port, username=username, password=password,
                                      known_hosts=None, client_keys=[], agent_path=None,
                                      preferred_auth="password")
        conn.close()
    except asyncssh.PermissionDenied:
        pass
    return time.perf_counter() - start


async def main(rounds: int) -> None:
    logging.getLogger("wardroom").setLevel(logging.ERROR)  # one failure line per attempt
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(listen="127.0.0.1:0", db=str(Path(folder) / "bench.db"),
                            host_keys=str(Path(folder) / "keys"), second_factor_required=False,
                            connection_rate_per_address=1000,
                            max_pending_logins_per_address=1000)
        services = await Services.open(settings.db)
        install_library_patches()  # as `serve` does: they are not installed by importing
        server = WardroomServer(settings, services)
        server.login_throttle = NoDelays()
        await services.accounts.create("known-user", Role.CLIENT, PASSWORD)
        disabled = await services.accounts.create("disabled-user", Role.CLIENT, PASSWORD)
        await services.db.execute("UPDATE account SET disabled = 1 WHERE id = ?",
                                  (disabled.id,))
        await server.start()
        cases = {
            "unknown user": ("no-such-user", PASSWORD),
            "known, wrong password": ("known-user", "wrong-password!"),
            "disabled account": ("disabled-user", PASSWORD),
            "known, right password": ("known-user", PASSWORD),
        }
        times: dict[str, list[float]] = {case: [] for case in cases}
        try:
            for name, password in cases.values():  # warm-up, not counted
                await one_login(server.port, name, password)
            for _ in range(rounds):
                for case, (name, password) in cases.items():
                    times[case].append(await one_login(server.port, name, password))
            # The same cases through the account service alone: the hash without SSH's noise.
            checks: dict[str, list[float]] = {case: [] for case in cases}
            for _ in range(rounds):
                for case, (name, password) in cases.items():
                    start = time.perf_counter()
                    await services.accounts.check_password(name, password)
                    checks[case].append(time.perf_counter() - start)
        finally:
            await server.stop()
            await services.close()
    report(f"complete SSH logins, {rounds} each, argon2 defaults", times)
    report(f"Accounts.check_password alone, {rounds} each", checks)


def report(title: str, times: dict[str, list[float]]) -> None:
    print(f"{title}; median (p10-p90) in ms:")
    for case, values in times.items():
        deciles = statistics.quantiles(values, n=10)
        print(f"  {case:24} {statistics.median(values) * 1000:7.1f}   "
              f"({deciles[0] * 1000:.1f}-{deciles[-1] * 1000:.1f})")
    unknown = statistics.median(times["unknown user"])
    known = statistics.median(times["known, wrong password"])
    print(f"  unknown vs known (wrong password): {(unknown - known) * 1000:+.1f} ms "
          f"({(unknown / known - 1) * 100:+.1f} %)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args().rounds))
