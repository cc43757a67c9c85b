"""Session behaviour over real SSH: sizes, hostile input, disconnects, many users, colours."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys

import pytest

from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.sshclient import connect


async def _only_session(wardroom):
    for _ in range(100):
        if wardroom.server.sessions:
            return next(iter(wardroom.server.sessions))
        await asyncio.sleep(0.05)
    raise AssertionError("no session")


async def _sessions_left(wardroom, count: int) -> None:
    """Until the server runs `count` sessions (a session leaves the set when its app ended)."""
    for _ in range(100):
        if len(wardroom.server.sessions) == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(wardroom.server.sessions)} sessions left, not {count}")


async def test_resize_to_zero_and_back(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    client = await connect(wardroom.port, "anna", PASSWORD)
    try:
        await client.wait_for("anna")
        session = await _only_session(wardroom)
        # Only the server is told these sizes; the test's own pyte screen stays usable.
        client.process.change_terminal_size(0, 0)
        await asyncio.sleep(0.3)
        assert session.app.size == (80, 24)  # 0 means "unknown": the default is used
        client.process.change_terminal_size(65535, 65535)
        await asyncio.sleep(0.3)
        assert session.app.size.width <= 1000 and session.app.size.height <= 500
        client.resize(100, 30)
        await asyncio.sleep(0.3)
        assert session.app.size == (100, 30)
        client.screen.reset()
        client.send("\x0c")  # Ctrl+L paints the whole screen again, at the new size
        await client.wait_for("anna")
    finally:
        await client.close()


async def test_invalid_utf8_and_random_bytes_never_crash(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    client = await connect(wardroom.port, "anna", PASSWORD)
    try:
        await client.wait_for("anna")
        rng = __import__("random").Random(7)
        for _ in range(200):
            client.send(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
                        .replace(b"\x11", b"").replace(b"\x1b[Q", b""))
        client.send(b"\xff\xfe\xc3\x28\xe2\x82")
        await asyncio.sleep(0.5)
        session = await _only_session(wardroom)
        assert session.app is not None and session.app.is_running
        assert not session.app.crashed
    finally:
        await client.close()


def _server_tasks() -> set[asyncio.Task]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}


async def test_disconnect_during_first_render_leaves_nothing_behind(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    await wardroom.add_account("kim", Role.COUNSELLOR)
    before = _server_tasks()
    for _ in range(5):
        client = await connect(wardroom.port, "anna", PASSWORD)
        await client.close()  # gone before (or while) the first screen is drawn
    for _ in range(100):
        if not wardroom.server.sessions and not (_server_tasks() - before):
            break
        await asyncio.sleep(0.05)
    assert not wardroom.server.sessions
    leaked = _server_tasks() - before
    assert not leaked, leaked
    watcher = await connect(wardroom.port, "kim", PASSWORD)
    await watcher.wait_for("Ihre Beratungen")  # the server still serves
    await watcher.close()


async def test_one_users_disconnect_does_not_disturb_another(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    await wardroom.add_account("kim", Role.COUNSELLOR)
    watcher = await connect(wardroom.port, "kim", PASSWORD)
    await watcher.wait_for("Ihre Beratungen")
    for _ in range(3):
        client = await connect(wardroom.port, "anna", PASSWORD)
        await client.close()
    watcher.send("\x1bOQ")
    await watcher.wait_for("Datenschutzhinweise")
    await watcher.close()


async def test_disconnect_during_auth_leaves_nothing_behind(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    before = _server_tasks()
    reader, writer = await asyncio.open_connection("127.0.0.1", wardroom.port)
    writer.write(b"SSH-2.0-test\r\n")
    await reader.readline()
    writer.close()
    for _ in range(100):
        if not wardroom.server.connections and not (_server_tasks() - before):
            break
        await asyncio.sleep(0.05)
    assert not wardroom.server.connections
    assert not (_server_tasks() - before)


# All test clients come from 127.0.0.1: lift the per-address gate, which has tests of its own.
@pytest.mark.settings(connection_rate_per_address=50, max_pending_logins_per_address=50)
async def test_twenty_sessions_at_once(wardroom):
    for i in range(20):
        await wardroom.add_account(f"user{i:02d}", Role.CLIENT)
    clients = await asyncio.gather(*(connect(wardroom.port, f"user{i:02d}", PASSWORD)
                                     for i in range(20)))
    try:
        screens = await asyncio.gather(*(c.wait_for(f"user{i:02d}")
                                         for i, c in enumerate(clients)))
        for i, screen in enumerate(screens):
            others = {f"user{j:02d}" for j in range(20) if j != i}
            assert not any(name in screen for name in others)
        assert len(wardroom.server.sessions) == 20
    finally:
        await asyncio.gather(*(c.close() for c in clients))


async def test_sessions_leave_the_process_stdout_alone(wardroom):
    """Textual swaps sys.stdout per app; interleaved sessions must not leave it broken."""
    stdout, stderr = sys.stdout, sys.stderr
    await wardroom.add_account("anna", Role.CLIENT)
    await wardroom.add_account("bert", Role.CLIENT)
    first = await connect(wardroom.port, "anna", PASSWORD)
    second = await connect(wardroom.port, "bert", PASSWORD)
    await first.wait_for("anna")
    await second.wait_for("bert")
    await first.close()
    await _sessions_left(wardroom, 1)
    await second.close()
    await _sessions_left(wardroom, 0)
    assert sys.stdout is stdout and sys.stderr is stderr


@pytest.mark.parametrize(("term", "env", "expect_256", "expect_any_colour"), [
    ("xterm-256color", {}, True, True),
    ("xterm", {}, False, True),
    ("xterm-256color", {"NO_COLOR": "1"}, False, False),
])
async def test_colours_follow_the_clients_terminal(wardroom, monkeypatch, term, env,
                                                   expect_256, expect_any_colour):
    monkeypatch.setenv("COLORTERM", "truecolor")  # the server's own terminal must not matter
    await wardroom.add_account("anna", Role.CLIENT)
    client = await connect(wardroom.port, "anna", PASSWORD, term=term, env=env)
    try:
        await client.wait_for("anna")
        await asyncio.sleep(0.2)
        sgr = [params.decode() for params in re.findall(rb"\x1b\[([0-9;]*)m", bytes(client.raw))]
        extended = [p for p in sgr if re.search(r"(^|;)[34]8;5;", p)]
        truecolor = [p for p in sgr if re.search(r"(^|;)[34]8;2;", p)]
        basic = [p for p in sgr
                 if set(p.split(";")) & {str(n) for n in [*range(30, 38), *range(40, 48),
                                                           *range(90, 98), *range(100, 108)]}]
        assert bool(extended) is expect_256
        assert not truecolor  # COLORTERM of the *server* must not leak into sessions
        assert bool(extended or basic) is expect_any_colour
    finally:
        await client.close()


async def test_escape_alone_works(wardroom):
    """A lone Escape is only recognised after the parser's timeout: the driver must tick."""
    await wardroom.add_account("anna", Role.CLIENT)
    client = await connect(wardroom.port, "anna", PASSWORD)
    try:
        await client.wait_for("Ihr Anliegen")
        client.send("\x1bOQ")  # F2: the privacy notice
        await client.wait_for("Datenschutzhinweise")
        client.send("\x1b")
        await client.wait_for("Ihr Anliegen")
    finally:
        await client.close()


