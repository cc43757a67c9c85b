"""`wardroom serve --demo`: seeds a living ward room on a new database, refuses real ones."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sshd_app.demo import DEMO_NAMES, DEMO_PASSWORD, DemoRefused, prepare_demo
from store.accounts.roles import Role
from store.clock import SystemClock
from store.database_lock import lock_path
from store.services import Services
from tests.accounts import account_named
from tests.conftest import PASSWORD
from tests.sealed import keys_of
from tests.server_process import ServerProcess
from tests.sshclient import connect


async def test_seeds_once_and_leaves_a_seeded_demo_alone(services):
    await prepare_demo(services)
    await prepare_demo(services)
    assert {a.username for a in await services.accounts.list()} == DEMO_NAMES
    klientin = await account_named(services.accounts, "demo-klientin")
    (booking,) = await services.bookings.for_actor(klientin)
    assert services.rooms.writable(klientin, booking)
    keys = await keys_of(services, klientin, DEMO_PASSWORD)
    assert len(await services.rooms.history(klientin, booking.id, keys)) == 4
    admin = await account_named(services.accounts, "demo-admin")
    assert [r.client_username for r in await services.requests.open_requests(admin)] == [
        "demo-neu"]
    assert await services.accounts.check_password("demo-beraterin", DEMO_PASSWORD)


async def test_refuses_a_database_with_real_accounts(services):
    await services.accounts.create("klara", Role.CLIENT, PASSWORD)
    with pytest.raises(DemoRefused):
        await prepare_demo(services)
    assert [a.username for a in await services.accounts.list()] == ["klara"]


async def test_serve_demo_refuses_with_exit_1(tmp_path: Path, host_keys_dir, fast_vault):
    db = tmp_path / "real.db"
    real = await Services.open(db, clock=SystemClock(), vault=fast_vault)
    await real.accounts.create("klara", Role.CLIENT, PASSWORD)
    await real.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDROOM_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sshd_app.cli", "serve", "--demo", "--listen", "127.0.0.1:0",
        "--db", str(db), "--host-keys", str(host_keys_dir), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert b"--demo refused" in err and b"demo-passwort" not in out


async def test_serve_demo_shows_a_living_ward_room(tmp_path: Path, host_keys_dir):
    server = ServerProcess(tmp_path / "demo.db", host_keys_dir, "--demo")
    await server.start()
    try:
        for _ in range(200):
            if b"demo-klientin@" in server.log:
                break
            await asyncio.sleep(0.05)
        # The logins show once the port is open, so the first `ssh` typed is never refused.
        assert server.log.index(b"listening on") < server.log.index(b"demo-klientin@")
        assert f"ssh -p {server.port} demo-klientin@127.0.0.1".encode() in server.log
        assert DEMO_PASSWORD.encode() in server.log and "…".encode() not in server.log
        assert b"DSA" not in server.log  # the crypto stack's deprecation warnings stay off
        client = await connect(server.port, "demo-klientin", DEMO_PASSWORD)
        try:
            screen = await client.wait_for("jeden Tag ein Stockwerk mehr", timeout=30)
            assert "Stationszimmer mit demo-beraterin" in screen
        finally:
            await client.close()
    finally:
        await server.stop()


async def test_serve_demo_lets_the_demo_counsellor_in_without_a_second_factor(
        tmp_path: Path, host_keys_dir):
    server = ServerProcess(tmp_path / "demo.db", host_keys_dir, "--demo")
    await server.start()
    try:
        client = await connect(server.port, "demo-beraterin", DEMO_PASSWORD)
        try:
            await client.wait_for("demo-klientin", timeout=30)  # the dashboard, no enrolment
        finally:
            await client.close()
    finally:
        await server.stop()


def test_the_files_a_server_leaves_beside_its_database_are_ignored_by_git():
    # `serve --db wardroom.db` in a checkout leaves the database, its WAL files and its lock.
    root = Path(__file__).parents[2]
    beside = ["wardroom.db", "wardroom.db-wal", "wardroom.db-shm",
              lock_path(Path("wardroom.db")).name]
    checked = subprocess.run(["git", "check-ignore", "--no-index", *beside], cwd=root,
                             capture_output=True, text=True, check=False)
    assert checked.stdout.split() == beside
