"""Two `wardroom serve` nodes, on different ports, on one PostgreSQL database: what happens on
one reaches the sessions of the other live, the survivor of a SIGKILL takes over the work that
runs once (store/once_only.py, store/hub/node_bus.py), and a node refuses a PROXY header from
an address it does not trust (sshd_app/proxy_front.py)."""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest

from store.accounts.passwords import PasswordVault
from store.once_only import RETRY_SECONDS
from tests.conftest import PASSWORD
from tests.e2e.test_workers import (
    ROOM_OF_CLIENT,
    ROOM_OF_COUNSELLOR,
    into_the_room_with_klara,
    klara_and_bernd,
    klara_in_her_room,
)
from tests.postgres import cut_off_node, throwaway_database
from tests.server_process import ServerProcess
from tests.sshclient import TerminalClient, connect
from tests.sshd_app.proxy_headers import connected_socket, everything_until_closed, v2_header

LEASE_TAKEN = b"this node runs the once-only work"


@dataclass
class Nodes:
    a: ServerProcess
    b: ServerProcess


@pytest.fixture
async def two_nodes(tmp_path: Path, host_keys_dir: Path,
                    fast_vault: PasswordVault) -> AsyncIterator[Nodes]:
    async with throwaway_database() as url:
        config = await klara_and_bernd(url, tmp_path, fast_vault)
        a = ServerProcess(url, host_keys_dir, "--config", str(config), "--workers", "1")
        await a.start()
        # A started first, so it holds the lease: wait for it, so B surely does not.
        await _logged(a, LEASE_TAKEN, timeout=10)
        b = ServerProcess(url, host_keys_dir, "--config", str(config), "--workers", "1")
        await b.start()
        try:
            yield Nodes(a, b)
        finally:
            await a.stop()
            await b.stop()


async def _logged(node: ServerProcess, needle: bytes, timeout: float) -> None:
    for _ in range(int(timeout / 0.1)):
        if needle in node.log:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{needle!r} not logged:\n{node.log.decode(errors='replace')}")


async def _in_room(nodes: Nodes) -> tuple[TerminalClient, TerminalClient]:
    """klara in her room on node A, bernd in his on node B."""
    client = await klara_in_her_room(nodes.a.port)
    counsellor = await connect(nodes.b.port, "bernd", PASSWORD)
    await into_the_room_with_klara(counsellor)
    return client, counsellor


async def test_a_message_posted_on_one_node_appears_live_on_the_other(two_nodes):
    client, counsellor = await _in_room(two_nodes)
    try:
        await client.wait_for("ist jetzt im Zimmer")  # presence crossed too
        client.send("Guten Morgen von Knoten A\r")
        await counsellor.wait_for("Guten Morgen von Knoten A")
        counsellor.send("Antwort von Knoten B\r")
        await client.wait_for("Antwort von Knoten B")
    finally:
        await client.close()
        await counsellor.close()


async def test_booking_end_on_one_node_removes_the_counsellors_room_on_the_other(two_nodes):
    client, counsellor = await _in_room(two_nodes)
    try:
        async with asyncssh.connect("127.0.0.1", two_nodes.a.port, username="office",
                                    password=PASSWORD, known_hosts=None, client_keys=[],
                                    agent_path=None) as staff:
            result = await staff.run("admin booking end 1", check=False)
        assert result.exit_status == 0, result.stderr
        screen = await counsellor.wait_for("keinen Zugriff mehr")
        assert ROOM_OF_COUNSELLOR not in screen
        await client.wait_for("nur noch lesbar")
    finally:
        await client.close()
        await counsellor.close()


async def test_after_a_sigkill_the_other_node_serves_on_and_takes_over_the_once_only_work(
        two_nodes):
    client, counsellor = await _in_room(two_nodes)
    try:
        await client.wait_for("ist jetzt im Zimmer")
        assert LEASE_TAKEN not in two_nodes.b.log
        two_nodes.a.signal(signal.SIGKILL)
        await two_nodes.a.wait()
        # klara's session died with A: B forgets it once A's lock is gone.
        await counsellor.wait_for("ist gerade nicht im Zimmer")
        await _logged(two_nodes.b, LEASE_TAKEN, timeout=RETRY_SECONDS + 15)
        # B still serves: klara comes back through it, and the room is live.
        await client.close()
        client = await connect(two_nodes.b.port, "klara", PASSWORD)
        await client.wait_for(ROOM_OF_CLIENT)
        client.send("Wieder da, über Knoten B\r")
        await counsellor.wait_for("Wieder da, über Knoten B")
    finally:
        await client.close()
        await counsellor.close()


async def test_a_node_refuses_a_proxy_header_from_an_untrusted_address(two_nodes):
    # The nodes trust no balancer (trusted_proxies is empty): a header is an attack, not an
    # address. The SSH banner went out as the connection opened; nothing follows it.
    sock = await connected_socket(two_nodes.b.port, v2_header("203.0.113.7", 40001))
    received = await everything_until_closed(sock)
    assert received.startswith(b"SSH-2.0-") and received.count(b"\n") == 1
    await _logged(two_nodes.b, b"a PROXY header from an address not in trusted_proxies",
                  timeout=5)
    assert b"203.0.113.7" not in two_nodes.b.log


async def test_a_node_cut_off_from_the_others_stops_rather_than_serve_deaf(two_nodes):
    client = await connect(two_nodes.b.port, "klara", PASSWORD)
    await client.wait_for(ROOM_OF_CLIENT)
    # The connection that links node B to the others holds B's liveness lock.
    node = int(re.search(rb"linked to the other nodes as node (\d+)", two_nodes.b.log)[1])
    assert await cut_off_node(str(two_nodes.b.db), node) == 1
    assert await two_nodes.b.wait() == 1
    await client.wait_closed()
    assert "gewartet" in bytes(client.raw).decode("utf-8", "replace")  # told, not cut off
    assert b"lost the connection that links this node to the others" in two_nodes.b.log
    await client.close()
    other = await connect(two_nodes.a.port, "klara", PASSWORD)  # A serves on
    try:
        await other.wait_for(ROOM_OF_CLIENT)
    finally:
        await other.close()