async def test_ctrl_q_logs_out_and_restores_the_terminal(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    client = await connect(wardroom.port, "anna", PASSWORD)
    await client.wait_for("anna")
    client.send("\x11")
    await client.wait_closed()
    raw = bytes(client.raw)
    assert raw.rfind(b"\x1b[?1049l") > raw.rfind(b"\x1b[?1049h")  # left the alternate screen
    assert raw.rfind(b"\x1b[?25h") > raw.rfind(b"\x1b[?25l")  # cursor visible again
    await client.close()


async def test_crash_goes_to_the_log_not_the_screen(wardroom, monkeypatch, caplog):
    from tui.screens.client_home import ClientHomeScreen

    def explode(self):
        secret = "someone-elses-health-data"  # a local that a rich traceback would print
        raise RuntimeError(f"boom {len(secret)}")

    monkeypatch.setattr(ClientHomeScreen, "compose", explode)
    await wardroom.add_account("anna", Role.CLIENT)
    caplog.set_level(logging.ERROR)
    client = await connect(wardroom.port, "anna", PASSWORD)
    await client.wait_closed()
    raw = bytes(client.raw).decode("utf-8", "replace")
    assert "Ihre Daten sind sicher" in raw
    assert "Traceback" not in raw and "someone-elses" not in raw and "boom" not in raw
    assert any("crashed" in r.getMessage() for r in caplog.records)
    await client.close()


async def test_one_time_password_must_be_changed(wardroom):
    await wardroom.add_account("anna", Role.CLIENT, must_change_password=True)
    client = await connect(wardroom.port, "anna", PASSWORD)
    try:
        await client.wait_for("Einmal-Passwort")
        await client.type("short\r")
        await client.type("short\r")
        await client.wait_for("zu kurz")
        for _ in range(10):
            client.send("\x7f")
        client.send("\t")  # back to the first field happens via shift-tab; clear both anyway
        await asyncio.sleep(0.1)
        session = await _only_session(wardroom)
        session.app.screen.query_one("#new").value = ""
        session.app.screen.query_one("#repeat").value = ""
        session.app.screen.query_one("#new").focus()
        await asyncio.sleep(0.1)
        await client.type("a-brand-new-secret\r")
        await client.type("a-brand-new-secret\r")
        await client.wait_for("Ihr Anliegen")
    finally:
        await client.close()
    account = await wardroom.services.accounts.check_password("anna", "a-brand-new-secret")
    assert account is not None and not account.must_change_password
    assert os.environ.get("WARDROOM_NEVER_SET") is None
