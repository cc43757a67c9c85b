"""`wardroom serve --workers 2` as a real process: sessions in different workers meet.

Which worker holds a connection is read from /proc (the worker process that owns the server end
of the TCP connection), so the product exposes nothing extra for the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from sshd_app.registration_limit import MAX_REGISTRATIONS_PER_HOUR
from store.accounts.passwords import PasswordVault
from store.accounts.roles import Role
from store.clock import SystemClock
from store.services import Services
from tests.conftest import PASSWORD
from tests.e2e.test_registration import NOTICE, fill_form
from tests.sealed import codes_noted, past_the_recovery_code
from tests.server_process import ServerProcess, process_tree
from tests.sshclient import TerminalClient, connect

ROOM_OF_CLIENT = "Stationszimmer mit bernd"
ROOM_OF_COUNSELLOR = "Stationszimmer mit klara"
# Counsellors and staff log in with a password alone here; all logins come from 127.0.0.1.
CONFIG = ("second_factor_required = false\nconnection_rate_per_address = 1000\n"
          "max_pending_logins_per_address = 1000\n")


def worker_of(server: ServerProcess, conn: asyncssh.SSHClientConnection) -> int:
    """The pid of the worker holding this connection (IPv4 loopback)."""
    client_port = conn.get_extra_info("sockname")[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        columns = line.split()
        local, remote = columns[1], columns[2]
        if (int(local.split(":")[1], 16) == server.port
                and int(remote.split(":")[1], 16) == client_port):
            inode = columns[9]
    assert inode is not None, "connection not found in /proc/net/tcp"
    assert server.process is not None
    for pid in process_tree(server.process.pid)[1:]:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except FileNotFoundError:
                continue
    raise AssertionError("no worker holds the connection")


def alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def workers(server: ServerProcess) -> list[int]:
    assert server.process is not None
    found = []
    for pid in process_tree(server.process.pid)[1:]:
        with contextlib.suppress(FileNotFoundError):  # it may end as we look
            if b"sshd_app.worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    return found


@pytest.fixture
async def two_workers(tmp_path: Path, host_keys_dir: Path,
                      fast_vault: PasswordVault) -> AsyncIterator[ServerProcess]:
    server = await serve(tmp_path, host_keys_dir, fast_vault, workers=2)
    assert len(workers(server)) == 2
    yield server
    await server.stop()


async def serve(tmp_path: Path, host_keys_dir: Path, fast_vault: PasswordVault,
                workers: int) -> ServerProcess:
    """`wardroom serve --workers N` with klara's booking with bernd."""
    db = tmp_path / "w.db"
    config = await klara_and_bernd(db, tmp_path, fast_vault)
    server = ServerProcess(db, host_keys_dir, "--config", str(config), "--workers", str(workers))
    await server.start()
    return server


async def klara_and_bernd(db: Path | str, folder: Path, fast_vault: PasswordVault) -> Path:
    """klara's booking with bernd, and staff `office`, in the database `db`; the server
    configuration for them, written in `folder`."""
    services = await Services.open(db, clock=SystemClock(), vault=fast_vault)
    office = await services.accounts.create("office", Role.ADMIN, PASSWORD)
    current = await services.policy.current()
    for name, role in (("klara", Role.CLIENT), ("bernd", Role.COUNSELLOR)):
        await services.policy.accept(await services.accounts.create(name, role, PASSWORD),
                                     current)
    await services.bookings.create(office, "klara", "bernd", weeks=2)
    await codes_noted(services)
    await services.close()
    config = folder / "w.toml"
    config.write_text(CONFIG)
    return config


async def in_other_worker(server: ServerProcess, than: int, username: str) -> TerminalClient:
    """Log `username` in until the kernel hands the connection to a worker other than `than`."""
    for _ in range(50):
        terminal = await connect(server.port, username, PASSWORD)
        # Closed only once its first screen shows: a session cut off while it starts is
        # another test's subject.
        await terminal.wait_for("wardroom")
        if worker_of(server, terminal.conn) != than:
            return terminal
        await terminal.close()
    raise AssertionError("every connection went to the same worker")


