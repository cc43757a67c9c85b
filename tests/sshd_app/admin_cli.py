"""The admin command tree driven two ways with one test body: over SSH exec and locally.

Test modules parametrise a fixture over TRANSPORTS and enter `staff_on` (or `staff_transport`
with a world of their own, or `staff_in_shared_world` for a module fixture); `db_snapshot`
proves that a refused command changed nothing.
"""

from __future__ import annotations

import contextlib
import getpass
import io
import shlex
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest
from argon2 import PasswordHasher

from sshd_app.cli import local_admin
from sshd_app.config import Settings
from store.accounts.passwords import PasswordVault
from store.accounts.roles import Role
from store.clock import FrozenClock
from store.database import Database
from store.services import Services
from tests.conftest import PASSWORD, RunningServer, serving, world_of_its_own

STAFF = "boss"


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class SshAdmin:
    """`ssh boss@HOST admin …` against the running test server, one exec channel per command.

    The channels share one logged-in connection: the server's per-address connection cap is
    not what these tests are about, and a handshake per command would only make them slow.
    """

    name = "ssh"
    actor = STAFF

    def __init__(self, world: RunningServer) -> None:
        self.world = world
        self._conn: asyncssh.SSHClientConnection | None = None

    async def run(self, *argv: str, stdin: str | None = None) -> Outcome:
        if self._conn is None:
            self._conn = await asyncssh.connect(
                "127.0.0.1", self.world.port, username=STAFF, password=PASSWORD,
                known_hosts=None, client_keys=[], agent_path=None)
        process = await self._conn.create_process(shlex.join(["admin", *argv]))
        # End of input is sent even for empty input, as `ssh … < /dev/null` would; a
        # command that finished without reading its input has closed the channel already.
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(stdin or "")
            process.stdin.write_eof()
        result = await process.wait()
        return Outcome(int(result.exit_status or 0), str(result.stdout), str(result.stderr))

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            await self._conn.wait_closed()


class LocalAdmin:
    """`wardroom admin --db PATH …` on the host, against the same database file and clock."""

    name = "local"
    actor = f"host:{getpass.getuser()}"

    def __init__(self, world: RunningServer) -> None:
        self.world = world

    async def run(self, *argv: str, stdin: str | None = None) -> Outcome:
        out, err = io.StringIO(), io.StringIO()
        vault = PasswordVault(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        saved_stdin = sys.stdin
        sys.stdin = io.StringIO(stdin or "")
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = await local_admin(self.world.settings, list(argv),
                                         clock=self.world.clock, vault=vault)
        finally:
            sys.stdin = saved_stdin
        return Outcome(code, out.getvalue(), err.getvalue())

    async def close(self) -> None:
        """Each command opened and closed the database itself."""


AdminTransport = SshAdmin | LocalAdmin


TRANSPORTS = ("ssh", "local")


@contextlib.asynccontextmanager
async def staff_on(name: str, request: pytest.FixtureRequest, settings: Settings,
                   services: Services, clock: FrozenClock) -> AsyncIterator[AdminTransport]:
    """The transport and a world for it. The local one needs no SSH server, and runs without
    one unless the test is marked `sessions` (it opens SSH sessions and watches them)."""
    ssh = name == "ssh" or request.node.get_closest_marker("sessions") is not None
    async with (serving(settings, services, clock, ssh=ssh) as world,
                staff_transport(name, world) as transport):
        yield transport


@contextlib.asynccontextmanager
async def staff_transport(name: str, world: RunningServer) -> AsyncIterator[AdminTransport]:
    """The staff account exists either way, so both transports see the same accounts."""
    await world.add_account(STAFF, Role.ADMIN)
    transport = SshAdmin(world) if name == "ssh" else LocalAdmin(world)
    try:
        yield transport
    finally:
        await transport.close()


async def db_snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table; logins are left out of the audit trail, since an SSH
    transport logs one in per command."""
    tables = [r["name"] for r in await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    snapshot = {}
    for table in tables:
        rows = await db.fetchall(f"SELECT * FROM {table} ORDER BY rowid")
        snapshot[table] = [tuple(r) for r in rows
                           if not (table == "audit" and r["action"] == "staff.login")]
    return snapshot


@contextlib.asynccontextmanager
async def staff_in_shared_world(name: str, directory: Path,
                                host_keys_dir: Path) -> AsyncIterator[AdminTransport]:
    """The transport in a world of its own, for a module's tests that each prove they change
    nothing (db_snapshot) or only read: one world per transport serves them all."""
    async with (world_of_its_own(directory, host_keys_dir, ssh=name == "ssh") as world,
                staff_transport(name, world) as transport):
        yield transport
