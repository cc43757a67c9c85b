"""What one connection may hold: one interactive session; a `register` visitor one session at
all, counted as a pending login until its account exists, ended when idle; and memory given
back when such connections close."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref
from datetime import timedelta
from pathlib import Path

import asyncssh
import pytest

from sshd_app.config import Settings
from sshd_app.connection_gate import REFUSAL
from sshd_app.idle_watch import VISITOR_IDLE
from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.sshclient import TerminalClient, connect
from tui.app import WardroomApp

FORM = "Registrierung"
PENDING_CAP = 4
EXTRA_FORMS = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.max_pending_logins_per_address = PENDING_CAP
    return settings


async def _open(conn: asyncssh.SSHClientConnection, command: str | None = None):
    return await conn.create_process(command, term_type="xterm", term_size=(80, 24),
                                     encoding=None)


async def _until(condition, what: str) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def test_one_interactive_session_per_connection(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    async with asyncssh.connect("127.0.0.1", wardroom.port, username="anna", password=PASSWORD,
                                known_hosts=None, client_keys=[], agent_path=None) as conn:
        first = await _open(conn)
        await _until(lambda: len(wardroom.server.sessions) == 1, "the first TUI runs")
        with pytest.raises(asyncssh.ChannelOpenError):
            await _open(conn)
        # A command beside it is no second interactive session.
        export = await conn.run("export", check=False)
        assert export.exit_status == 0
        first.close()
        await _until(lambda: not wardroom.server.sessions, "the first TUI ended")
        again = await _open(conn)  # one at a time: once closed, another may start
        await _until(lambda: len(wardroom.server.sessions) == 1, "the next TUI runs")
        again.close()
    assert len(wardroom.server.sessions) <= 1


async def test_a_visitor_gets_one_session_at_all(wardroom):
    """Regression (audit): one register@ connection opened 40 terminal sessions."""
    async with asyncssh.connect("127.0.0.1", wardroom.port, username="register", password="",
                                known_hosts=None, client_keys=[], agent_path=None) as conn:
        await _open(conn)
        await _until(lambda: len(wardroom.server.sessions) == 1, "the form runs")
        for command in (None, "export"):
            with pytest.raises(asyncssh.ChannelOpenError):
                await _open(conn, command)
        assert len(wardroom.server.sessions) == 1


async def _banner(port: int) -> tuple[asyncio.StreamWriter, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return writer, await asyncio.wait_for(reader.readline(), 10)


async def _visitor(port: int) -> TerminalClient:
    visitor = await connect(port, "register", "")
    await visitor.wait_for(FORM)
    return visitor


async def test_visitors_count_as_pending_logins_until_they_have_an_account(wardroom):
    visitors = [await _visitor(wardroom.port) for _ in range(PENDING_CAP)]
    writer = None
    try:
        assert wardroom.server.gate.pending("127.0.0.1") == PENDING_CAP
        writer, banner = await _banner(wardroom.port)
        assert banner == REFUSAL  # a further connection from this address waits its turn
        writer.close()
        first = visitors[0]
        for value in ("neu.klientin", "ein-gutes-passwort", "ein-gutes-passwort", ""):
            await first.type(value + "\r")
            await asyncio.sleep(0.25)  # Enter moves the focus on; a person never types faster
        await first.wait_for("Datenschutzhinweise lesen und annehmen")
        first.send("a")
        await first.wait_for("Ihr Wiederherstellungscode")  # the account exists now
        await _until(lambda: wardroom.server.gate.pending("127.0.0.1") == PENDING_CAP - 1,
                     "the new client no longer counts as pending")
        writer, banner = await _banner(wardroom.port)
        assert banner.startswith(b"SSH-2.0-")
    finally:
        if writer is not None:
            writer.close()
        for visitor in visitors:
            await visitor.close()


async def test_an_idle_visitor_is_ended_soon(wardroom):
    visitor = await _visitor(wardroom.port)
    async with asyncssh.connect("127.0.0.1", wardroom.port, username="register", password="",
                                known_hosts=None, client_keys=[], agent_path=None) as bare:
        try:
            wardroom.clock.advance(VISITOR_IDLE - timedelta(seconds=10))
            wardroom.server.idle_watch.sweep()
            await asyncio.sleep(0.3)
            assert not visitor.closed.is_set() and not bare.is_closed()
            wardroom.clock.advance(timedelta(seconds=20))
            wardroom.server.idle_watch.sweep()
            await visitor.wait_closed()  # the form without input
            await asyncio.wait_for(bare.wait_closed(), 10)  # the connection without a session
        finally:
            await visitor.close()
    assert VISITOR_IDLE <= timedelta(minutes=5) < timedelta(minutes=wardroom.settings
                                                             .idle_lock_minutes)


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def _visitors_come_and_go(wardroom, count: int) -> list[weakref.ref[WardroomApp]]:
    """`count` visitors at once, each trying for more forms than one, as the audit did."""
    apps: list[weakref.ref[WardroomApp]] = []
    visitors = [await _visitor(wardroom.port) for _ in range(count)]
    for visitor in visitors:
        for _ in range(EXTRA_FORMS):
            with contextlib.suppress(asyncssh.ChannelOpenError):
                await _open(visitor.conn)
    await asyncio.sleep(0.5)  # time for any form that was let in to start
    apps += [weakref.ref(session.app) for session in wardroom.server.sessions if session.app]
    for visitor in visitors:
        await visitor.close()
    await _until(lambda: not wardroom.server.sessions and not wardroom.server.connections,
                 "every visitor's session and connection gone")
    return apps


async def _freed(apps: list[weakref.ref[WardroomApp]]) -> None:
    """Until every app is collected (a closing session's task is cancelled 2 s after its
    client left, at the latest)."""
    def collected() -> bool:
        gc.collect()
        return all(ref() is None for ref in apps)

    await _until(collected, f"{len(apps)} apps freed")


async def test_memory_is_given_back_when_visitors_leave(wardroom):
    """Twenty visitors open the form and leave: the apps are freed and RSS holds (a generous
    bound, well under what twenty sessions kept alive would take)."""
    await _freed(await _visitors_come_and_go(wardroom, PENDING_CAP))  # first use: CSS, imports
    before = _rss_kib()
    apps = []
    for _ in range(20 // PENDING_CAP):  # as many at once as the address may have pending
        apps += await _visitors_come_and_go(wardroom, PENDING_CAP)
    assert len(apps) >= 20
    await _freed(apps)
    grown_mib = (_rss_kib() - before) / 1024
    assert grown_mib < 16, f"RSS grew by {grown_mib:.1f} MiB after 20 visitors left"