async def staff_in_other_worker(server: ServerProcess,
                                than: int) -> asyncssh.SSHClientConnection:
    """A staff connection for admin commands, held by a worker other than `than`."""
    for _ in range(50):
        conn = await asyncssh.connect("127.0.0.1", server.port, username="office",
                                      password=PASSWORD, known_hosts=None, client_keys=[],
                                      agent_path=None)
        if worker_of(server, conn) != than:
            return conn
        conn.close()
        await conn.wait_closed()
    raise AssertionError("every connection went to the same worker")


async def client_and_counsellor(server: ServerProcess) -> tuple[TerminalClient, TerminalClient]:
    """Both parties in their room, each held by a different worker."""
    client = await klara_in_her_room(server.port)
    counsellor = await in_other_worker(server, worker_of(server, client.conn), "bernd")
    await into_the_room_with_klara(counsellor)
    return client, counsellor


async def klara_in_her_room(port: int) -> TerminalClient:
    client = await connect(port, "klara", PASSWORD)
    await client.wait_for(ROOM_OF_CLIENT)
    return client


async def into_the_room_with_klara(counsellor: TerminalClient) -> None:
    """bernd, logged in, opens the room from his dashboard."""
    await counsellor.wait_for("klara")
    counsellor.send("\r")
    await counsellor.wait_for(ROOM_OF_COUNSELLOR)


async def test_a_message_crosses_workers_both_ways(two_workers):
    client, counsellor = await client_and_counsellor(two_workers)
    try:
        await client.wait_for("ist jetzt im Zimmer")  # presence crossed too
        client.send("Guten Morgen aus Arbeiter eins")
        client.send("\r")
        await counsellor.wait_for("Guten Morgen aus Arbeiter eins")
        counsellor.send("Antwort aus dem anderen Arbeiter")
        counsellor.send("\r")
        await client.wait_for("Antwort aus dem anderen Arbeiter")
        await counsellor.close()
        await client.wait_for("ist gerade nicht im Zimmer")
    finally:
        await client.close()
        await counsellor.close()


@pytest.mark.parametrize("count", [1, 2])
async def test_the_dashboard_counts_live_and_the_room_chats_with_any_workers(
        count, tmp_path, host_keys_dir, fast_vault):
    # With one worker both sessions share a process (the hub calls the dashboard inside the
    # client's send); with two they may or may not.
    server = await serve(tmp_path, host_keys_dir, fast_vault, workers=count)
    counsellor = await connect(server.port, "bernd", PASSWORD)
    client = await connect(server.port, "klara", PASSWORD)
    try:
        await counsellor.wait_for("klara")
        await client.wait_for(ROOM_OF_CLIENT)
        mark = len(counsellor.raw)
        client.send("Heute war ein schwerer Tag")
        client.send("\r")
        # The bell rings as the count changes; the row is repainted just after it.
        for _ in range(200):
            klara_row = next(line for line in counsellor.text().splitlines() if "klara" in line)
            if b"\x07" in counsellor.raw[mark:] and klara_row.rstrip().endswith("1"):
                break
            await asyncio.sleep(0.05)
        assert klara_row.rstrip().endswith("1"), counsellor.text()
        assert b"\x07" in counsellor.raw[mark:]
        counsellor.send("\r")
        await counsellor.wait_for("Heute war ein schwerer Tag")
        counsellor.send("Danke, dass Sie schreiben")
        counsellor.send("\r")
        await client.wait_for("Danke, dass Sie schreiben")
    finally:
        await client.close()
        await counsellor.close()
        await server.stop()


async def test_booking_end_in_one_worker_removes_the_counsellor_from_another(two_workers):
    client, counsellor = await client_and_counsellor(two_workers)
    try:
        async with await staff_in_other_worker(
                two_workers, than=worker_of(two_workers, counsellor.conn)) as staff:
            result = await staff.run("admin booking end 1", check=False)
        assert result.exit_status == 0, result.stderr
        screen = await counsellor.wait_for("keinen Zugriff mehr")
        assert ROOM_OF_COUNSELLOR not in screen
        await client.wait_for("nur noch lesbar")
    finally:
        await client.close()
        await counsellor.close()


