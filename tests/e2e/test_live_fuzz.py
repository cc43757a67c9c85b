"""Hostile terminals: random bytes and absurd window sizes into live sessions over SSH."""

from __future__ import annotations

import asyncio
import random

from sshd_app.session import WardroomSession
from store.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.sshclient import TerminalClient, connect

CHUNKS = 10_000
# Pieces a terminal or an attacker would send: escape sequences cut anywhere, mouse reports,
# bracketed pastes, UTF-8 broken mid-character, controls.
FRAGMENTS = [b"\x1b", b"\x1b[", b"\x1b[A", b"\x1b[<0;5;5M", b"\x1b[<64;1;1M", b"\x1b[200~",
             b"\x1b[201~", b"\x1bO", b"\x1b[1;5P", b"\x1b]52;c;", b"\x07", b"\r", b"\n", b"\t",
             b"\x7f", b"\xc3", b"\xa4", b"\xe2\x80\xae", b"\xff\xfe", b"[@click=app.quit]",
             b"[/]", b"\x1b[?1049l", b"\x1bP", b"\x9b", b"a", b"0"]
# Logging out (ctrl+q) would end the session on purpose, which is not what this tests.
LOGOUT = b"\x11"
SIZES = [(0, 0), (1, 1), (0, 50), (5000, 5000), (10, 3), (300, 100), (80, 24), (200, 50)]


def _chunk(rng: random.Random) -> bytes:
    if rng.random() < 0.5:
        data = rng.randbytes(rng.randint(1, 24))
    else:
        data = b"".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 4)))
    return data.replace(LOGOUT, b"")


async def _feed(client: TerminalClient, rng: random.Random, chunks: int) -> None:
    for index in range(chunks):
        client.send(_chunk(rng))
        if index % 97 == 0:
            client.process.change_terminal_size(*rng.choice(SIZES))
        if index % 200 == 0:
            await client.process.stdin.drain()
            await asyncio.sleep(0)


async def _still_answers(client: TerminalClient, session: WardroomSession) -> None:
    """The session redraws for a sane size: it is neither dead nor stuck. It may first work
    through a backlog (thousands of queued input events take it some seconds), so the test
    waits until the app has taken the new size, then looks for a complete fresh screen."""
    client.send(b"\x1b\x1b\x1b")  # finish any half-typed sequence
    for size in ((81, 25), (80, 24)):  # a new size makes the app paint the whole screen
        client.resize(*size)
        deadline = asyncio.get_running_loop().time() + 90
        while tuple(session.app.size) != size:
            assert asyncio.get_running_loop().time() < deadline, "session stuck"
            await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    client.screen.reset()
    client.resize(81, 25)
    await client.wait_for("wardroom", timeout=30)


async def test_random_bytes_and_sizes_do_not_crash_or_stick_sessions(wardroom):
    await wardroom.add_account("anna", Role.CLIENT)
    await wardroom.add_account("kim", Role.COUNSELLOR)
    clients = [await connect(wardroom.port, "anna", PASSWORD),
               await connect(wardroom.port, "kim", PASSWORD)]
    try:
        for client in clients:
            await client.wait_for("wardroom")
        rng = random.Random(20261128)
        await asyncio.gather(*(_feed(c, rng, CHUNKS // len(clients)) for c in clients))
        sessions = {s._connection.identity.account.username: s
                    for s in wardroom.server.sessions}
        for name, client in zip(("anna", "kim"), clients, strict=True):
            assert not client.closed.is_set(), "a session died under random input"
            await _still_answers(client, sessions[name])
        assert len(wardroom.server.sessions) == 2
        assert not any(session.app.crashed for session in wardroom.server.sessions)
        # And the server still takes new logins.
        fresh = await connect(wardroom.port, "kim", PASSWORD)
        await fresh.wait_for("wardroom")
        await fresh.close()
    finally:
        for client in clients:
            await client.close()