async def test_disabling_an_account_in_one_worker_ends_its_session_in_another(two_workers):
    client = await connect(two_workers.port, "klara", PASSWORD)
    await client.wait_for(ROOM_OF_CLIENT)
    try:
        async with await staff_in_other_worker(
                two_workers, than=worker_of(two_workers, client.conn)) as staff:
            result = await staff.run("admin user disable klara", check=False)
        assert result.exit_status == 0, result.stderr
        await client.wait_closed()
        assert "gesperrt" in bytes(client.raw).decode("utf-8", "replace")
    finally:
        await client.close()


async def test_sigterm_stops_every_worker_and_tells_their_users(two_workers):
    client, counsellor = await client_and_counsellor(two_workers)
    pids = workers(two_workers)
    two_workers.signal(signal.SIGTERM)
    assert await two_workers.wait() == 0
    for terminal in (client, counsellor):
        await terminal.wait_closed()
        assert "gewartet" in bytes(terminal.raw).decode("utf-8", "replace")
        await terminal.close()
    assert not alive(pids)
    assert b"Traceback" not in two_workers.log, two_workers.log.decode(errors="replace")


async def test_workers_stop_when_the_parent_is_killed(two_workers):
    pids = workers(two_workers)
    two_workers.signal(signal.SIGKILL)
    await two_workers.wait()
    for _ in range(200):
        if not alive(pids):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("workers outlived their parent")


async def test_a_worker_that_dies_is_replaced(two_workers):
    victim = workers(two_workers)[0]
    os.kill(victim, signal.SIGKILL)
    for _ in range(400):
        now = workers(two_workers)
        if len(now) == 2 and victim not in now and two_workers.log.count(b"serving on") == 3:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"no new worker:\n{two_workers.log.decode(errors='replace')}")
    client, counsellor = await client_and_counsellor(two_workers)
    try:
        client.send("nach dem Neustart\r")
        await counsellor.wait_for("nach dem Neustart")
    finally:
        await client.close()
        await counsellor.close()


async def test_a_killed_workers_counsellor_leaves_the_room_for_the_client(two_workers):
    client, counsellor = await client_and_counsellor(two_workers)
    try:
        await client.wait_for("ist jetzt im Zimmer")
        os.kill(worker_of(two_workers, counsellor.conn), signal.SIGKILL)
        await client.wait_for("ist gerade nicht im Zimmer")
    finally:
        await client.close()
        await counsellor.close()


async def test_registrations_from_one_address_are_counted_across_workers(two_workers):
    """Three registrations an hour per address, however the kernel spreads the connections:
    the fourth is refused even in the worker that saw the fewest of the three."""
    claims: dict[int, int] = {pid: 0 for pid in workers(two_workers)}
    for n in range(MAX_REGISTRATIONS_PER_HOUR):
        visitor = await connect(two_workers.port, "register", "")
        try:
            claims[worker_of(two_workers, visitor.conn)] += 1
            await fill_form(visitor, f"neu{n}")
            await visitor.wait_for(NOTICE)
            visitor.send("a")
            await past_the_recovery_code(visitor)
            await visitor.wait_for("Sie haben noch keine Beratung")
        finally:
            await visitor.close()
    fewest = min(claims, key=claims.__getitem__)
    for _ in range(50):
        visitor = await connect(two_workers.port, "register", "")
        if worker_of(two_workers, visitor.conn) == fewest:
            break
        await visitor.close()
    else:
        raise AssertionError("every connection went to the same worker")
    try:
        await fill_form(visitor, "vierte")
        await visitor.wait_for(NOTICE)
        visitor.send("a")
        await visitor.wait_for("in der letzten Stunde")
    finally:
        await visitor.close()


async def test_wardroom_admin_on_the_host_reaches_a_session_in_a_worker(two_workers):
    client, counsellor = await client_and_counsellor(two_workers)
    try:
        command = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sshd_app.cli", "admin", "--db", str(two_workers.db),
            "booking", "end", "1", stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, err = await command.communicate()
        assert (command.returncode, err) == (0, b""), out
        await counsellor.wait_for("keinen Zugriff mehr")
        await client.wait_for("nur noch lesbar")
    finally:
        await client.close()
        await counsellor.close()
